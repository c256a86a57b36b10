// `lore init` as users run it (a real `node bin/lore.js` child process, real
// SQLite, real git): it creates ELF's layout and ELF's schema (tables, columns,
// indexes, validation triggers) plus lore's `lore_id`; its .gitignore entries
// really make git ignore the index, its WAL files, lore's runtime directory and
// temp files, and nothing else; it honours an explicit DIR and `--git` (no
// nested repository); a second run changes nothing; and on an existing ELF
// journal it keeps every file byte for byte and every row, column value and
// foreign table, so that records can then be added to it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { runLore } from "./support/lore.js";
import { git, openDb, tempDir } from "./support/journal.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";
import { ELF_FAILURE_SECTIONS, ELF_SCHEMA } from "./support/elf-format.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

const LEARNINGS_COLUMNS = [
  "id",
  "type",
  "filepath",
  "title",
  "summary",
  "tags",
  "domain",
  "severity",
  "created_at",
  "updated_at",
];
const HEURISTICS_COLUMNS = [
  "id",
  "domain",
  "rule",
  "explanation",
  "source_type",
  "source_id",
  "confidence",
  "times_validated",
  "times_violated",
  "is_golden",
  "created_at",
  "updated_at",
];

function columns(db: BetterSqlite3.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((column) => column.name);
}

/** Each index of `table` as its key columns, `DESC` marked: e.g. "domain,created_at DESC". */
function indexKeys(db: BetterSqlite3.Database, table: string): string[] {
  const indexes = db.prepare(`PRAGMA index_list(${table})`).all() as Array<{ name: string }>;
  return indexes.map((index) =>
    (
      db.prepare(`PRAGMA index_xinfo(${JSON.stringify(index.name)})`).all() as Array<{
        name: string | null;
        desc: number;
        key: number;
      }>
    )
      .filter((column) => column.key === 1)
      .map((column) => `${column.name}${column.desc ? " DESC" : ""}`)
      .join(","),
  );
}

