// `lore query` and `lore context` write nothing and wait for nothing:
// - on a read-only bind mount of the journal, with the WAL's -wal and -shm
//   there (commits still in the WAL) and without them (a WAL database closed
//   cleanly; a rollback-journal database, as ELF's init leaves it), every
//   mode exits 0 and the journal's bytes, names and modes stay as they were;
// - on a writable journal, the database's bytes and mode stay as they were,
//   and no file appears but SQLite's own -wal and -shm (no telemetry table,
//   no chmod, as query.py made);
// - beside 10 writers, every query exits 0 with one snapshot (its counts
//   agree with each other), and while another process holds the journal
//   lock a query does not wait for it;
// - every read of one run is in one snapshot: a write committed between two
//   of its statements is seen by neither.
// Mounting needs root (CAP_SYS_ADMIN); elsewhere those tests are skipped, and
// say why. Real child processes, real SQLite, real git.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createJournal, openDb, tempDir } from "./support/journal.js";
import { createElfJournal } from "./support/elf-journal.js";
import { holdJournalLock, recordFailure, recordHeuristic, runLore } from "./support/lore.js";
import { mountReadOnly, unmountAll, whyCannotMount } from "./support/mounts.js";
import { journalLayout } from "../src/journal/layout.js";
import { openReadJournal, type ReadJournal } from "../src/read/read-journal.js";
import { answerQuery } from "../src/read/query-answer.js";
import { queryInput } from "../src/read/query-input.js";
import { buildContext } from "../src/read/context.js";

const cannotMount = whyCannotMount();
if (cannotMount !== undefined) console.warn(`query-isolation.test.ts: read-only mount tests skipped: ${cannotMount}`);

afterEach(unmountAll);

/** Every mode of lore query, and lore context. */
const EVERY_MODE: string[][] = [
  ["query", "--context", "--domain", "api", "--tags", "http"],
  ["query", "--golden-rules"],
  ["query", "--decisions", "--domain", "api"],
  ["query", "--spikes"],
  ["query", "--assumptions"],
  ["query", "--invariants"],
  ["query", "--domain", "api", "--format", "json"],
  ["query", "--domain", "database", "--format", "csv"],
  ["query", "--tags", "http"],
  ["query", "--recent", "5", "--days", "36500", "--format", "json"],
  ["query", "--experiments"],
  ["query", "--ceo-reviews"],
  ["query", "--stats", "--format", "json"],
  ["query", "--violations"],
  ["query", "--accountability-banner"],
  ["context", "--task", "the api timed out", "--domain", "api", "--json"],
];

/** Every name under `dir` (but .git) with its mode and the hash of its bytes; `skip` names are left out. */
function treeOf(dir: string, skip: (name: string) => boolean = () => false): Map<string, string> {
  const tree = new Map<string, string>();
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      const name = path.relative(dir, full);
      if (entry.name === ".git" || skip(entry.name)) continue;
      const mode = (fs.statSync(full).mode & 0o7777).toString(8);
      if (entry.isDirectory()) {
        tree.set(`${name}/`, mode);
        walk(full);
      } else {
        tree.set(name, `${mode} ${crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex")}`);
      }
    }
  };
  walk(dir);
  return tree;
}

/** Runs every mode on `dir`; `--stats` must count `learnings` rows. */
async function runEveryMode(dir: string, learnings: number): Promise<void> {
  for (const args of EVERY_MODE) {
    const result = await runLore([...args, "--base", dir], { cwd: tempDir() });
    expect(result.stderr, args.join(" ")).toBe("");
    expect(result.code, args.join(" ")).toBe(0);
  }
  const stats = await runLore(["query", "--stats", "--format", "json", "--base", dir], { cwd: tempDir() });
  expect(JSON.parse(stats.stdout)).toMatchObject({ total_learnings: learnings });
}

/** Opens the database, reads, and closes it: the last connection folds the WAL in and removes -wal and -shm. */
function closeCleanly(dir: string): void {
  const db = openDb(dir);
  db.prepare("SELECT count(*) FROM learnings").get();
  db.close();
}

/** The learnings of loreJournalWithWal's journal, and of ELF's (support/elf-journal.ts). */
const LEARNINGS = 1;
const ELF_LEARNINGS = 8;

async function loreJournalWithWal(): Promise<string> {
  const dir = await createJournal();
  expect((await recordFailure(dir, { title: "API timed out", domain: "api", tags: "http" })).code).toBe(0);
  expect((await recordHeuristic(dir, { domain: "api", rule: "Set a deadline" })).code).toBe(0);
  return dir;
}

describe.skipIf(cannotMount !== undefined)("on a read-only bind mount, every mode exits 0 and changes nothing", () => {
  it("a lore journal whose -wal and -shm are there, with commits in the WAL", async () => {
    const dir = await loreJournalWithWal();
    expect(fs.statSync(path.join(dir, "memory", "index.db-wal")).size).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, "memory", "index.db-shm"))).toBe(true);
    const before = treeOf(dir);
    mountReadOnly(dir);
    await runEveryMode(dir, LEARNINGS);
    expect(treeOf(dir)).toEqual(before);
  });

  it("a lore journal without -wal and -shm (closed cleanly)", async () => {
    const dir = await loreJournalWithWal();
    closeCleanly(dir);
    expect(fs.existsSync(path.join(dir, "memory", "index.db-wal"))).toBe(false);
    const before = treeOf(dir);
    mountReadOnly(dir);
    await runEveryMode(dir, LEARNINGS);
    expect(treeOf(dir)).toEqual(before);
  });

  it("a journal as ELF leaves it (rollback journal, ELF's schema only)", async () => {
    const dir = tempDir("lore-query-ro-elf-");
    createElfJournal(dir);
    const before = treeOf(dir);
    mountReadOnly(dir);
    await runEveryMode(dir, ELF_LEARNINGS);
    expect(treeOf(dir)).toEqual(before);
  });
});

