// Symbolic and hard links where lore would write: write-file-atomic writes
// through a symlink, so lore refuses them (exit 6, as ELF) and writes nothing,
// neither in the journal nor at the link's target outside it. A link where
// lore keeps its database, lock, intents or records (memory/ itself,
// index.db and its -wal and -shm, memory/.lore and the paths lore uses in it,
// the failures and heuristics directories) is refused by every writer
// (records, sync --fix, init) before it opens, creates or locks anything.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, readRows, tempDir } from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore } from "./support/lore.js";

describe("unsafe paths", () => {
  it("refuses a heuristic domain file that is a symlink to a file outside the journal", async () => {
    const dir = await createJournal({ git: true });
    const outside = path.join(tempDir(), "victim.md");
    fs.writeFileSync(outside, "precious\n");
    fs.symlinkSync(outside, path.join(dir, "memory", "heuristics", "evil.md"));
    const result = await recordHeuristic(dir, { domain: "evil", rule: "write through the link" });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/evil\.md .*symbolic link/);
    expect(fs.readFileSync(outside, "utf8")).toBe("precious\n");
    expect(readRows(dir).heuristics).toHaveLength(0);
  });

  it("refuses a failures directory that is a symlink, and a domain file with a second hard link", async () => {
    const dir = await createJournal({ git: true });
    const elsewhere = tempDir();
    fs.rmSync(path.join(dir, "memory", "failures"), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(dir, "memory", "failures"));
    const viaDirectory = await recordFailure(dir, { title: "through a linked directory", domain: "Links" });
    expect(viaDirectory.code).toBe(6);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    fs.rmSync(path.join(dir, "memory", "failures"));
    fs.mkdirSync(path.join(dir, "memory", "failures"));

    const shared = path.join(tempDir(), "shared.md");
    fs.writeFileSync(shared, "# Heuristics: linked\n");
    fs.linkSync(shared, path.join(dir, "memory", "heuristics", "linked.md"));
    const viaHardLink = await recordHeuristic(dir, { domain: "linked", rule: "write through the hard link" });
    expect(viaHardLink.code).toBe(6);
    expect(viaHardLink.stderr).toContain("more than one hard link");
    expect(fs.readFileSync(shared, "utf8")).toBe("# Heuristics: linked\n");
    expect(readRows(dir)).toEqual({ learnings: [], heuristics: [] });
    expect(git(dir, ["rev-list", "--count", "HEAD"]).trim()).toBe("1");
    fs.rmSync(path.join(dir, "memory", "heuristics", "linked.md"));
    expect(invariantViolations(dir)).toEqual([]);
  });
});

/** Every path below `root` with what it holds: a file's bytes, a link's target, or "dir". */
function snapshot(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (relative: string) => {
    const full = path.join(root, relative);
    const stats = fs.lstatSync(full);
    if (stats.isSymbolicLink()) found[relative] = `-> ${fs.readlinkSync(full)}`;
    else if (stats.isDirectory()) {
      found[relative] = "dir";
      for (const name of fs.readdirSync(full)) walk(path.join(relative, name));
    } else found[relative] = fs.readFileSync(full).toString("base64");
  };
  walk(".");
  return found;
}

/**
 * Moves what is at `relative` in the journal (when anything is) to `outside`,
 * or creates it there, and leaves a symbolic link to it in its place.
 */
function plantLink(dir: string, relative: string, outside: string, kind: "file" | "dir"): void {
  const inJournal = path.join(dir, relative);
  if (fs.existsSync(inJournal)) fs.renameSync(inJournal, outside);
  else if (kind === "dir") fs.mkdirSync(outside);
  else fs.writeFileSync(outside, "outside\n");
  fs.symlinkSync(outside, inJournal);
}

describe("symbolic links where lore keeps its database, lock, intents and records", () => {
  // Each refused before lore touches anything (the lock included): exit 6, the link's target unchanged.
  const cases: Array<{ link: string; kind: "file" | "dir" }> = [
    { link: "memory", kind: "dir" },
    { link: "memory/index.db", kind: "file" },
    { link: "memory/index.db-wal", kind: "file" },
    { link: "memory/index.db-shm", kind: "file" },
    { link: "memory/.lore", kind: "dir" },
    { link: "memory/.lore/pending", kind: "dir" },
    { link: "memory/.lore/lock-waiters", kind: "dir" },
    { link: "memory/.lore/journal.lock", kind: "dir" },
    { link: "memory/.lore/journal.lock.owner", kind: "file" },
    { link: "memory/.lore/files-commit.index", kind: "file" },
    { link: "memory/failures", kind: "dir" },
    { link: "memory/heuristics", kind: "dir" },
  ];
  it.each(cases)("refuses $link (exit 6) in every writer, and writes nothing through it", async ({ link, kind }) => {
    const dir = await createJournal({ git: true });
    // The target lives beside a copy of nothing else: its whole directory is compared.
    const outsideDir = tempDir();
    const outside = path.join(outsideDir, "target");
    plantLink(dir, link, outside, kind);
    const before = snapshot(outsideDir);
    for (const args of [
      ["record-failure", "--title", "through a link", "--domain", "Links", "--lock-timeout", "2"],
      ["record-heuristic", "--domain", "links", "--rule", "through a link", "--lock-timeout", "2"],
      ["sync", "--fix", "--lock-timeout", "2"],
      ["init"],
    ]) {
      const result = await runLore(args, { cwd: dir });
      expect({ args, code: result.code }).toEqual({ args, code: 6 });
      expect(result.stderr).toMatch(/symbolic link/);
      expect(snapshot(outsideDir)).toEqual(before);
    }
  });
});
