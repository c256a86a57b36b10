// Real faults, next to the injected ones of faults.test.ts: a file system that
// really runs out of space, and one that is really read-only.
//
// A full disk: the journal (with its git repository) lives on a small tmpfs,
// which a filler file fills up to k bytes, for a range of k, so that the
// space runs out at each step of a record in turn: the lock, the intent, the
// temp file, the rename, SQLite's COMMIT (its WAL growing), git. Each record
// either exits 0 and is complete, or exits 1 and wrote nothing (the domain
// file byte for byte as before, no row, no intent or temp file or kept link
// that a later command would complete), or exits 5: written, its git commit
// left to the next command. Once space is freed, `lore sync` shows no trace
// of a failed record, and a retry records it exactly once.
//
// A write that a nearly full file system takes only part of (write(2) then
// returns a short count, without an error) fails before the rename.
//
// A read-only bind mount of the journal, or of its memory/ directory: a
// record exits non-zero with one line, changes nothing, and does not hang.
//
// Mounting needs root (CAP_SYS_ADMIN); elsewhere these tests are skipped, and
// say why.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createJournalIn, git, invariantViolations, readRows, tempDir } from "./support/journal.js";
import { mount, mountReadOnly, unmountAll, whyCannotMount } from "./support/mounts.js";
import { runLore, toFlags, type RunResult } from "./support/lore.js";
import { writeFileDurably, writeFilesDurably } from "../src/io/durable-file.js";

const PAGE = 4096;

const cannotMount = whyCannotMount();
const canMount = cannotMount === undefined;
if (!canMount) console.warn(`real-faults.test.ts skipped: ${cannotMount}`);

afterEach(unmountAll);

function freeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Fills the file system of `dir` with `filler` until exactly `free` bytes (whole pages) are left. */
function fillLeaving(filler: string, free: number): void {
  fs.rmSync(filler, { force: true });
  const fd = fs.openSync(filler, "w");
  try {
    for (const chunk of [Buffer.alloc(256 * 1024, 7), Buffer.alloc(PAGE, 7)]) {
      for (;;) {
        try {
          if (fs.writeSync(fd, chunk) < chunk.length) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  const full = fs.statSync(filler).size;
  fs.truncateSync(filler, Math.max(0, Math.floor(full / PAGE) * PAGE - free));
  expect(freeBytes(path.dirname(filler))).toBe(free);
}

/** Every name under memory/ (but the SQLite files) with a hash of its bytes. */
function memoryFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (/^index\.db(-wal|-shm|-journal)?$/.test(entry.name)) continue;
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex"));
    }
  };
  walk(path.join(dir, "memory"));
  return files;
}

function rowsNamed(dir: string, text: string): number {
  const rows = readRows(dir);
  return (
    rows.learnings.filter((row) => row.title === text).length +
    rows.heuristics.filter((row) => row.rule === text).length
  );
}

function commitsNamed(dir: string, subject: string): number {
  return git(dir, ["log", "--format=%s"])
    .split("\n")
    .filter((line) => line === subject).length;
}

function occurrences(dir: string, text: string): number {
  let count = 0;
  for (const name of memoryFiles(dir).keys()) {
    if (name.endsWith(".md")) count += fs.readFileSync(path.join(dir, name), "utf8").split(text).length - 1;
  }
  return count;
}

type Kind = "failure" | "heuristic";

function recordArgs(kind: Kind, text: string): string[] {
  return kind === "failure"
    ? ["record-failure", ...toFlags({ title: text, domain: "Disk" })]
    : ["record-heuristic", ...toFlags({ domain: "disk", rule: text, explanation: "e".repeat(400) })];
}

const subjectOf = (kind: Kind, text: string) => `${kind}: ${text}`;

describe.skipIf(!canMount)("a disk that really fills up (tmpfs), at each step of a record", () => {
  let mountDir: string;
  let dir: string;
  let filler: string;

  beforeAll(async () => {
    // Outside the per-test unmount: the tmpfs lives for the whole describe, and is unmounted after it.
    mountDir = tempDir("lore-full-disk-");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountDir], { stdio: "pipe" });
    dir = path.join(mountDir, "journal");
    filler = path.join(mountDir, "filler");
    await createJournalIn(dir);
    // A domain file of some 15 KB: putting it back by writing it again needs 4 pages, more than a
    // COMMIT that found the disk full leaves (the reported duplicate, with lore before its kept versions).
    for (let index = 0; index < 3; index++) {
      const result = await runLore(
        ["record-heuristic", ...toFlags({ domain: "disk", rule: `rule ${index}`, explanation: "x".repeat(4_900) })],
        { cwd: dir },
      );
      expect(result.code, result.stderr).toBe(0);
    }
    // As after each level below: sync leaves no WAL behind, so a COMMIT must grow one.
    expect((await runLore(["sync"], { cwd: dir })).code).toBe(0);
    return () => {
      fs.rmSync(filler, { force: true });
      execFileSync("umount", ["-l", mountDir], { stdio: "pipe" });
    };
  }, 120_000);

  // Pages left free: from none (the lock and SQLite's -shm fail), through the intent, the temp file and
  // the COMMIT (its WAL growing: the reported case; the search index's pages grow it too), to git and
  // past it; finer where one step ends and the next begins on this layout.
  const levels: Record<Kind, number[]> = {
    heuristic: [0, 4, 8, 12, 14, 16, 20, 24, 28, 30, 32, 34, 40, 48, 56, 64],
    failure: [0, 4, 8, 10, 12, 16, 24, 26, 28, 32, 34, 40, 48, 56, 64],
  };

  it.each(["heuristic", "failure"] as Kind[])(
    "%s: exit 0 and complete, exit 1 and nothing written, or exit 5 and committed by the next command; a retry records it once",
    async (kind) => {
      const seen: string[] = [];
      for (const free of levels[kind].map((pages) => pages * PAGE)) {
        const text = `${kind} with ${free / PAGE} pages free`;
        const before = memoryFiles(dir);
        fillLeaving(filler, free);
        let result: RunResult;
        try {
          result = await runLore(recordArgs(kind, text), { cwd: dir });
        } finally {
          fs.rmSync(filler, { force: true });
        }
        const where = `${text}: exit ${result.code}, stderr ${JSON.stringify(result.stderr)}`;
        seen.push(`${free / PAGE}: ${result.code} ${result.stderr.trim()}`);
        expect(result.signal, where).toBeNull();
        expect([0, 1, 5], where).toContain(result.code);
        if (result.code === 1) {
          expect(result.stderr.trim().split("\n"), where).toHaveLength(1);
          // Nothing written: not a byte of memory/, no row, no commit.
          expect(memoryFiles(dir), where).toEqual(before);
          expect(rowsNamed(dir, text), where).toBe(0);
          expect(commitsNamed(dir, subjectOf(kind, text)), where).toBe(0);
        } else {
          if (result.code === 5) expect(result.stderr, where).toMatch(/recorded .*, but the git commit failed/);
          expect(rowsNamed(dir, text), where).toBe(1);
          expect(occurrences(dir, text), where).toBe(1);
        }

        // With space again, the next command that writes commits a record left at exit 5 (plain sync
        // changes nothing, so it is `sync --fix` here); then a plain sync finds nothing, and no trace of a
        // failed record.
        if (result.code === 5) {
          const next = await runLore(["sync", "--fix"], { cwd: dir });
          expect(next.code, `${where}; sync --fix: ${next.stdout} ${next.stderr}`).toBe(0);
        }
        const sync = await runLore(["sync", "--json"], { cwd: dir });
        expect(sync.code, `${where}; sync: ${sync.stdout} ${sync.stderr}`).toBe(0);
        expect(rowsNamed(dir, text), where).toBe(result.code === 1 ? 0 : 1);
        expect(occurrences(dir, text), where).toBe(result.code === 1 ? 0 : 1);
        expect(invariantViolations(dir), where).toEqual([]);
        if (result.code === 1) {
          const retry = await runLore(recordArgs(kind, text), { cwd: dir });
          expect(retry.code, `${where}; retry: ${retry.stderr}`).toBe(0);
        }
        // Exactly once: in the files, the rows and git.
        expect(rowsNamed(dir, text), where).toBe(1);
        expect(occurrences(dir, text), where).toBe(1);
        expect(commitsNamed(dir, subjectOf(kind, text)), where).toBe(1);
        expect(invariantViolations(dir), where).toEqual([]);
      }
      if (kind === "heuristic") {
        // One of the levels is the reported case: SQLite's COMMIT itself found the disk full.
        expect(
          seen.some((line) => /: 1 .*database or disk is full/.test(line)),
          seen.join("\n"),
        ).toBe(true);
      }
      expect(
        seen.some((line) => /^\d+: 0 $/.test(line)),
        seen.join("\n"),
      ).toBe(true);
    },
    300_000,
  );
});

