// memory/golden-rules.md as text (src/journal/golden-rules-file.ts): ELF's two
// formats read without taking a non-rule section for a rule; a rule lore adds
// is format B, numbered after the highest rule of either format, placed after
// the last rule, and removed again to the very bytes the file had; what
// record-violation.sh reads from the file (the rule name, the usage listing)
// is checked against ELF's own grep, tail and sed pipeline, run by bash.
//
// The fixtures are ELF's files byte for byte, from the repository
// github.com/Spacehunterz/Emergent-Learning-Framework_ELF:
//   golden-rules/elf-template.md  templates/golden-rules.md (commit 999f896),
//     format B, which install.sh copies; it holds rules 1 to 16, with the
//     section `# How Rules Become Golden` between rules 6 and 7;
//   golden-rules/elf-init.md      the heredoc scripts/init.sh (commit db17981)
//     writes to memory/golden-rules.md, format A: rules 1 to 4, then a footer.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { thrownBy } from "./support/thrown.js";
import { InvalidFieldError } from "../src/base/errors.js";
import {
  ELF_TEMPLATE_HEADER,
  goldenRuleListing,
  goldenRuleName,
  type GoldenRuleInput,
  parseGoldenRules,
  withGoldenRule,
  withoutGoldenRule,
} from "../src/journal/golden-rules-file.js";
import { GOLDEN_RULES_HEADER } from "../src/setup/init-journal.js";
import { tempDir } from "./support/journal.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "golden-rules");
const TEMPLATE = fs.readFileSync(path.join(FIXTURES, "elf-template.md"), "utf8");
const INIT = fs.readFileSync(path.join(FIXTURES, "elf-init.md"), "utf8");
const crlf = (text: string) => text.replace(/\n/g, "\r\n");

const RULE: GoldenRuleInput = {
  loreId: "0b9c6d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e",
  title: "Run the Tests Before a Commit",
  statement: "Run the whole test suite before every commit, not just the tests you changed.",
  why: "A change breaks tests far from it; a commit that fails them costs a bisect later.",
  promoted: "2025-06-01",
  validations: 12,
  confidence: 0.92,
  domain: "testing",
};
const OTHER: GoldenRuleInput = {
  ...RULE,
  loreId: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
  title: "Read the Error First",
  statement: "Read the whole error message before changing code.",
};

// record-violation.sh's lines that read golden-rules.md, as ELF has them; the
// file and the numbers are arguments, and each answer ends with a NUL.
const ELF_READING = `set -euo pipefail
GOLDEN_RULES_PATH="$1"; shift
for RULE_NUMBER in "$@"; do
RULE_NAME=$(grep -A1 "^## $RULE_NUMBER\\." "$GOLDEN_RULES_PATH" | tail -1 | sed 's/^> //' || echo "Unknown Rule")
printf '%s\\0' "$RULE_NAME"
done
grep "^## [0-9]" "$GOLDEN_RULES_PATH" | head -10 || true`;

const scratch = tempDir("lore-golden-");
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** What ELF's record-violation.sh reads from `text`: the name of each rule 0-20 and the usage listing. */
function elfReading(text: string): { names: string[]; listing: string[] } {
  const file = path.join(scratch, "golden-rules.md");
  fs.writeFileSync(file, text);
  const numbers = Array.from({ length: 21 }, (_, number) => String(number));
  const output = execFileSync("bash", ["-c", ELF_READING, "bash", file, ...numbers], { encoding: "utf8" });
  const parts = output.split("\0");
  const listing = parts.pop() as string;
  return { names: parts, listing: listing === "" ? [] : listing.replace(/\n$/, "").split("\n") };
}

/** lore's reading of `text`, as ELF prints it (CR taken off ELF's side by the caller). */
function loreReading(text: string): { names: string[]; listing: string[] } {
  const names = Array.from({ length: 21 }, (_, number) => goldenRuleName(text, number) ?? "Unknown Rule");
  return { names, listing: goldenRuleListing(text) };
}

function expectElfReadsAsLore(text: string): void {
  const elf = elfReading(text);
  const withoutCr = (lines: string[]) => lines.map((line) => line.replace(/\r$/, ""));
  expect({ names: withoutCr(elf.names), listing: withoutCr(elf.listing) }).toEqual(loreReading(text));
}

function invalidField(run: () => unknown): string {
  const thrown = thrownBy(run);
  expect(thrown).toBeInstanceOf(InvalidFieldError);
  return (thrown as InvalidFieldError).field;
}

