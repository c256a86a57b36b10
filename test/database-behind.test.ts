// A database that fell behind its journal is never taken at its word by a
// record. Each scenario loses what the database knew of the last records, as
// a real fault does, with no lore process running: the WAL deleted, cut short
// or garbled; `index.db` emptied or overwritten with bytes that are no
// database; a domain file holding an `H-<id>` the database lost; a power loss
// after the markdown's fsync but before the COMMIT, with the pending intent
// lost too. The next record must warn in one line, repair the database as
// `lore sync --fix` would (rebuilding a damaged one, kept aside in the
// quarantine), and take an id above every id in use: no second `## H-<id>`,
// no failure id given twice, `lore sync` clean afterwards and every H-id
// matching its row. Real child processes, real SQLite, real git.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, openDb, readRows, tempDir } from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore, type RunResult } from "./support/lore.js";

const WARNING = /^lore: warning: the database was behind the journal/;

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

function memory(dir: string, ...parts: string[]): string {
  return path.join(dir, "memory", ...parts);
}

/** The `H-<id>` headings of a domain file, in order. */
function headingIds(dir: string, domain: string): number[] {
  const text = fs.readFileSync(memory(dir, "heuristics", `${domain}.md`), "utf8");
  return [...text.matchAll(/^## H-(\d+)/gm)].map((match) => Number(match[1]));
}

/** Every `H-<id>` of every domain file. */
function allHeadingIds(dir: string): number[] {
  return fs
    .readdirSync(memory(dir, "heuristics"))
    .filter((name) => name.endsWith(".md"))
    .flatMap((name) => headingIds(dir, name.replace(/\.md$/, "")));
}

/** The one warning line of a record that found the database behind, and its success. */
function repairedWithOneWarning(result: RunResult): void {
  expect(result.code).toBe(0);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(WARNING);
}

async function syncIsClean(dir: string): Promise<void> {
  const report = await runLore(["sync"], { cwd: dir });
  expect({ code: report.code, stdout: report.stdout }).toMatchObject({ code: 0 });
}

/**
 * Runs `records` while a reader holds a snapshot from before them, so that no
 * checkpoint can fold their pages into `index.db`; then leaves the journal as
 * a lore that exited without closing would: `index.db` without them, and
 * `index.db-wal` holding them. (A last connection's close would fold the WAL
 * in and remove it, on any Node version, so the two files are kept aside
 * while the reader still holds them apart.)
 */
async function recordsOnlyInWal(dir: string, records: () => Promise<void>): Promise<void> {
  const reader = openDb(dir);
  reader.prepare("BEGIN").run();
  reader.prepare("SELECT count(*) FROM heuristics").get();
  await records();
  const aside = tempDir("lore-wal-aside-");
  for (const suffix of ["", "-wal"])
    fs.copyFileSync(memory(dir, `index.db${suffix}`), path.join(aside, suffix || "db"));
  reader.prepare("COMMIT").run();
  reader.close();
  fs.copyFileSync(path.join(aside, "db"), memory(dir, "index.db"));
  fs.copyFileSync(path.join(aside, "-wal"), memory(dir, "index.db-wal"));
  fs.rmSync(memory(dir, "index.db-shm"), { force: true });
}

/** A journal with H-1 in the database's main file and H-2, H-3 (and a failure) only in its WAL. */
async function journalWithRecordsInWal(): Promise<string> {
  const dir = await createJournal();
  ok(await recordHeuristic(dir, { domain: "wal", rule: "rule one" }));
  ok(await recordFailure(dir, { title: "first failure", domain: "wal" }));
  await recordsOnlyInWal(dir, async () => {
    ok(await recordHeuristic(dir, { domain: "wal", rule: "rule two" }));
    ok(await recordHeuristic(dir, { domain: "wal", rule: "rule three" }));
    ok(await recordFailure(dir, { title: "second failure", domain: "wal" }));
  });
  expect(fs.statSync(memory(dir, "index.db-wal")).size).toBeGreaterThan(0);
  return dir;
}

/** Records a heuristic in `domain` after the damage: it must repair, then take an id above every id in use. */
async function recordAfterDamage(dir: string, domain: string): Promise<void> {
  const before = allHeadingIds(dir);
  const result = await recordHeuristic(dir, { domain, rule: "rule after the damage" });
  repairedWithOneWarning(result);
  const after = allHeadingIds(dir);
  expect(after).toHaveLength(before.length + 1);
  expect(new Set(after).size).toBe(after.length);
  expect(Math.max(...after)).toBeGreaterThan(Math.max(...before));
  expect(invariantViolations(dir)).toEqual([]);
  await syncIsClean(dir);
  // The next record finds nothing behind.
  ok(await recordHeuristic(dir, { domain, rule: "rule once repaired" }));
  expect(invariantViolations(dir)).toEqual([]);
}

describe("a lost WAL", () => {
  it("deleted: the next record repairs the database and gives no id twice", async () => {
    const dir = await journalWithRecordsInWal();
    fs.rmSync(memory(dir, "index.db-wal"));
    await recordAfterDamage(dir, "wal");
    expect(headingIds(dir, "wal")).toEqual([1, 2, 3, 4, 5]);
  });

  it("truncated: the same", async () => {
    const dir = await journalWithRecordsInWal();
    const wal = memory(dir, "index.db-wal");
    fs.truncateSync(wal, Math.floor(fs.statSync(wal).size / 3));
    await recordAfterDamage(dir, "wal");
    expect(headingIds(dir, "wal")).toEqual([1, 2, 3, 4, 5]);
  });

  it("garbled in the middle: the same", async () => {
    const dir = await journalWithRecordsInWal();
    const wal = memory(dir, "index.db-wal");
    const fd = fs.openSync(wal, "r+");
    fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(fs.statSync(wal).size / 2));
    fs.closeSync(fd);
    await recordAfterDamage(dir, "wal");
    expect(headingIds(dir, "wal")).toEqual([1, 2, 3, 4, 5]);
  });

  it("taking a failure's row: the failure id is not given again", async () => {
    const dir = await journalWithRecordsInWal();
    fs.rmSync(memory(dir, "index.db-wal"));
    const result = await runLore(["record-failure", "--json", "--title", "after the loss", "--domain", "wal"], {
      cwd: dir,
    });
    repairedWithOneWarning(result);
    expect(JSON.parse(result.stdout).id).toBe(3);
    expect(invariantViolations(dir)).toEqual([]);
    await syncIsClean(dir);
  });
});

describe("a damaged index.db in a journal with records", () => {
  for (const [name, damage] of [
    ["zero-length", (file: string) => fs.writeFileSync(file, "")],
    ["headerless", (file: string) => fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0xa5))],
  ] as const) {
    it(`${name}: is quarantined and rebuilt, and no id is given again`, async () => {
      const dir = await createJournal();
      ok(await recordHeuristic(dir, { domain: "damage", rule: "rule one" }));
      ok(await recordHeuristic(dir, { domain: "damage", rule: "rule two" }));
      for (const title of ["first failure", "second failure", "third failure"]) {
        ok(await recordFailure(dir, { title, domain: "damage" }));
      }
      // The third failure is deleted, and its row archived: its id 3 stays issued.
      const third = readRows(dir).learnings[2].filepath;
      git(dir, ["rm", "-q", third]);
      git(dir, ["commit", "-q", "-m", "drop the third failure"]);
      ok(await runLore(["sync", "--fix"], { cwd: dir }));
      expect(readRows(dir).learnings.map((row) => row.id)).toEqual([1, 2]);
      for (const suffix of ["-wal", "-shm"]) fs.rmSync(memory(dir, `index.db${suffix}`), { force: true });
      damage(memory(dir, "index.db"));
      const damagedCopy = fs.readFileSync(memory(dir, "index.db"));

      await recordAfterDamage(dir, "damage");
      expect(headingIds(dir, "damage")).toEqual([1, 2, 3, 4]);
      const quarantine = memory(dir, ".lore", "quarantine");
      const kept = fs.readdirSync(quarantine).map((entry) => path.join(quarantine, entry, "index.db"));
      expect(kept.map((file) => fs.readFileSync(file).equals(damagedCopy))).toEqual([true]);
      const failure = await runLore(["record-failure", "--json", "--title", "fourth failure", "--domain", "damage"], {
        cwd: dir,
      });
      ok(failure);
      // The rebuild gave the failures their ids again in file order; a new one is above every id issued.
      expect(readRows(dir).learnings.map((row) => row.id)).toEqual([1, 2, 4]);
      expect(JSON.parse(failure.stdout).id).toBe(4);
    });
  }
});

