// File-name slugs (src/journal/slug.ts): ELF's recorders' rules
// (docs: elf-format.md) and where lore departs from them on purpose: a
// failure's slug keeps no colon and is never empty (`untitled`); a domain's
// slug loses every leading and trailing `-`, where ELF strips one of each.
// Edge cases: empty text, punctuation only, unicode, and long titles, which
// are cut to 100 characters after filtering.
import { describe, expect, it } from "vitest";
import { domainSlug, failureSlug } from "../src/journal/slug.js";
import { Prng } from "./support/prng.js";

describe("failureSlug", () => {
  it("ELF's rule: lowercased, each space a `-`, all but letters, digits and `-` removed", () => {
    expect(failureSlug("Hello World")).toBe("hello-world");
    expect(failureSlug("Database locked during parallel writes")).toBe("database-locked-during-parallel-writes");
    expect(failureSlug("UPPER Case 42")).toBe("upper-case-42");
    expect(failureSlug("Fix the DB-lock, now!")).toBe("fix-the-db-lock-now");
    expect(failureSlug("dots.and/slashes\\..")).toBe("dotsandslashes");
    expect(failureSlug("under_score (paren) [x] 'q' \"d\" $v `c` *")).toBe("underscore-paren-x-q-d-v-c-");
  });

  it("turns each space into its own `-`, keeps leading and trailing ones, and never turns a tab", () => {
    expect(failureSlug("a  b")).toBe("a--b");
    expect(failureSlug(" a ")).toBe("-a-");
    expect(failureSlug("a - b")).toBe("a---b");
    expect(failureSlug("a\tb")).toBe("ab");
    expect(failureSlug("a\u00a0b")).toBe("ab");
  });

  it("drops colons, which ELF keeps (a colon is not allowed in a Windows file name)", () => {
    // ELF: `fix:-the-lock`.
    expect(failureSlug("Fix: the lock")).toBe("fix-the-lock");
    expect(failureSlug("a:b")).toBe("ab");
    expect(failureSlug("12:30 outage")).toBe("1230-outage");
  });

  it("an empty slug is `untitled`, where ELF wrote `YYYYMMDD_.md`", () => {
    expect(failureSlug("")).toBe("untitled");
    expect(failureSlug("!!!")).toBe("untitled");
    expect(failureSlug(":::")).toBe("untitled");
    expect(failureSlug("日本語")).toBe("untitled");
    expect(failureSlug("🎉🎉")).toBe("untitled");
    // A slug of dashes is not empty.
    expect(failureSlug(" ")).toBe("-");
  });

  it("keeps only ASCII letters: accented, other scripts and emoji are removed", () => {
    expect(failureSlug("café crème")).toBe("caf-crme");
    expect(failureSlug("Straße 5")).toBe("strae-5");
    expect(failureSlug("日本語 title")).toBe("-title");
    expect(failureSlug("deploy 🎉 done")).toBe("deploy--done");
    expect(failureSlug("e\u0301t\u00e9")).toBe("et");
    // Lowercasing comes first and is Unicode's: these two lowercase to ASCII and stay.
    expect(failureSlug("\u212a")).toBe("k");
    expect(failureSlug("\u0130stanbul")).toBe("istanbul");
  });

  it("cuts to 100 characters after filtering: removed characters do not count", () => {
    expect(failureSlug("a".repeat(100))).toBe("a".repeat(100));
    expect(failureSlug("a".repeat(101))).toBe("a".repeat(100));
    expect(failureSlug("a".repeat(500))).toBe("a".repeat(100));
    expect(failureSlug("!".repeat(50) + "b".repeat(120))).toBe("b".repeat(100));
    expect(failureSlug("日本".repeat(200) + "c".repeat(3))).toBe("ccc");
    // The cut may end the slug on a `-`, as ELF's does.
    expect(failureSlug(`${"a".repeat(99)} b`)).toBe(`${"a".repeat(99)}-`);
    expect(failureSlug("x y ".repeat(40))).toBe("x-y-".repeat(25));
  });

  it("generated titles: only a-z, 0-9 and `-`, 1 to 100 characters, ELF's slug without colons", () => {
    const random = new Prng(31337);
    const pieces = ["A", "z", "9", " ", "  ", "-", ":", "!", "/", ".", "é", "日", "🎉", "\t", "_", "Ü", "Q"];
    for (let index = 0; index < 500; index++) {
      let title = "";
      for (let part = random.int(0, 160); part > 0; part--) title += random.pick(pieces);
      const slug = failureSlug(title);
      expect(slug, JSON.stringify(title)).toMatch(/^[a-z0-9-]{1,100}$/);
      // ELF's rule, one character at a time, with the colon dropped and `untitled` for nothing.
      let expected = "";
      for (const character of title.toLowerCase()) {
        if (expected.length === 100) break;
        if (character === " ") expected += "-";
        else if ("abcdefghijklmnopqrstuvwxyz0123456789-".includes(character)) expected += character;
      }
      expect(slug, JSON.stringify(title)).toBe(expected === "" ? "untitled" : expected);
    }
  });
});