describe.skipIf(!canMount)("a write the file system takes only part of (a nearly full tmpfs)", () => {
  it("fails with ENOSPC before the rename: the target keeps its bytes, no temp file stays", () => {
    const mountDir = tempDir("lore-short-write-");
    mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs"], mountDir);
    const target = path.join(mountDir, "domain.md");
    fs.writeFileSync(target, "old content\n");
    fillLeaving(path.join(mountDir, "filler"), 4 * PAGE);
    // write(2) takes the first 4 pages of 64 KiB and returns their count, with no error.
    expect(() => writeFileDurably(target, "x".repeat(16 * PAGE))).toThrow(/ENOSPC/);
    expect(fs.readFileSync(target, "utf8")).toBe("old content\n");
    expect(fs.readdirSync(mountDir).sort()).toEqual(["domain.md", "filler"]);
  });

  it("of several files written at once: ENOSPC before any rename, every target keeps its bytes, no temp file stays", async () => {
    const mountDir = tempDir("lore-short-writes-");
    mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs"], mountDir);
    const targets = ["a.md", "b.md", "c.md"].map((name) => path.join(mountDir, name));
    for (const target of targets) fs.writeFileSync(target, `old ${path.basename(target)}\n`);
    fs.chmodSync(targets[0], 0o640);
    fillLeaving(path.join(mountDir, "filler"), 4 * PAGE);
    const temps: string[] = [];
    const writes = targets.map((target, index) => ({
      target,
      content: index === 1 ? "x".repeat(16 * PAGE) : `new ${index}\n`,
      onTempFile: (temp: string) => temps.push(temp),
    }));
    await expect(writeFilesDurably(writes)).rejects.toThrow(/ENOSPC/);
    expect(temps).toHaveLength(3);
    for (const target of targets) expect(fs.readFileSync(target, "utf8")).toBe(`old ${path.basename(target)}\n`);
    expect(fs.readdirSync(mountDir).sort()).toEqual(["a.md", "b.md", "c.md", "filler"]);
    // With room again, all are replaced, each keeping its mode.
    fs.rmSync(path.join(mountDir, "filler"));
    await writeFilesDurably(writes);
    expect(targets.map((target) => fs.readFileSync(target, "utf8"))).toEqual(writes.map((write) => write.content));
    expect(fs.statSync(targets[0]).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(mountDir).sort()).toEqual(["a.md", "b.md", "c.md"]);
  });
});

describe.skipIf(!canMount)("a read-only bind mount", () => {
  it.each(["the journal", "memory/"])(
    "of %s: a record exits non-zero in one line, changes nothing, and does not hang",
    async (which) => {
      const dir = tempDir("lore-read-only-");
      await createJournalIn(dir);
      expect((await runLore(recordArgs("heuristic", "already here"), { cwd: dir })).code).toBe(0);
      const target = which === "memory/" ? path.join(dir, "memory") : dir;
      const before = memoryFiles(dir);
      const rowsBefore = readRows(dir);
      const head = git(dir, ["rev-parse", "HEAD"]);
      mountReadOnly(target);
      for (const kind of ["heuristic", "failure"] as Kind[]) {
        const started = Date.now();
        const result = await runLore([...recordArgs(kind, `read-only ${kind}`), "--lock-timeout", "5"], { cwd: dir });
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(result.code, result.stderr).not.toBe(0);
        expect(result.stderr.trim().split("\n"), result.stderr).toHaveLength(1);
        expect(result.stderr).toMatch(/^lore record-(failure|heuristic): .*(read-only|EROFS)/);
        expect(memoryFiles(dir)).toEqual(before);
        expect(git(dir, ["rev-parse", "HEAD"])).toBe(head);
      }
      unmountAll();
      // SQLite cannot open a WAL database on a read-only mount: its rows are compared once it is writable again.
      expect(readRows(dir)).toEqual(rowsBefore);
      expect((await runLore(["sync"], { cwd: dir })).code).toBe(0);
      expect((await runLore(recordArgs("failure", "writable again"), { cwd: dir })).code).toBe(0);
      expect(invariantViolations(dir)).toEqual([]);
    },
    60_000,
  );
});