/** The schema (sqlite_master) and the row count of every table: what a second init must not change. */
function dbState(dir: string): { schema: unknown[]; counts: Record<string, number>; rows: Record<string, unknown[]> } {
  const db = openDb(dir);
  try {
    const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all();
    const tables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 11) <> 'sqlite_stat' ORDER BY name",
        )
        .all() as Array<{ name: string }>
    ).map((table) => table.name);
    const counts: Record<string, number> = {};
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) {
      counts[table] = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
      const withoutRowid = /WITHOUT ROWID/i.test(
        String(db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck().get(table)),
      );
      rows[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${withoutRowid ? "1, 2" : "rowid"}`).all();
    }
    return { schema, counts, rows };
  } finally {
    db.close();
  }
}

/** Every path below `dir` (directories marked with a trailing "/") and each file's bytes, except .git and the binary index. */
function snapshot(dir: string, skip: (relative: string) => boolean = () => false): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (child === ".git" || child === "memory/index.db" || skip(child)) continue;
      if (entry.isDirectory()) {
        result.set(`${child}/`, "");
        walk(child);
      } else {
        result.set(child, fs.readFileSync(path.join(dir, child)).toString("base64"));
      }
    }
  };
  walk("");
  return result;
}

/** `git check-ignore` for one path: true when git ignores it (exit 0), false when not (exit 1). */
function ignoredByGit(repo: string, relative: string): boolean {
  const result = spawnSync("git", ["check-ignore", "-q", "--", relative], { cwd: repo, encoding: "utf8" });
  if (result.status !== 0 && result.status !== 1) throw new Error(`git check-ignore failed: ${result.stderr}`);
  return result.status === 0;
}

describe("lore init: a new journal", () => {
  it("creates ELF's directories and database with ELF's tables, columns, indexes and triggers plus lore_id", async () => {
    const dir = tempDir();
    const result = await runLore(["init"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(`Created journal: ${fs.realpathSync(dir)}`);

    for (const sub of ["memory/failures", "memory/heuristics", "memory/successes"]) {
      expect(fs.statSync(path.join(dir, sub)).isDirectory(), sub).toBe(true);
      expect(fs.readdirSync(path.join(dir, sub)), sub).toEqual([]);
    }
    expect(fs.statSync(path.join(dir, "memory", "index.db")).isFile()).toBe(true);
    // Without --git no repository is made.
    expect(fs.existsSync(path.join(dir, ".git"))).toBe(false);

    const db = openDb(dir);
    try {
      expect(columns(db, "learnings")).toEqual([...LEARNINGS_COLUMNS, "lore_id"]);
      expect(columns(db, "heuristics")).toEqual([...HEURISTICS_COLUMNS, "lore_id"]);
      expect(db.prepare("SELECT count(*) AS n FROM learnings").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) AS n FROM heuristics").get()).toEqual({ n: 0 });

      const learningIndexes = indexKeys(db, "learnings");
      for (const key of ["domain", "type", "tags", "created_at DESC", "domain,created_at DESC"]) {
        expect(learningIndexes, key).toContain(key);
      }
      const heuristicIndexes = indexKeys(db, "heuristics");
      for (const key of ["domain", "is_golden", "confidence", "created_at DESC", "domain,confidence DESC"]) {
        expect(heuristicIndexes, key).toContain(key);
      }

      // Valid rows go in, so the failures below are the triggers' doing.
      db.prepare(
        "INSERT INTO learnings(type, filepath, title, severity) VALUES ('failure', 'memory/failures/a.md', 'a', 5)",
      ).run();
      db.prepare("INSERT INTO heuristics(domain, rule, confidence) VALUES ('d', 'r', 1.0)").run();
      const learningDefaults = db.prepare("SELECT severity, created_at, lore_id FROM learnings").get() as Record<
        string,
        unknown
      >;
      expect(learningDefaults.severity).toBe(5);
      expect(learningDefaults.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(learningDefaults.lore_id).toBeNull();
      expect(db.prepare("SELECT confidence, times_validated, times_violated, is_golden FROM heuristics").get()).toEqual(
        {
          confidence: 1,
          times_validated: 0,
          times_violated: 0,
          is_golden: 0,
        },
      );

      expect(() => db.prepare("INSERT INTO learnings(type, filepath, title) VALUES ('bogus', 'f', 't')").run()).toThrow(
        /Invalid learning type/,
      );
      expect(() =>
        db.prepare("INSERT INTO learnings(type, filepath, title, severity) VALUES ('failure', 'f', 't', 9)").run(),
      ).toThrow(/Severity must be between 1 and 5/);
      expect(() =>
        db.prepare("INSERT INTO learnings(type, filepath, title, severity) VALUES ('failure', 'f', 't', 0)").run(),
      ).toThrow(/Severity/);
      expect(() => db.prepare("INSERT INTO heuristics(domain, rule, confidence) VALUES ('d', 'r', 1.5)").run()).toThrow(
        /Confidence must be between 0.0 and 1.0/,
      );
      expect(() =>
        db.prepare("INSERT INTO heuristics(domain, rule, confidence) VALUES ('d', 'r', -0.1)").run(),
      ).toThrow(/Confidence/);
      expect(() =>
        db.prepare("INSERT INTO heuristics(domain, rule, times_validated) VALUES ('d', 'r', -1)").run(),
      ).toThrow(/Validation counts cannot be negative/);
      expect(() => db.prepare("UPDATE learnings SET type = 'bogus'").run()).toThrow(/Invalid learning type/);
      expect(() => db.prepare("UPDATE heuristics SET confidence = 2").run()).toThrow(/Confidence/);
      expect(db.prepare("SELECT count(*) AS n FROM learnings").get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT count(*) AS n FROM heuristics").get()).toEqual({ n: 1 });

      // lore_id is unique where set, and NULL may repeat (ELF's rows have none).
      db.prepare("UPDATE learnings SET lore_id = 'x' WHERE id = 1").run();
      db.prepare("INSERT INTO learnings(type, filepath, title) VALUES ('failure', 'f', 't')").run();
      db.prepare("INSERT INTO learnings(type, filepath, title) VALUES ('failure', 'f', 't')").run();
      expect(() =>
        db.prepare("INSERT INTO learnings(type, filepath, title, lore_id) VALUES ('failure', 'f', 't', 'x')").run(),
      ).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
  });

  it("makes git ignore the index, its WAL files, memory/.lore/ and temp files, and nothing else (--git)", async () => {
    const dir = tempDir();
    const result = await runLore(["init", "--git"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(fs.statSync(path.join(dir, ".git")).isDirectory()).toBe(true);
    expect(git(dir, ["rev-parse", "--show-toplevel"]).trim()).toBe(fs.realpathSync(dir));
    expect(result.stdout).toContain("Initialized a git repository");

    for (const ignored of [
      "memory/index.db",
      "memory/index.db-wal",
      "memory/index.db-shm",
      "memory/index.db-journal",
      "memory/.lore/",
      "memory/.lore/journal.lock",
      "memory/.lore/pending/0123.json",
      "memory/failures/x.md.12345",
      "memory/failures/20251201_lock-race.md.3412863542",
      "memory/heuristics/testing-stuff.md.987",
    ]) {
      expect(ignoredByGit(dir, ignored), ignored).toBe(true);
    }
    for (const kept of [
      ".gitignore",
      "memory/failures/x.md",
      "memory/failures/20251201_lock-race.md",
      "memory/heuristics/testing-stuff.md",
      "memory/successes/s.md",
      "memory/index.md",
    ]) {
      expect(ignoredByGit(dir, kept), kept).toBe(false);
    }

    // And with real files: git status shows the records, not the index or lore's runtime files.
    fs.writeFileSync(path.join(dir, "memory", "failures", "x.md"), "# x\n");
    fs.writeFileSync(path.join(dir, "memory", "failures", "x.md.12345"), "partial");
    fs.writeFileSync(path.join(dir, "memory", ".lore", "pending", "i.json"), "{}");
    const status = git(dir, ["status", "--porcelain", "--untracked-files=all"]).split("\n").filter(Boolean).sort();
    expect(status).toEqual(["?? .gitignore", "?? memory/failures/x.md"]);
  });

  it("keeps an existing .gitignore as a prefix and adds only the missing entries, once", async () => {
    const dir = tempDir();
    // Trailing spaces are insignificant to git, so "memory/.lore/  " already is the entry.
    const existing = "node_modules/\nmemory/index.db\nmemory/.lore/  \n*.log";
    fs.writeFileSync(path.join(dir, ".gitignore"), existing);
    const first = await runLore(["init"], { cwd: dir });
    expect(first.code).toBe(0);
    const after = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    expect(after.startsWith(`${existing}\n`)).toBe(true);
    const lines = after.split("\n").map((line) => line.trim());
    for (const entry of ["memory/index.db", "memory/index.db-wal", "memory/index.db-shm", "memory/.lore/"]) {
      expect(
        lines.filter((line) => line === entry),
        entry,
      ).toHaveLength(1);
    }
    expect(first.stdout).toContain("Added to .gitignore:");
    expect(first.stdout).not.toMatch(/Added to \.gitignore:.* memory\/index\.db( |$)/m);

    const second = await runLore(["init"], { cwd: dir });
    expect(second.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe(after);
    expect(second.stdout).not.toContain(".gitignore");

    git(dir, ["init", "-q"]);
    for (const ignored of [
      "memory/index.db",
      "memory/index.db-wal",
      "memory/.lore/journal.lock",
      "memory/failures/x.md.12345",
    ]) {
      expect(ignoredByGit(dir, ignored), ignored).toBe(true);
    }
  });

  it("does not count an entry with leading whitespace, which git reads as another pattern", async () => {
    const dir = tempDir();
    git(dir, ["init", "-q"]);
    // For git, leading whitespace is part of the pattern: these lines do not ignore memory/index.db or memory/.lore/.
    fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules/\n  memory/.lore/\n\tmemory/index.db\n");
    expect(ignoredByGit(dir, "memory/index.db")).toBe(false);
    const result = await runLore(["init"], { cwd: dir });
    expect(result.code).toBe(0);
    for (const ignored of [
      "memory/index.db",
      "memory/index.db-wal",
      "memory/.lore/journal.lock",
      "memory/.lore/pending/i.json",
    ]) {
      expect(ignoredByGit(dir, ignored), ignored).toBe(true);
    }
  });

  it("takes an explicit DIR, relative to the working directory, creating it when missing", async () => {
    const cwd = tempDir();
    const result = await runLore(["init", "nested/journal"], { cwd });
    expect(result.code).toBe(0);
    const target = path.join(fs.realpathSync(cwd), "nested", "journal");
    expect(result.stdout.split("\n")[0]).toBe(`Created journal: ${target}`);
    for (const sub of ["memory/failures", "memory/heuristics", "memory/successes"]) {
      expect(fs.statSync(path.join(target, sub)).isDirectory(), sub).toBe(true);
    }
    expect(fs.existsSync(path.join(target, "memory", "index.db"))).toBe(true);
    expect(fs.existsSync(path.join(target, ".gitignore"))).toBe(true);
    // Nothing is created in the working directory itself.
    expect(fs.readdirSync(cwd)).toEqual(["nested"]);

    const absolute = path.join(tempDir(), "abs");
    const elsewhere = tempDir();
    const second = await runLore(["init", absolute, "--git"], { cwd: elsewhere });
    expect(second.code).toBe(0);
    expect(second.stdout.split("\n")[0]).toBe(`Created journal: ${absolute}`);
    expect(fs.existsSync(path.join(absolute, "memory", "index.db"))).toBe(true);
    expect(fs.statSync(path.join(absolute, ".git")).isDirectory()).toBe(true);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it("--git inside an existing work tree makes no nested repository", async () => {
    const parent = tempDir();
    git(parent, ["init", "-q"]);
    const child = path.join(parent, "projects", "journal");
    fs.mkdirSync(child, { recursive: true });

    const result = await runLore(["init", "--git"], { cwd: child });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("Initialized a git repository");
    expect(fs.existsSync(path.join(child, ".git"))).toBe(false);
    expect(fs.existsSync(path.join(parent, "projects", ".git"))).toBe(false);
    expect(fs.existsSync(path.join(child, "memory", "index.db"))).toBe(true);
    expect(git(child, ["rev-parse", "--show-toplevel"]).trim()).toBe(fs.realpathSync(parent));
    // The journal's .gitignore works from the parent repository too.
    expect(ignoredByGit(parent, "projects/journal/memory/index.db")).toBe(true);
    expect(ignoredByGit(parent, "projects/journal/memory/failures/x.md.12345")).toBe(true);
    expect(ignoredByGit(parent, "projects/journal/memory/failures/x.md")).toBe(false);

    // Same with an explicit DIR given from outside the repository.
    const other = path.join(parent, "other");
    const explicit = await runLore(["init", other, "--git"], { cwd: tempDir() });
    expect(explicit.code).toBe(0);
    expect(fs.existsSync(path.join(other, ".git"))).toBe(false);
    expect(fs.existsSync(path.join(other, "memory", "index.db"))).toBe(true);
  });

  it("a second run changes nothing and says `Updated journal`", async () => {
    const dir = tempDir();
    const first = await runLore(["init", "--git"], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout.split("\n")[0]).toBe(`Created journal: ${fs.realpathSync(dir)}`);
    const filesBefore = snapshot(dir);
    const dbBefore = dbState(dir);
    const gitignore = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    expect(filesBefore.has(".gitignore")).toBe(true);
    expect(filesBefore.has("memory/failures/")).toBe(true);

    for (let run = 0; run < 2; run++) {
      const again = await runLore(["init", "--git"], { cwd: dir });
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(`Updated journal: ${fs.realpathSync(dir)}\n`);
      expect(snapshot(dir)).toEqual(filesBefore);
      expect(dbState(dir)).toEqual(dbBefore);
      expect(fs.readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe(gitignore);
    }
    const lines = gitignore.split("\n").filter(Boolean);
    expect(new Set(lines).size).toBe(lines.length);
  });
});

const ELF_FAILURE = `# Database locked during parallel writes

**Domain**: Concurrency
**Severity**: 4
**Tags**: sqlite, lock
**Date**: 2025-12-01  # TIME-FIX-3: Use consistent captured date

## Summary

Two hooks wrote at once.

${ELF_FAILURE_SECTIONS.join("\n")}
`;

const ELF_HEURISTICS = `# Heuristics: x

Generated from failures, successes, and observations in the **x** domain.

---

## H-1: Retry on SQLITE_BUSY

**Confidence**: 0.93
**Source**: failure
**Created**: 2025-11-30

Hooks collide under load.

---

## H-2: Use WAL

**Confidence**: 0.6
**Source**: observation
**Created**: 2025-12-01

Readers do not block the writer.

---

`;

/** An ELF base directory built by hand: files, a log, and an ELF database without lore's column. */
function buildElfJournal(): string {
  const dir = tempDir("lore-elf-");
  fs.mkdirSync(path.join(dir, "memory", "failures"), { recursive: true });
  fs.mkdirSync(path.join(dir, "memory", "heuristics"), { recursive: true });
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "memory", "failures", "20251201_database-locked-during-parallel-writes.md"),
    ELF_FAILURE,
  );
  fs.writeFileSync(path.join(dir, "memory", "heuristics", "x.md"), ELF_HEURISTICS);
  fs.writeFileSync(path.join(dir, "logs", "20251201.log"), "[2025-12-01 10:00:00] INFO: Failure recorded\n");
  const db = new Database(path.join(dir, "memory", "index.db"));
  try {
    db.exec(ELF_SCHEMA);
    const learning = db.prepare(
      "INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    learning.run(
      "failure",
      "memory/failures/20251201_database-locked-during-parallel-writes.md",
      "Database locked during parallel writes",
      "Two hooks wrote at once.",
      "sqlite, lock",
      "Concurrency",
      4,
      "2025-12-01 09:00:00",
      "2025-12-01 09:00:00",
    );
    learning.run(
      "observation",
      "auto-observations/obs-1.md",
      "Seen by a hook",
      null,
      null,
      "hooks",
      2,
      "2025-12-02 08:00:00",
      "2025-12-03 08:00:00",
    );
    const heuristic = db.prepare(
      "INSERT INTO heuristics(domain, rule, explanation, source_type, source_id, confidence, times_validated, times_violated, is_golden, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    heuristic.run(
      "x",
      "Retry on SQLITE_BUSY",
      "Hooks collide under load.",
      "failure",
      1,
      0.93,
      7,
      1,
      1,
      "2025-11-30 12:00:00",
      "2025-12-05 12:00:00",
    );
    heuristic.run(
      "x",
      "Use WAL",
      "Readers do not block the writer.",
      "observation",
      null,
      0.6,
      0,
      0,
      0,
      "2025-12-01 12:00:00",
      "2025-12-01 12:00:00",
    );
    db.prepare("INSERT INTO experiments(id, name) VALUES (?, ?)").run(42, "parallel hooks");
    expect(db.pragma("journal_mode", { simple: true })).toBe("delete");
  } finally {
    db.close();
  }
  return dir;
}

describe("lore init: an existing ELF journal", () => {
  it("keeps every file and every row, adds lore_id, and records can then be added", async () => {
    const dir = buildElfJournal();
    const filesBefore = snapshot(dir);
    const before = dbState(dir);
    expect(before.counts).toEqual({ experiments: 1, heuristics: 2, learnings: 2, sqlite_sequence: 2 });

    const init = await runLore(["init"], { cwd: dir });
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(init.stdout.split("\n")[0]).toBe(`Updated journal: ${fs.realpathSync(dir)}`);

    // Every file that was there is byte-identical; lore only added its own.
    const filesAfter = snapshot(dir);
    for (const [file, content] of filesBefore) expect(filesAfter.get(file), file).toBe(content);
    const added = [...filesAfter.keys()].filter((file) => !filesBefore.has(file)).sort();
    expect(added).toEqual([".gitignore", "memory/.lore/", "memory/.lore/pending/", "memory/successes/"]);

    const after = dbState(dir);
    // Every row is kept with all its values; lore_id is added, NULL for ELF's rows.
    for (const table of ["learnings", "heuristics"]) {
      expect(after.rows[table], table).toEqual(
        before.rows[table].map((row) => ({ ...(row as object), lore_id: null })),
      );
    }
    expect(after.rows.experiments).toEqual([{ id: 42, name: "parallel hooks" }]);
    expect(after.rows.sqlite_sequence).toEqual(before.rows.sqlite_sequence);
    const golden = after.rows.heuristics[0] as Record<string, unknown>;
    expect(golden).toMatchObject({
      times_validated: 7,
      times_violated: 1,
      is_golden: 1,
      confidence: 0.93,
      source_id: 1,
    });

    // ELF's own schema objects survive unchanged (the two ELF tables only gain a column).
    const sqlOf = (state: typeof before, name: string) =>
      (state.schema as Array<{ name: string; sql: string | null }>).find((entry) => entry.name === name)?.sql;
    for (const name of [
      "experiments",
      "idx_experiments_name",
      "idx_learnings_domain",
      "idx_learnings_type",
      "learnings_check",
      "idx_heuristics_domain",
    ]) {
      expect(sqlOf(after, name), name).toBe(sqlOf(before, name));
    }
    const db = openDb(dir);
    try {
      expect(columns(db, "learnings")).toEqual([...LEARNINGS_COLUMNS, "lore_id"]);
      expect(columns(db, "heuristics")).toEqual([...HEURISTICS_COLUMNS, "lore_id"]);
      expect(() => db.prepare("INSERT INTO heuristics(domain, rule, confidence) VALUES ('x', 'r', 1.5)").run()).toThrow(
        /Confidence/,
      );
    } finally {
      db.close();
    }

    // A second run still changes nothing.
    const again = await runLore(["init"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`Updated journal: ${fs.realpathSync(dir)}\n`);
    expect(snapshot(dir)).toEqual(filesAfter);
    expect(dbState(dir)).toEqual(after);

    // Records work on the migrated journal and append to ELF's domain file.
    const record = await runLore(["record-heuristic", "--base", dir, "--domain", "x", "--rule", "r", "--no-commit"], {
      cwd: tempDir(),
    });
    expect(record.stderr).toBe("");
    expect(record.code).toBe(0);
    const heuristicsFile = fs.readFileSync(path.join(dir, "memory", "heuristics", "x.md"), "utf8");
    expect(heuristicsFile.startsWith(ELF_HEURISTICS)).toBe(true);
    expect(heuristicsFile.length).toBeGreaterThan(ELF_HEURISTICS.length);
    const blocks = parseHeuristicFile(heuristicsFile);
    expect(blocks.map((block) => [block.id, block.rule, block.loreId === undefined])).toEqual([
      [1, "Retry on SQLITE_BUSY", true],
      [2, "Use WAL", true],
      [3, "r", false],
    ]);

    const final = dbState(dir);
    expect(final.rows.learnings).toEqual(after.rows.learnings);
    expect(final.rows.experiments).toEqual(after.rows.experiments);
    expect(final.rows.heuristics.slice(0, 2)).toEqual(after.rows.heuristics);
    expect(final.rows.heuristics).toHaveLength(3);
    expect(final.rows.heuristics[2]).toMatchObject({ id: 3, domain: "x", rule: "r", lore_id: blocks[2].loreId });
    expect(
      fs.readFileSync(
        path.join(dir, "memory", "failures", "20251201_database-locked-during-parallel-writes.md"),
        "utf8",
      ),
    ).toBe(ELF_FAILURE);
  });
});