describe("domainSlug", () => {
  it("ELF's documented examples", () => {
    expect(domainSlug("Testing Stuff")).toBe("testing-stuff");
    expect(domainSlug("Concurrency Control/../x")).toBe("concurrency-controlx");
  });

  it("lowercases, turns spaces into `-`, removes all but a-z, 0-9 and `-`, colons included", () => {
    expect(domainSlug("CI/CD Pipeline")).toBe("cicd-pipeline");
    expect(domainSlug("db: sqlite")).toBe("db-sqlite");
    expect(domainSlug("a  b")).toBe("a--b");
    expect(domainSlug("under_score")).toBe("underscore");
    expect(domainSlug("café")).toBe("caf");
    expect(domainSlug("日本 net")).toBe("net");
  });

  it("strips every leading and trailing `-` (ELF strips one of each)", () => {
    expect(domainSlug("-abc-")).toBe("abc");
    expect(domainSlug(" spaced ")).toBe("spaced");
    // ELF: `-a-b-`.
    expect(domainSlug("--a-b--")).toBe("a-b");
    expect(domainSlug("- x -")).toBe("x");
    expect(domainSlug("!-a-!")).toBe("a");
  });

  it("an empty slug is returned empty, for the caller to reject", () => {
    expect(domainSlug("")).toBe("");
    expect(domainSlug("---")).toBe("");
    expect(domainSlug("   ")).toBe("");
    expect(domainSlug("!!!")).toBe("");
    expect(domainSlug("日本語")).toBe("");
    expect(domainSlug("..")).toBe("");
  });

  it("cuts to 100 characters after stripping, so the cut may leave a trailing `-` (ELF's order)", () => {
    expect(domainSlug("a".repeat(130))).toBe("a".repeat(100));
    expect(domainSlug(`--${"a".repeat(100)}b`)).toBe("a".repeat(100));
    expect(domainSlug(`${"a".repeat(99)} b`)).toBe(`${"a".repeat(99)}-`);
  });

  it("generated domains: only a-z, 0-9 and `-`, at most 100, no `-` first (nor last when not cut)", () => {
    const random = new Prng(2718);
    const pieces = ["A", "b", "7", " ", "-", "--", "/", "..", "\\", ":", "é", "日", "_", "Z"];
    let empty = 0;
    for (let index = 0; index < 500; index++) {
      let domain = "";
      for (let part = random.int(0, 90); part > 0; part--) domain += random.pick(pieces);
      const slug = domainSlug(domain);
      const context = JSON.stringify(domain);
      expect(slug, context).toMatch(/^[a-z0-9-]{0,100}$/);
      expect(slug.startsWith("-"), context).toBe(false);
      if (slug.length < 100) expect(slug.endsWith("-"), context).toBe(false);
      // Stable: the slug of a slug (shorter than the cut) is itself, as sync --restore relies on.
      if (slug.length < 100) expect(domainSlug(slug), context).toBe(slug);
      if (slug === "") empty++;
    }
    expect(empty).toBeGreaterThan(5);
  });
});
