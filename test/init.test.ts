// `lore init` as users run it (a real `node bin/lore.js` child process, real
// SQLite, real git): it creates ELF's record directories, golden-rules.md (once,
// never overwritten) and ELF's whole schema, compared with a fixture of ELF's
// init_db.sql and query.py's lazy tables (every table, column, CHECK, index,
// trigger and seed row; learnings and heuristics refuse exactly what ELF's
// refuse) plus lore's `lore_id`; its .gitignore entries really make git ignore
// the index, its WAL files, lore's runtime directory and temp files, and
// nothing else; it honours an explicit DIR and `--git` (no nested repository);
// a second run changes nothing; on an existing ELF journal it keeps every file
// byte for byte and every row, column value, schema object and foreign table,
// only adding, so that records can then be added to it (and a rebuild keeps
// ELF's other tables); and a committed index.db is untracked by a commit of its
// removal alone, the user's staged changes staying staged, or, where a hook
// refuses, with one warning line.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { runLore } from "./support/lore.js";
import { configureGitIdentity, git, openDb, tempDir } from "./support/journal.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";
import { ELF_FAILURE_SECTIONS, ELF_INIT_DB_SQL, ELF_QUERY_PY_TABLES, ELF_SCHEMA } from "./support/elf-format.js";
import { CURRENT_SCHEMA_VERSION } from "../src/db/schema.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