describe("parseGoldenRules", () => {
  it("reads ELF's template (format B): rules 1-16, the How-Rules section apart", () => {
    const { rules, sections } = parseGoldenRules(TEMPLATE);
    expect(rules.map((rule) => rule.number)).toEqual(Array.from({ length: 16 }, (_, index) => index + 1));
    expect(rules.every((rule) => rule.format === "B" && rule.loreId === undefined)).toBe(true);
    expect(rules[0]).toEqual({
      number: 1,
      title: "Query Before Acting",
      statement: "Always check existing knowledge before starting a task.",
      loreId: undefined,
      format: "B",
      start: 7,
      end: 14,
    });
    // Rule 6 ends at its `---`; the section follows, with its own `---`.
    expect(rules[5].end).toBe(59);
    expect(sections.map((section) => section.text.split("\n")[0])).toEqual([
      "# Golden Rules",
      "# How Rules Become Golden",
    ]);
    expect(sections[1]).toMatchObject({ start: 61, end: 70 });
    expect(rules.some((rule) => /How Rules|Start as heuristic/.test(rule.title + rule.statement))).toBe(false);
    // Rule 9 has two blank lines before its `---`; rule 16, the last, has no `---`.
    expect(rules[8]).toMatchObject({ start: 90, end: 98 });
    expect(rules[15]).toMatchObject({ start: 154, end: 159 });
  });

  it("reads init.sh's file (format A): rules 1-4 with their titles, the footer apart", () => {
    const { rules, sections } = parseGoldenRules(INIT);
    expect(rules.map(({ number, title, statement, format }) => ({ number, title, statement, format }))).toEqual(
      [
        ["Make It Work, Then Make It Right", 1],
        ["Explicit is Better Than Implicit", 2],
        ["Fail Fast, Learn Faster", 3],
        ["Document Decisions, Not Just Code", 4],
      ].map(([title, number]) => ({ number, title, statement: title, format: "A" })),
    );
    expect(sections.map((section) => section.text)).toEqual([
      INIT.slice(0, INIT.indexOf("\n## Rule 1")),
      "*These rules are living documents. As we learn more, they evolve.*\n",
    ]);
  });

  it("reads any text, a rule without a body included", () => {
    expect(parseGoldenRules("")).toEqual({ rules: [], sections: [] });
    expect(parseGoldenRules("## 3.").rules).toMatchObject([{ number: 3, title: "", statement: "", end: 1 }]);
    // U+2028 ends a line for a regular expression's `.`, not for grep.
    expect(parseGoldenRules("## 3. a\u2028b\n> s\u2028t\n").rules).toMatchObject([
      { number: 3, title: "a\u2028b", statement: "s\u2028t" },
    ]);
  });
});