describe("a domain file holding an H-<id> the database lacks", () => {
  it("(its row lost, the id watermark too) is not given that id again", async () => {
    const dir = await createJournal();
    ok(await recordHeuristic(dir, { domain: "restored", rule: "rule one" }));
    const db = openDb(dir);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const before = fs.readFileSync(memory(dir, "index.db"));
    ok(await recordHeuristic(dir, { domain: "restored", rule: "rule two" }));
    // The row of H-2 is lost with the WAL; what lore keeps beside the database is gone too.
    fs.writeFileSync(memory(dir, "index.db"), before);
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(memory(dir, `index.db${suffix}`), { force: true });
    fs.rmSync(memory(dir, ".lore"), { recursive: true, force: true });
    await recordAfterDamage(dir, "restored");
    expect(headingIds(dir, "restored")).toEqual([1, 2, 3, 4]);
  });

  it("in another domain than the record's, with no watermark: found by looking at every domain file", async () => {
    const dir = await createJournal();
    ok(await recordHeuristic(dir, { domain: "first", rule: "rule one" }));
    const db = openDb(dir);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const before = fs.readFileSync(memory(dir, "index.db"));
    ok(await recordHeuristic(dir, { domain: "first", rule: "rule two" }));
    fs.writeFileSync(memory(dir, "index.db"), before);
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(memory(dir, `index.db${suffix}`), { force: true });
    fs.rmSync(memory(dir, ".lore"), { recursive: true, force: true });
    await recordAfterDamage(dir, "second");
    expect(headingIds(dir, "second")).toEqual([3, 4]);
  });
});

