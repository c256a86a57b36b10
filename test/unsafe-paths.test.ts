// Symbolic and hard links where lore would write: write-file-atomic writes
// through a symlink, so lore refuses them (exit 6, as ELF) and writes nothing,
// neither in the journal nor at the link's target outside it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, readRows, tempDir } from "./support/journal.js";
import { recordFailure, recordHeuristic } from "./support/lore.js";

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

    const shared = path.join(tempDir(), "shared.md");
    fs.writeFileSync(shared, "# Heuristics: linked\n");
    fs.linkSync(shared, path.join(dir, "memory", "heuristics", "linked.md"));
    const viaHardLink = await recordHeuristic(dir, { domain: "linked", rule: "write through the hard link" });
    expect(viaHardLink.code).toBe(6);
    expect(viaHardLink.stderr).toContain("more than one hard link");
    expect(fs.readFileSync(shared, "utf8")).toBe("# Heuristics: linked\n");
    expect(readRows(dir)).toEqual({ learnings: [], heuristics: [] });
    expect(git(dir, ["rev-list", "--count", "HEAD"]).trim()).toBe("1");
    fs.rmSync(path.join(dir, "memory", "failures"));
    fs.mkdirSync(path.join(dir, "memory", "failures"));
    fs.rmSync(path.join(dir, "memory", "heuristics", "linked.md"));
    expect(invariantViolations(dir)).toEqual([]);
  });
});