describe("withGoldenRule and withoutGoldenRule", () => {
  it("add then remove gives back the exact bytes, in either order for two rules", () => {
    for (const text of [TEMPLATE, INIT, GOLDEN_RULES_HEADER, ELF_TEMPLATE_HEADER, crlf(TEMPLATE), crlf(INIT)]) {
      const one = withGoldenRule(text, RULE);
      expect(one).not.toBe(text);
      expect(withoutGoldenRule(one, RULE.loreId)).toBe(text);
      const two = withGoldenRule(one, OTHER);
      expect(withoutGoldenRule(two, OTHER.loreId)).toBe(one);
      expect(withoutGoldenRule(withoutGoldenRule(two, RULE.loreId) as string, OTHER.loreId)).toBe(text);
    }
  });

  it("is idempotent: a rule whose lore id is in the file leaves it as it is", () => {
    const once = withGoldenRule(TEMPLATE, RULE);
    expect(withGoldenRule(once, RULE)).toBe(once);
    expect(withGoldenRule(once, { ...RULE, title: "Another Title" })).toBe(once);
  });

  it("adds to the template as rule 17, after rule 16 and a `---` of its own, in format B", () => {
    const added = withGoldenRule(TEMPLATE, RULE);
    expect(added).toBe(
      `${TEMPLATE}\n---\n\n## 17. Run the Tests Before a Commit\n` +
        "> Run the whole test suite before every commit, not just the tests you changed.\n\n" +
        "**Why:** A change breaks tests far from it; a commit that fails them costs a bisect later.\n" +
        "**Promoted:** 2025-06-01 (from the testing heuristics, confidence 0.92)\n" +
        "**Validations:** 12\n" +
        `<!-- lore:id=${RULE.loreId} -->\n`,
    );
    expect(parseGoldenRules(added).rules.at(-1)).toEqual({
      number: 17,
      title: RULE.title,
      statement: RULE.statement,
      loreId: RULE.loreId,
      format: "B",
      start: 163,
      end: 169,
    });
  });

  it("adds to a missing file: ELF's template header, then rule 1 with its `---`", () => {
    expect(TEMPLATE.startsWith(ELF_TEMPLATE_HEADER)).toBe(true);
    const added = withGoldenRule(undefined, RULE);
    expect(added.startsWith(`${ELF_TEMPLATE_HEADER}## 1. ${RULE.title}\n`)).toBe(true);
    expect(added.endsWith(`<!-- lore:id=${RULE.loreId} -->\n\n---\n\n`)).toBe(true);
    expect(parseGoldenRules(added).rules.map((rule) => [rule.number, rule.loreId])).toEqual([[1, RULE.loreId]]);
    expect(withoutGoldenRule(added, RULE.loreId)).toBe(ELF_TEMPLATE_HEADER);
  });

  it("adds to a format A file: rule 5 in format B before the footer, the rest unchanged", () => {
    const added = withGoldenRule(INIT, RULE);
    const footer = INIT.indexOf("*These rules");
    expect(added.startsWith(INIT.slice(0, footer))).toBe(true);
    expect(added.endsWith(INIT.slice(footer))).toBe(true);
    expect(added.slice(footer).startsWith(`## 5. ${RULE.title}\n> ${RULE.statement}\n`)).toBe(true);
    const { rules, sections } = parseGoldenRules(added);
    expect(rules.map((rule) => `${rule.number}${rule.format}`)).toEqual(["1A", "2A", "3A", "4A", "5B"]);
    expect(sections.at(-1)?.text).toBe(INIT.slice(footer));
  });

  it("numbers after the highest rule of either format, and never renumbers", () => {
    const mixed = "# Golden Rules\n\n---\n\n## Rule 7: Seven\n\nA paragraph.\n\n---\n\n## 3. Three\n> three\n";
    expect(parseGoldenRules(withGoldenRule(mixed, RULE)).rules.map((rule) => rule.number)).toEqual([7, 3, 8]);
    const two = withGoldenRule(withGoldenRule(TEMPLATE, RULE), OTHER);
    const gap = withoutGoldenRule(two, RULE.loreId) as string;
    expect(
      parseGoldenRules(gap)
        .rules.slice(15)
        .map((rule) => [rule.number, rule.title]),
    ).toEqual([
      [16, "Goal-Driven Execution"],
      [18, OTHER.title],
    ]);
    const third = { ...RULE, loreId: "9a9a9a9a-0000-4000-8000-000000000000" };
    expect(parseGoldenRules(withGoldenRule(gap, third)).rules.at(-1)?.number).toBe(19);
  });

  it("never removes a rule lore did not write", () => {
    expect(withoutGoldenRule(TEMPLATE, RULE.loreId)).toBeUndefined();
    expect(withoutGoldenRule(INIT, RULE.loreId)).toBeUndefined();
    const added = withGoldenRule(TEMPLATE, RULE);
    expect(withoutGoldenRule(added, OTHER.loreId)).toBeUndefined();
    expect(parseGoldenRules(withoutGoldenRule(added, RULE.loreId) as string).rules).toHaveLength(16);
  });

  it("removes a copy of lore's rule too (a hand edit)", () => {
    const added = withGoldenRule(TEMPLATE, RULE);
    const copied = added + added.slice(TEMPLATE.length);
    expect(parseGoldenRules(copied).rules.filter((rule) => rule.loreId === RULE.loreId)).toHaveLength(2);
    expect(withoutGoldenRule(copied, RULE.loreId)).toBe(TEMPLATE);
  });

  it("keeps CRLF line ends: the rule added has them too", () => {
    const text = crlf(TEMPLATE);
    expect(parseGoldenRules(text).rules.map((rule) => [rule.number, rule.title, rule.statement])).toEqual(
      parseGoldenRules(TEMPLATE).rules.map((rule) => [rule.number, rule.title, rule.statement]),
    );
    const added = withGoldenRule(text, { ...RULE, why: "one\ntwo" });
    expect(added.startsWith(text)).toBe(true);
    expect(added.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(parseGoldenRules(added).rules.at(-1)).toMatchObject({ number: 17, loreId: RULE.loreId });
  });

  it("gives a file whose last line has no line end one, the only byte added outside the rule", () => {
    const cut = TEMPLATE.slice(0, -1);
    const added = withGoldenRule(cut, RULE);
    expect(added.startsWith(`${TEMPLATE}\n---\n\n## 17.`)).toBe(true);
    expect(withoutGoldenRule(added, RULE.loreId)).toBe(TEMPLATE);
  });
});

describe("hostile text", () => {
  it("refuses a title or statement that is not one line, naming the field", () => {
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, title: "Title\n## 3. Fake" }))).toBe("title");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, title: "Title\rMore" }))).toBe("title");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, title: "  " }))).toBe("title");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, statement: "a\n---" }))).toBe("statement");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, statement: "a\u2028b" }))).toBe("statement");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, domain: "a\nb" }))).toBe("domain");
    expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, why: "a\r\nb" }))).toBe("why");
  });

  it("refuses a bad lore id, date, count or confidence, naming the field", () => {
    const cases: [Partial<GoldenRuleInput>, string][] = [
      [{ loreId: "ABC" }, "loreId"],
      [{ loreId: "x -->" }, "loreId"],
      [{ promoted: "2025-13-01" }, "promoted"],
      [{ promoted: "2025-02-30" }, "promoted"],
      [{ promoted: "1 June 2025" }, "promoted"],
      [{ validations: -1 }, "validations"],
      [{ validations: 1.5 }, "validations"],
      [{ confidence: 1.5 }, "confidence"],
      [{ confidence: Number.NaN }, "confidence"],
    ];
    for (const [change, field] of cases) {
      expect(invalidField(() => withGoldenRule(TEMPLATE, { ...RULE, ...change }))).toBe(field);
    }
  });

  it("escapes a why that fakes headings, separators and lore ids; the file reads and reverts exactly", () => {
    const fake = "00000000-0000-4000-8000-000000000000";
    const why = `Because.\n## 1. Fake Rule\n> fake statement\n---\n<!-- lore:id=${fake} -->\n# How Rules Become Golden\n\\---\n`;
    const hostile = {
      ...RULE,
      title: `2. Fake <!-- lore:id=${fake} -->`,
      statement: "> quoted ## 3. twice",
      why,
    };
    for (const text of [TEMPLATE, INIT]) {
      const added = withGoldenRule(text, hostile);
      const before = parseGoldenRules(text);
      const after = parseGoldenRules(added);
      expect(after.rules).toHaveLength(before.rules.length + 1);
      expect(after.sections).toEqual(before.sections.map((section) => expect.objectContaining({ text: section.text })));
      expect(after.rules.at(-1)).toMatchObject({
        title: hostile.title,
        statement: hostile.statement,
        loreId: RULE.loreId,
      });
      expect(goldenRuleListing(added)).not.toContain("## 1. Fake Rule");
      expect(withoutGoldenRule(added, fake)).toBeUndefined();
      expect(withoutGoldenRule(added, RULE.loreId)).toBe(text);
      expectElfReadsAsLore(added);
    }
  });
});