/** ELF's directories that hold a journal's records, which `lore init` makes. */
const JOURNAL_DIRECTORIES = [
  "memory/failures",
  "memory/heuristics",
  "memory/successes",
  "experiments/active",
  "experiments/completed",
  "cycles",
  "ceo-inbox",
];

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
      const columns = (db.prepare(`SELECT count(*) FROM pragma_table_info(?)`).pluck().get(table) as number) > 1;
      rows[table] = db
        .prepare(`SELECT * FROM "${table}" ORDER BY ${withoutRowid ? (columns ? "1, 2" : "1") : "rowid"}`)
        .all();
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

    for (const sub of JOURNAL_DIRECTORIES) {
      expect(fs.statSync(path.join(dir, sub)).isDirectory(), sub).toBe(true);
      expect(fs.readdirSync(path.join(dir, sub)), sub).toEqual([]);
    }
    // ELF's tooling directories are not a journal's; no .gitkeep anywhere.
    expect(fs.readdirSync(dir).sort()).toEqual([".gitignore", "ceo-inbox", "cycles", "experiments", "memory"]);
    expect(fs.readdirSync(path.join(dir, "experiments")).sort()).toEqual(["active", "completed"]);
    expect(fs.readdirSync(path.join(dir, "memory")).sort()).toEqual([
      ".lore",
      "failures",
      "golden-rules.md",
      "heuristics",
      "index.db",
      "successes",
    ]);
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
    // .gitignore and golden-rules.md are init's, for the user to commit.
    expect(status).toEqual(["?? .gitignore", "?? memory/failures/x.md", "?? memory/golden-rules.md"]);
  });

  it("keeps an existing .gitignore as a prefix and adds only the missing entries, once", async () => {
    const dir = tempDir();
    // Trailing spaces are insignificant to git, so "memory/index.db-wal  " already is the entry; an
    // older lore's "memory/.lore/" matches only a directory, so "memory/.lore" is still added.
    const existing = "node_modules/\nmemory/index.db\nmemory/index.db-wal  \nmemory/.lore/\n*.log";
    fs.writeFileSync(path.join(dir, ".gitignore"), existing);
    const first = await runLore(["init"], { cwd: dir });
    expect(first.code).toBe(0);
    const after = fs.readFileSync(path.join(dir, ".gitignore"), "utf8");
    expect(after.startsWith(`${existing}\n`)).toBe(true);
    const lines = after.split("\n").map((line) => line.trim());
    for (const entry of [
      "memory/index.db",
      "memory/index.db-wal",
      "memory/index.db-shm",
      "memory/index.db-journal",
      "memory/.lore",
      "memory/.lore/",
      "memory/**/*.md.[0-9]*",
    ]) {
      expect(
        lines.filter((line) => line === entry),
        entry,
      ).toHaveLength(1);
    }
    expect(first.stdout).toContain("Added to .gitignore:");
    expect(first.stdout).not.toMatch(/Added to \.gitignore:.* memory\/index\.db(-wal)?( |$)/m);
    expect(first.stdout).toMatch(/Added to \.gitignore:.* memory\/\.lore( |$)/m);

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

  it("makes git ignore memory/.lore also as a symbolic link, so that such a link is never committed", async () => {
    const dir = tempDir();
    expect((await runLore(["init", "--git"], { cwd: dir })).code).toBe(0);
    fs.rmSync(path.join(dir, "memory", ".lore"), { recursive: true });
    fs.symlinkSync(tempDir(), path.join(dir, "memory", ".lore"));
    expect(ignoredByGit(dir, "memory/.lore")).toBe(true);
    const status = git(dir, ["status", "--porcelain", "--untracked-files=all"]).split("\n").filter(Boolean).sort();
    expect(status).toEqual(["?? .gitignore", "?? memory/golden-rules.md"]);
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
    for (const sub of JOURNAL_DIRECTORIES) {
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

  it("takes --base as DIR, as the other commands name the journal, and refuses two directories", async () => {
    const cwd = tempDir();
    const target = path.join(tempDir(), "by-base");
    const result = await runLore(["init", "--base", target], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(`Created journal: ${target}`);
    expect(fs.existsSync(path.join(target, "memory", "index.db"))).toBe(true);
    expect(fs.readdirSync(cwd)).toEqual([]);
    const both = await runLore(["init", "other", "--base", target], { cwd });
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('lore init: base: names another directory than DIR "other": give one of them');
    expect(fs.readdirSync(cwd)).toEqual([]);
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
    expect(added).toEqual([
      ".gitignore",
      "ceo-inbox/",
      "cycles/",
      "experiments/",
      "experiments/active/",
      "experiments/completed/",
      "memory/.lore/",
      "memory/.lore/pending/",
      "memory/golden-rules.md",
      "memory/successes/",
    ]);

    const after = dbState(dir);
    // Every row is kept with all its values; lore_id is added, NULL for ELF's rows.
    for (const table of ["learnings", "heuristics"]) {
      expect(after.rows[table], table).toEqual(
        before.rows[table].map((row) => ({ ...(row as object), lore_id: null })),
      );
    }
    expect(after.rows.experiments).toEqual([{ id: 42, name: "parallel hooks" }]);
    // ELF's other tables are added, empty but for init_db.sql's seed rows.
    expect(after.counts).toMatchObject({ metrics: 0, violations: 0, decisions: 0, invariants: 0 });
    expect(after.rows.db_operations).toEqual([
      { id: 1, operation_count: 0, last_vacuum: null, last_analyze: null, total_vacuums: 0, total_analyzes: 0 },
    ]);
    expect((after.rows.schema_version as Array<{ version: number }>).map((row) => row.version)).toEqual([2]);
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
    // This experiments table has no status column: ELF's index on it is left out, and nothing failed.
    expect(sqlOf(after, "idx_experiments_status")).toBeUndefined();
    expect(sqlOf(after, "idx_metrics_type_name")).toBeDefined();
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

/** The tables of a database, but SQLite's own (sqlite_sequence, sqlite_stat1). */
function tablesOf(db: BetterSqlite3.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
      .pluck()
      .all() as string[]
  ).sort();
}

/** The CHECK constraints of a CREATE TABLE statement, whitespace normalized. */
function checksOf(sql: string): string[] {
  const checks: string[] = [];
  for (let at = sql.search(/CHECK\s*\(/i); at >= 0; ) {
    const open = sql.indexOf("(", at);
    let depth = 0;
    let end = open;
    for (; end < sql.length; end++) {
      if (sql[end] === "(") depth++;
      else if (sql[end] === ")" && --depth === 0) break;
    }
    checks.push(
      sql
        .slice(open + 1, end)
        .replace(/\s+/g, " ")
        .trim(),
    );
    const next = sql.slice(end).search(/CHECK\s*\(/i);
    at = next < 0 ? -1 : end + next;
  }
  return checks;
}

/** Each index of a table by its name (a constraint's automatic index by its columns), with what it indexes. */
function indexShapes(db: BetterSqlite3.Database, table: string): Record<string, unknown> {
  const shapes: Record<string, unknown> = {};
  for (const index of db.prepare(`PRAGMA index_list("${table}")`).all() as Array<{
    name: string;
    unique: number;
    origin: string;
    partial: number;
  }>) {
    const keys = (db.prepare(`PRAGMA index_xinfo("${index.name}")`).all() as Array<Record<string, unknown>>)
      .filter((column) => column.key === 1)
      .map((column) => ({ name: column.name, desc: column.desc, coll: column.coll }));
    const name = index.origin === "c" ? index.name : `${index.origin}:${keys.map((key) => key.name).join(",")}`;
    shapes[name] = { unique: index.unique, partial: index.partial, keys };
  }
  return shapes;
}

function tableSql(db: BetterSqlite3.Database, table: string): string {
  return db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string;
}

function triggersOf(db: BetterSqlite3.Database): Array<{ name: string; table: string }> {
  return db
    .prepare("SELECT name, tbl_name AS \"table\" FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    .all() as Array<{ name: string; table: string }>;
}

/** A database as ELF's init_db.sql and then query.py leave it, in memory. */
function elfReference(): BetterSqlite3.Database {
  const db = new Database(":memory:");
  db.exec(ELF_INIT_DB_SQL);
  db.exec(ELF_QUERY_PY_TABLES);
  return db;
}

describe("lore init: ELF's whole schema", () => {
  it("creates every table, column, CHECK, index, trigger and seed row of ELF's init_db.sql and query.py's two tables", async () => {
    const dir = tempDir();
    expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
    const elf = elfReference();
    const db = openDb(dir);
    try {
      const elfTables = tablesOf(elf);
      expect(elfTables).toHaveLength(22);
      // Every ELF table, and besides them only lore's own.
      expect(tablesOf(db).filter((table) => !table.startsWith("lore_"))).toEqual(elfTables);
      for (const table of elfTables) {
        const want = elf.prepare(`PRAGMA table_xinfo("${table}")`).all();
        const have = db.prepare(`PRAGMA table_xinfo("${table}")`).all() as Array<{ name: string }>;
        const recordTable = table === "learnings" || table === "heuristics";
        // Names, order, types, NOT NULL, defaults and primary keys; the record tables gain lore_id last.
        expect(have.slice(0, want.length), table).toEqual(want);
        expect(
          have.slice(want.length).map((column) => column.name),
          table,
        ).toEqual(recordTable ? ["lore_id"] : []);
        expect(db.prepare(`PRAGMA foreign_key_list("${table}")`).all(), table).toEqual(
          elf.prepare(`PRAGMA foreign_key_list("${table}")`).all(),
        );
        // learnings and heuristics keep lore's definitions: their triggers check what ELF's CHECKs do (next test).
        if (!recordTable) expect(checksOf(tableSql(db, table)), table).toEqual(checksOf(tableSql(elf, table)));
        const elfIndexes = indexShapes(elf, table);
        const loreIndexes = indexShapes(db, table);
        for (const [name, shape] of Object.entries(elfIndexes))
          expect(loreIndexes[name], `${table} ${name}`).toEqual(shape);
        // lore's own indexes on ELF's tables: the lore ids and the failure path.
        expect(
          Object.keys(loreIndexes)
            .filter((name) => !(name in elfIndexes))
            .sort(),
          table,
        ).toEqual(
          table === "learnings"
            ? ["idx_learnings_lore_id", "idx_lore_learnings_filepath"]
            : table === "heuristics"
              ? ["idx_heuristics_lore_id"]
              : [],
        );
      }
      expect(checksOf(tableSql(elf, "assumptions"))).toHaveLength(2);
      expect(checksOf(tableSql(elf, "db_operations"))).toEqual(["id = 1"]);
      // ELF's four validation triggers, on the same tables.
      const loreTriggers = triggersOf(db);
      for (const trigger of triggersOf(elf)) expect(loreTriggers, trigger.name).toContainEqual(trigger);
      expect(triggersOf(elf)).toHaveLength(4);
      // The seed rows.
      const seeds = (database: BetterSqlite3.Database) => ({
        versions: database.prepare("SELECT version, description FROM schema_version").all(),
        operations: database.prepare("SELECT * FROM db_operations").all(),
      });
      expect(seeds(db)).toEqual(seeds(elf));
      expect(seeds(db).versions).toEqual([
        { version: 2, description: "Added building_queries, spike_reports, assumptions, session_summaries tables" },
      ]);
      expect(db.prepare("SELECT applied_at FROM schema_version").pluck().get()).toMatch(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
      );
      // No other table of ELF's holds a row.
      for (const table of elfTables.filter((name) => name !== "schema_version" && name !== "db_operations")) {
        expect(db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get(), table).toBe(0);
      }
      expect(db.prepare("SELECT value FROM lore_meta WHERE key = 'schema_version'").pluck().get()).toBe(
        String(CURRENT_SCHEMA_VERSION),
      );
    } finally {
      db.close();
      elf.close();
    }
  });

  it("learnings and heuristics accept and refuse exactly the values ELF's CHECKs and triggers do", async () => {
    const dir = tempDir();
    expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
    const elf = elfReference();
    const db = openDb(dir);
    const learning = "INSERT INTO learnings(type, filepath, title, severity) VALUES (?, 'f', 't', ?)";
    const heuristic =
      "INSERT INTO heuristics(domain, rule, confidence, times_validated, times_violated) VALUES ('d', 'r', ?, ?, ?)";
    const cases: Array<[string, unknown[]]> = [
      ...(
        [
          ["failure", 3],
          ["observation", 1],
          ["bogus", 3],
          ["failure", 0],
          ["failure", 6],
          ["failure", null],
          ["failure", 5.5],
          ["failure", 0.5],
          ["failure", "3"],
          ["failure", "abc"],
          ["failure", "3abc"],
          ["failure", Buffer.from([1])],
        ] as unknown[][]
      ).map((values): [string, unknown[]] => [learning, values]),
      ...(
        [
          [0.5, 0, 0],
          [1.0, 0, 0],
          [0.0, 0, 0],
          [1.5, 0, 0],
          [-0.1, 0, 0],
          [null, 0, 0],
          ["abc", 0, 0],
          [0.5, -1, 0],
          [0.5, 0, -1],
          [0.5, 0, null],
          [0.5, null, 0],
          [0.5, "x", 0],
        ] as unknown[][]
      ).map((values): [string, unknown[]] => [heuristic, values]),
      ["UPDATE learnings SET type = 'bogus'", []],
      ["UPDATE learnings SET severity = 9", []],
      ["UPDATE learnings SET severity = NULL", []],
      ["UPDATE learnings SET severity = 2", []],
      ["UPDATE heuristics SET confidence = 2", []],
      ["UPDATE heuristics SET times_violated = -1", []],
      ["UPDATE heuristics SET confidence = 0.9, times_validated = 4", []],
    ];
    const outcomes = (database: BetterSqlite3.Database) =>
      cases.map(([sql, values]) => {
        try {
          database.prepare(sql).run(...values);
          return "accepted";
        } catch {
          return "refused";
        }
      });
    try {
      const elfOutcomes = outcomes(elf);
      expect(outcomes(db)).toEqual(elfOutcomes);
      expect(elfOutcomes.filter((outcome) => outcome === "refused").length).toBeGreaterThan(10);
      const rows = (database: BetterSqlite3.Database) => ({
        learnings: database.prepare("SELECT type, severity FROM learnings ORDER BY id").all(),
        heuristics: database
          .prepare("SELECT confidence, times_validated, times_violated FROM heuristics ORDER BY id")
          .all(),
      });
      expect(rows(db)).toEqual(rows(elf));
    } finally {
      db.close();
      elf.close();
    }
  });
});

/** An ELF base directory as ELF's init and tools leave it: every table of init_db.sql and query.py, with rows. */
function buildWholeElfJournal(): string {
  const dir = tempDir("lore-elf-whole-");
  for (const sub of ["memory/failures", "memory/heuristics", "memory/successes", "experiments/active", "ceo-inbox"]) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  }
  fs.writeFileSync(
    path.join(dir, "memory", "failures", "20251201_database-locked-during-parallel-writes.md"),
    ELF_FAILURE,
  );
  fs.writeFileSync(path.join(dir, "memory", "heuristics", "x.md"), ELF_HEURISTICS);
  fs.writeFileSync(path.join(dir, "memory", "golden-rules.md"), ELF_GOLDEN_RULES_A);
  fs.writeFileSync(path.join(dir, "ceo-inbox", "VIOLATION_THRESHOLD_20251201_100000.md"), "# Violations\n");
  const db = new Database(path.join(dir, "memory", "index.db"));
  // ELF's sqlite3 shell does not enforce foreign keys: a cycle below names a heuristic that is not there.
  db.pragma("foreign_keys = OFF");
  try {
    db.exec(ELF_INIT_DB_SQL);
    db.exec(ELF_QUERY_PY_TABLES);
    db.exec("ANALYZE");
    db.prepare(
      "INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity, created_at, updated_at) VALUES ('failure', 'memory/failures/20251201_database-locked-during-parallel-writes.md', 'Database locked during parallel writes', 'Two hooks wrote at once.', 'sqlite, lock', 'Concurrency', 4, '2025-12-01 09:00:00', '2025-12-01 09:00:00')",
    ).run();
    db.prepare(
      "INSERT INTO heuristics(domain, rule, explanation, source_type, confidence, times_validated, times_violated, is_golden) VALUES ('x', 'Retry on SQLITE_BUSY', 'Hooks collide under load.', 'failure', 0.93, 12, 1, 1), ('x', 'Use WAL', 'Readers do not block the writer.', 'observation', 0.6, 0, 0, 0)",
    ).run();
    db.prepare(
      "INSERT INTO experiments(name, hypothesis, folder_path) VALUES ('parallel hooks', 'WAL helps', 'experiments/active/20251201-100000_parallel-hooks')",
    ).run();
    db.prepare(
      "INSERT INTO cycles(experiment_id, cycle_number, try_summary, heuristic_id) VALUES (1, 1, 'tried', 99)",
    ).run();
    db.prepare(
      "INSERT INTO ceo_reviews(title, context, status) VALUES ('Golden Rule Violations Threshold Exceeded', '10 in 7 days', 'pending')",
    ).run();
    db.prepare(
      "INSERT INTO metrics(metric_type, metric_name, metric_value, tags, context) VALUES ('heuristic_consulted', 'consultation', 1, 'heuristic_id:1', '2025-12-01T10:00:00.000000')",
    ).run();
    db.prepare(
      "INSERT INTO violations(rule_id, rule_name, description, session_id) VALUES (1, 'Query before acting', 'skipped it', '20251201-100000')",
    ).run();
    db.prepare(
      "INSERT INTO building_queries(query_type, domain, results_returned) VALUES ('query_by_domain', 'x', 2)",
    ).run();
    db.prepare("INSERT INTO spike_reports(title, topic, findings) VALUES ('Spike', 'sqlite', 'WAL')").run();
    db.prepare(
      "INSERT INTO assumptions(assumption, context, confidence, status) VALUES ('a', 'c', 0.7, 'verified')",
    ).run();
    db.prepare("INSERT INTO session_summaries(session_id, project) VALUES ('s-1', 'lore')").run();
    db.prepare(
      "INSERT INTO decisions(title, context, decision, rationale, domain) VALUES ('Use WAL', 'contention', 'WAL', 'readers', 'db')",
    ).run();
    db.prepare(
      "INSERT INTO invariants(statement, rationale, scope) VALUES ('ids are unique', 'joins', 'module')",
    ).run();
    db.prepare("INSERT INTO workflows(name) VALUES ('wf')").run();
    db.prepare("INSERT INTO workflow_runs(workflow_id, workflow_name, status) VALUES (1, 'wf', 'completed')").run();
    db.prepare("INSERT INTO node_executions(run_id, node_id) VALUES (1, 'n1')").run();
    db.prepare("INSERT INTO trails(location, scent) VALUES ('src/a.ts', 'discovery')").run();
    // ELF's own counters and an older version row: lore must not reset or replace them.
    db.prepare(
      "UPDATE db_operations SET operation_count = 41, total_vacuums = 3, last_vacuum = '2025-11-30 01:00:00'",
    ).run();
    db.prepare("UPDATE schema_version SET applied_at = '2025-10-01 08:00:00', description = 'as ELF left it'").run();
    db.prepare(
      "INSERT INTO schema_version(version, applied_at, description) VALUES (1, '2025-09-01 08:00:00', 'first')",
    ).run();
  } finally {
    db.close();
  }
  return dir;
}

/** Golden rules in format A, as ELF's init.sh writes them. */
const ELF_GOLDEN_RULES_A = `# Golden Rules

Rules every agent follows.

---

## Rule 1: Query before acting

**Confidence**: 0.95
**Source**: init
**Domain**: general

Read the building first.

**Validated**: 12
**Violations**: 0

---

*Promoted rules only.*
`;

describe("lore init: an existing ELF journal with ELF's whole schema", () => {
  it("keeps every row, every schema object and golden-rules.md, and only adds lore's own", async () => {
    const dir = buildWholeElfJournal();
    const filesBefore = snapshot(dir);
    const before = dbState(dir);
    const init = await runLore(["init"], { cwd: dir });
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: "" });

    const filesAfter = snapshot(dir);
    for (const [file, content] of filesBefore) expect(filesAfter.get(file), file).toBe(content);
    expect(fs.readFileSync(path.join(dir, "memory", "golden-rules.md"), "utf8")).toBe(ELF_GOLDEN_RULES_A);

    const after = dbState(dir);
    for (const [table, rows] of Object.entries(before.rows)) {
      const expected =
        table === "learnings" || table === "heuristics"
          ? rows.map((row) => ({ ...(row as object), lore_id: null }))
          : rows;
      expect(after.rows[table], table).toEqual(expected);
    }
    expect(Object.keys(before.rows).length).toBeGreaterThan(20);
    type SchemaEntry = { type: string; name: string; sql: string | null };
    const beforeSchema = before.schema as SchemaEntry[];
    const afterSchema = after.schema as SchemaEntry[];
    for (const entry of beforeSchema) {
      const now = afterSchema.find((candidate) => candidate.name === entry.name);
      if (entry.name === "learnings" || entry.name === "heuristics") {
        // ALTER TABLE ADD COLUMN: the same definition with lore_id at its end.
        expect(now?.sql?.replace(/, lore_id TEXT\)$/, ")"), entry.name).toBe(entry.sql);
      } else {
        expect(now, entry.name).toEqual(entry);
      }
    }
    const added = afterSchema.filter((entry) => !beforeSchema.some((old) => old.name === entry.name));
    expect(added.map((entry) => entry.name).filter((name) => !/lore/.test(name))).toEqual([]);
    expect(added.length).toBeGreaterThan(5);

    // A second run changes nothing, and records work.
    const again = await runLore(["init"], { cwd: dir });
    expect(again.stdout).toBe(`Updated journal: ${fs.realpathSync(dir)}\n`);
    expect(dbState(dir)).toEqual(after);
    const record = await runLore(["record-failure", "--title", "After ELF", "--domain", "x", "--no-commit"], {
      cwd: dir,
    });
    expect({ code: record.code, stderr: record.stderr }).toEqual({ code: 0, stderr: "" });
    // The counters ELF's hooks kept in the database alone are the one thing to fold into the journal.
    const sync = await runLore(["sync"], { cwd: dir });
    expect({ code: sync.code, stdout: sync.stdout }).toMatchObject({
      code: 3,
      stdout: expect.stringMatching(/^feedback-db-only memory\/index\.db: .*\n1 finding\(s\)/),
    });
    expect((await runLore(["sync", "--fix", "--no-commit"], { cwd: dir })).code).toBe(0);
    expect((await runLore(["sync", "--no-commit"], { cwd: dir })).code).toBe(0);
  });

  it("a sync --rebuild keeps ELF's other tables with their definitions and every row", async () => {
    const dir = buildWholeElfJournal();
    expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
    const before = dbState(dir);
    const rebuild = await runLore(["sync", "--rebuild"], { cwd: dir });
    expect({ code: rebuild.code, stderr: rebuild.stderr }).toEqual({ code: 0, stderr: "" });
    const after = dbState(dir);
    for (const [table, rows] of Object.entries(before.rows)) {
      if (table.startsWith("lore_") || table === "learnings" || table === "heuristics" || table.startsWith("sqlite_"))
        continue;
      expect(after.rows[table], table).toEqual(rows);
    }
    // The cycle row's heuristic_id points at no heuristic: carried over as it was.
    expect(after.rows.cycles).toHaveLength(1);
    expect(after.rows.db_operations).toEqual(before.rows.db_operations);
  });
});

describe("lore init: memory/golden-rules.md", () => {
  it("is written once, in the format record-violation.sh reads, with no rule; never overwritten", async () => {
    const dir = tempDir();
    const first = await runLore(["init", "--json"], { cwd: dir });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ createdGoldenRules: true });
    const file = path.join(dir, "memory", "golden-rules.md");
    const header = fs.readFileSync(file, "utf8");
    const lines = header.split("\n");
    expect(lines[0]).toBe("# Golden Rules");
    expect(header.endsWith("\n---\n")).toBe(true);
    // No rule: nothing that record-violation.sh lists (`^## [0-9]`), no other heading either.
    expect(lines.filter((line) => line.startsWith("#"))).toEqual(["# Golden Rules"]);

    // A rule promoted in format B reads as record-violation.sh reads it: the line after `## <N>.`.
    const rule =
      "\n## 1. Query first\n> Query the building before any task.\n\n**Why:** history\n**Promoted:** 2025-12-01\n**Validations:** 12\n\n---\n";
    fs.appendFileSync(file, rule);
    const withRule = fs.readFileSync(file, "utf8").split("\n");
    const heading = withRule.findIndex((line) => /^## 1\./.test(line));
    expect(withRule[heading + 1].replace(/^> /, "")).toBe("Query the building before any task.");
    expect(withRule.filter((line) => /^## [0-9]/.test(line))).toEqual(["## 1. Query first"]);

    const second = await runLore(["init", "--json"], { cwd: dir });
    expect(JSON.parse(second.stdout)).toMatchObject({ createdGoldenRules: false });
    expect(fs.readFileSync(file, "utf8")).toBe(header + rule);

    // Emptied by hand, it stays empty; replaced by a link, nothing is written through it.
    fs.writeFileSync(file, "");
    expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe("");
    fs.rmSync(file);
    const elsewhere = path.join(tempDir(), "rules.md");
    fs.symlinkSync(elsewhere, file);
    expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(elsewhere)).toBe(false);
    expect(fs.readdirSync(path.join(dir, "memory", ".lore")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

/** A repository whose journal's index.db (and its WAL) was committed, and a user with changes staged and not. */
async function journalWithTrackedDatabase(subdirectory = ""): Promise<{ repo: string; dir: string }> {
  const repo = tempDir("lore-tracked-db-");
  git(repo, ["init", "-q"]);
  configureGitIdentity(repo);
  const dir = path.join(repo, subdirectory);
  fs.mkdirSync(dir, { recursive: true });
  expect((await runLore(["init"], { cwd: dir })).code).toBe(0);
  expect(
    (
      await runLore(["record-failure", "--title", "Kept", "--domain", "d", "--summary", "s", "--no-commit"], {
        cwd: dir,
      })
    ).code,
  ).toBe(0);
  fs.writeFileSync(path.join(repo, "notes.txt"), "v1\n");
  // As ELF's scripts did: the database with its WAL committed, .gitignore notwithstanding. Whether
  // SQLite left a WAL when lore exited depends on whether the connection was closed at exit (Node 22
  // may close it, and the last close checkpoints and deletes the WAL), so an empty one stands in.
  const databaseFiles = ["index.db", "index.db-wal"].map((name) => path.join(dir, "memory", name));
  if (!fs.existsSync(databaseFiles[1])) fs.writeFileSync(databaseFiles[1], "");
  git(repo, ["add", "-A"]);
  git(repo, ["add", "-f", "--", ...databaseFiles]);
  git(repo, ["commit", "-q", "-m", "ELF journal"]);
  fs.writeFileSync(path.join(repo, "notes.txt"), "v2 staged\n");
  fs.writeFileSync(path.join(repo, "new.txt"), "new, staged\n");
  git(repo, ["add", "notes.txt", "new.txt"]);
  fs.writeFileSync(path.join(repo, "notes.txt"), "v3 not staged\n");
  return { repo, dir };
}

function databaseRows(dir: string): unknown[] {
  const db = openDb(dir);
  try {
    return db.prepare("SELECT id, title, lore_id FROM learnings ORDER BY id").all();
  } finally {
    db.close();
  }
}

describe("lore init: a memory/index.db tracked in git", () => {
  it("is untracked by a commit of its removal alone; the user's staged changes stay staged; the file stays", async () => {
    const { repo, dir } = await journalWithTrackedDatabase();
    const head = git(repo, ["rev-parse", "HEAD"]).trim();
    const stagedBefore = git(repo, ["diff", "--cached", "--", "notes.txt", "new.txt"]);
    const unstagedBefore = git(repo, ["diff", "--", "notes.txt"]);
    const rows = databaseRows(dir);

    const init = await runLore(["init", "--json"], { cwd: dir });
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: "" });
    const json = JSON.parse(init.stdout);
    expect(json.untracked).toEqual(["memory/index.db", "memory/index.db-wal"]);
    const commit = git(repo, ["rev-parse", "HEAD"]).trim();
    expect(json.untrackCommit).toBe(commit);

    // One commit on top of the old HEAD, removing exactly the two files.
    expect(git(repo, ["rev-parse", "HEAD^"]).trim()).toBe(head);
    expect(git(repo, ["log", "-1", "--format=%s"]).trim()).toBe("init: stop tracking memory/index.db");
    expect(git(repo, ["show", "--name-status", "--format=", "HEAD"]).trim().split("\n")).toEqual([
      "D\tmemory/index.db",
      "D\tmemory/index.db-wal",
    ]);
    // git tracks them no more and ignores them now; they are still there, with every row.
    expect(git(repo, ["ls-files", "--", "memory"]).trim().split("\n")).not.toContain("memory/index.db");
    expect(git(repo, ["ls-files", "--", "memory/index.db", "memory/index.db-wal"]).trim()).toBe("");
    expect(fs.existsSync(path.join(dir, "memory", "index.db"))).toBe(true);
    expect(databaseRows(dir)).toEqual(rows);
    // The user's staged changes are still staged, exactly, and out of lore's commit; the unstaged one too.
    expect(git(repo, ["diff", "--cached", "--", "notes.txt", "new.txt"])).toBe(stagedBefore);
    expect(git(repo, ["diff", "--cached", "--name-only"]).trim().split("\n")).toEqual(["new.txt", "notes.txt"]);
    expect(git(repo, ["diff", "--", "notes.txt"])).toBe(unstagedBefore);
    expect(git(repo, ["status", "--porcelain", "--", "memory"]).trim()).toBe("");

    // Said in plain text too, and only once.
    const again = await runLore(["init"], { cwd: dir });
    expect(again.stdout).toBe(`Updated journal: ${fs.realpathSync(dir)}\n`);
    expect(git(repo, ["rev-parse", "HEAD"]).trim()).toBe(commit);
  });

  it("says so in text, for a journal in a subdirectory of the repository", async () => {
    const { repo, dir } = await journalWithTrackedDatabase("team/journal");
    const init = await runLore(["init"], { cwd: dir });
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: "" });
    const commit = git(repo, ["rev-parse", "HEAD"]).trim();
    expect(init.stdout.split("\n")).toContain(
      `Stopped git tracking team/journal/memory/index.db team/journal/memory/index.db-wal (commit ${commit}); the file stays`,
    );
    expect(git(repo, ["show", "--name-only", "--format=", "HEAD"]).trim().split("\n")).toEqual([
      "team/journal/memory/index.db",
      "team/journal/memory/index.db-wal",
    ]);
    expect(git(repo, ["diff", "--cached", "--name-only"]).trim().split("\n")).toEqual(["new.txt", "notes.txt"]);
  });

  it("where a hook refuses the commit: one warning line, exit 0, and git's index and HEAD as they were", async () => {
    const { repo, dir } = await journalWithTrackedDatabase();
    const hook = path.join(repo, ".git", "hooks", "pre-commit");
    fs.writeFileSync(hook, "#!/bin/sh\necho 'no commits today' >&2\nexit 1\n");
    fs.chmodSync(hook, 0o755);
    const head = git(repo, ["rev-parse", "HEAD"]).trim();
    const index = git(repo, ["ls-files", "-s"]);
    const init = await runLore(["init"], { cwd: dir });
    expect(init.code).toBe(0);
    const warning = init.stderr.split("\n").filter((line) => line !== "");
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /^lore: warning: could not stop git tracking memory\/index\.db \(.*no commits today.*\)/,
    );
    expect(init.stdout).not.toContain("Stopped");
    expect(git(repo, ["rev-parse", "HEAD"]).trim()).toBe(head);
    expect(git(repo, ["ls-files", "-s"])).toBe(index);
    expect(fs.readdirSync(path.join(dir, "memory", ".lore")).filter((name) => name.includes("index"))).toEqual([]);

    // Once the hook lets it, the next init untracks it.
    fs.rmSync(hook);
    const retry = await runLore(["init"], { cwd: dir });
    expect({ code: retry.code, stderr: retry.stderr }).toEqual({ code: 0, stderr: "" });
    expect(retry.stdout).toContain("Stopped git tracking memory/index.db memory/index.db-wal");
  });

  it("an index.db staged but never committed is only unstaged: no commit", async () => {
    const repo = tempDir();
    git(repo, ["init", "-q"]);
    configureGitIdentity(repo);
    expect((await runLore(["init"], { cwd: repo })).code).toBe(0);
    git(repo, ["add", "-f", "memory/index.db"]);
    const init = await runLore(["init", "--json"], { cwd: repo });
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(init.stdout)).toMatchObject({ untracked: ["memory/index.db"], untrackCommit: null });
    expect(git(repo, ["ls-files"]).trim()).toBe("");
    expect(spawnSync("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: repo }).status).not.toBe(0);
  });
});