describe("on a writable journal", () => {
  it("the database's bytes, its mode and its schema stay; only SQLite's -wal and -shm may appear", async () => {
    const dir = await loreJournalWithWal();
    closeCleanly(dir);
    const database = path.join(dir, "memory", "index.db");
    fs.chmodSync(database, 0o644);
    const sqliteOwn = (name: string) => name === "index.db-wal" || name === "index.db-shm";
    const before = treeOf(dir, sqliteOwn);
    await runEveryMode(dir, LEARNINGS);
    expect(Object.fromEntries(treeOf(dir, sqliteOwn))).toEqual(Object.fromEntries(before));
  });

  it("an ELF database: no telemetry row or table, no lazy table, no WAL switch", async () => {
    const dir = tempDir("lore-query-elf-rw-");
    createElfJournal(dir);
    const before = treeOf(dir);
    await runEveryMode(dir, ELF_LEARNINGS);
    expect(treeOf(dir)).toEqual(before);
  });
});

describe("beside writers", () => {
  it("10 records at once: every query exits 0 and sees one snapshot", async () => {
    const dir = await createJournal();
    let writersDone = false;
    const writers = Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        recordFailure(dir, { title: `Parallel ${i}`, domain: `d${i % 3}`, tags: "x" }),
      ),
    ).finally(() => {
      writersDone = true;
    });
    const seen: number[] = [];
    while (!writersDone || seen.length < 3) {
      const result = await runLore(["query", "--stats", "--format", "json", "--base", dir], { cwd: dir });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const stats = JSON.parse(result.stdout) as {
        total_learnings: number;
        learnings_by_type: Record<string, number>;
        learnings_by_domain: Record<string, number>;
      };
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      expect(sum(stats.learnings_by_type)).toBe(stats.total_learnings);
      expect(sum(stats.learnings_by_domain)).toBe(stats.total_learnings);
      seen.push(stats.total_learnings);
    }
    for (const result of await writers) expect(result.code, result.stderr).toBe(0);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const last = await runLore(["query", "--recent", "100", "--format", "json", "--base", dir], { cwd: dir });
    expect(JSON.parse(last.stdout)).toHaveLength(10);
  }, 120_000);

  it("does not wait for the journal lock another process holds", async () => {
    const dir = await loreJournalWithWal();
    const holder = await holdJournalLock(journalLayout(dir).lockDir);
    try {
      for (const args of [
        ["query", "--stats"],
        ["query", "--context"],
        ["context", "--task", "x"],
      ]) {
        const started = Date.now();
        const result = await runLore([...args, "--base", dir], { cwd: dir, env: { LORE_LOCK_TIMEOUT: "20" } });
        expect(result.code, result.stderr).toBe(0);
        expect(Date.now() - started, args.join(" ")).toBeLessThan(10_000);
      }
    } finally {
      holder.kill("SIGKILL");
    }
  }, 60_000);
});

/** Commits `write` through another connection right after the `after`-th statement `journal` prepares. */
function writeBetweenStatements(
  journal: ReadJournal,
  dir: string,
  after: number,
  write: (db: BetterSqlite3.Database) => void,
): void {
  const prepare = journal.sqlite.prepare.bind(journal.sqlite);
  let prepared = 0;
  journal.sqlite.prepare = ((sql: string) => {
    const statement = prepare(sql);
    if (++prepared === after) {
      const writer = openDb(dir);
      try {
        write(writer);
      } finally {
        writer.close();
      }
    }
    return statement;
  }) as typeof journal.sqlite.prepare;
}

describe("one snapshot per run", () => {
  const addFailure = (db: BetterSqlite3.Database) =>
    db
      .prepare(
        "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity) VALUES ('failure', 'memory/failures/late.md', 'Late', 'late', 'x', 'late', 3)",
      )
      .run();

  it("--stats: a failure committed between its statements is in none of its counts", async () => {
    const dir = await loreJournalWithWal();
    for (const after of [3, 5, 8]) {
      const journal = openReadJournal(journalLayout(dir));
      try {
        // The read transaction starts at the first read: a statement prepared before that only reads the schema.
        journal.snapshot(() => journal.sqlite.prepare("SELECT 1 FROM learnings LIMIT 1").get());
        writeBetweenStatements(journal, dir, after, addFailure);
        const input = queryInput({ stats: true, format: "json" });
        const stats = JSON.parse(answerQuery(journal, input, "stats", new Date()).stdout);
        const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
        expect(sum(stats.learnings_by_type), `write after statement ${after}`).toBe(stats.total_learnings);
        expect(sum(stats.learnings_by_domain), `write after statement ${after}`).toBe(stats.total_learnings);
      } finally {
        journal.close();
      }
    }
  });

  it("the briefing: a golden heuristic committed between its reads is in none of them", async () => {
    const dir = await loreJournalWithWal();
    const journal = openReadJournal(journalLayout(dir));
    try {
      // Statement 1 reads the golden heuristics; the write lands before statement 2 (the domain's heuristics) runs.
      writeBetweenStatements(journal, dir, 2, (db) =>
        db
          .prepare(
            "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence, times_validated, is_golden) VALUES ('api', 'Late golden rule', '', 'x', 0.99, 20, 1)",
          )
          .run(),
      );
      const briefing = buildContext(journal, { domain: "api", maxTokens: 5000, color: false });
      expect(briefing.text).not.toContain("Late golden rule");
    } finally {
      journal.close();
    }
  });
});