describe("a power loss after the markdown's fsync, before the COMMIT", () => {
  it("with the pending intent lost: the id watermark tells, and the id is not given again", async () => {
    const dir = await createJournal();
    ok(await recordHeuristic(dir, { domain: "power", rule: "rule one" }));
    const killed = await recordHeuristic(dir, { domain: "power", rule: "rule two" }, { LORE_CRASH_AT: "file-written" });
    expect(killed.signal).toBe("SIGKILL");
    // What the power loss takes: the uncommitted transaction (a kill leaves it
    // out too) and the intent, which is never fsynced. The markdown stays.
    fs.rmSync(memory(dir, ".lore", "pending"), { recursive: true, force: true });
    expect(headingIds(dir, "power")).toEqual([1, 2]);
    expect(readRows(dir).heuristics.map((row) => row.id)).toEqual([1]);

    const result = await recordHeuristic(dir, { domain: "elsewhere", rule: "rule after the power loss" });
    repairedWithOneWarning(result);
    expect(headingIds(dir, "elsewhere")).toEqual([3]);
    expect(readRows(dir).heuristics.map((row) => row.id)).toEqual([1, 2, 3]);
    // The killed record's file was never committed: only git is left to do.
    expect(invariantViolations(dir, { git: false })).toEqual([]);
  });
});

describe("ids the database never committed, on purpose", () => {
  it("a record rolled back by a fault leaves nothing behind for the next record to repair", async () => {
    const dir = await createJournal();
    ok(await recordHeuristic(dir, { domain: "fault", rule: "rule one" }));
    const failed = await recordHeuristic(dir, { domain: "fault", rule: "doomed" }, { LORE_FAULT: "rename:ENOSPC" });
    expect(failed.code).toBe(1);
    ok(await recordHeuristic(dir, { domain: "fault", rule: "rule two" }));
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a record killed before its file was written leaves nothing behind for the next record to repair", async () => {
    const dir = await createJournal();
    ok(await recordHeuristic(dir, { domain: "killed", rule: "rule one" }));
    const killed = await recordHeuristic(dir, { domain: "killed", rule: "doomed" }, { LORE_CRASH_AT: "temp-fsync" });
    expect(killed.signal).toBe("SIGKILL");
    ok(await recordHeuristic(dir, { domain: "killed", rule: "rule two" }));
    expect(invariantViolations(dir)).toEqual([]);
  });
});