describe("record-violation.sh's reading", () => {
  it("names the rule lore adds by its statement, as ELF's grep, tail and sed do", () => {
    const added = withGoldenRule(TEMPLATE, RULE);
    expect(goldenRuleName(added, 17)).toBe(RULE.statement);
    expect(goldenRuleName(TEMPLATE, 1)).toBe("Always check existing knowledge before starting a task.");
    expect(goldenRuleName(TEMPLATE, 17)).toBeUndefined();
    expect(goldenRuleName(withGoldenRule(INIT, RULE), 5)).toBe(RULE.statement);
    // Format A: ELF records every number as `Unknown Rule`.
    expect(goldenRuleName(INIT, 1)).toBeUndefined();
    for (const text of [TEMPLATE, INIT, added, withGoldenRule(INIT, RULE), withGoldenRule(undefined, RULE)]) {
      expectElfReadsAsLore(text);
      expectElfReadsAsLore(crlf(text));
    }
  });

  it("lists the first 10 rule lines as its usage does", () => {
    expect(goldenRuleListing(TEMPLATE)).toEqual(
      parseGoldenRules(TEMPLATE)
        .rules.slice(0, 10)
        .map((rule) => `## ${rule.number}. ${rule.title}`),
    );
    expect(goldenRuleListing(INIT)).toEqual([]);
    expect(goldenRuleListing(withGoldenRule(INIT, RULE))).toEqual([`## 5. ${RULE.title}`]);
  });

  it("reads a heading on the last line, and the last of two same numbers, as ELF does", () => {
    expect(goldenRuleName("## 2. Two\n> two\n## 2. Again\n> again\n", 2)).toBe("again");
    expect(goldenRuleName("## 2. Two", 2)).toBe("## 2. Two");
    expect(goldenRuleName("## 2. Two\n>two\n", 2)).toBe(">two");
    for (const text of ["## 2. Two\n> two\n## 2. Again\n> again\n", "## 2. Two", "## 2. Two\n>two\n", "## 12. x\n"]) {
      expectElfReadsAsLore(text);
    }
  });
});
