// The search index as part of the journal's promise: a record is in the index
// the moment it is acknowledged, and after a `lore sync --rebuild`; ELF's own
// tools (python3's sqlite3 module, the sqlite3 shell) change the index in the
// same transaction as the row, an aborted one included; the migration to
// schema version 5 indexes every row already there, and one killed midway is
// completed by the next command; the one to version 10 drops the rank
// indexes of versions 5 to 9, and a search still finds every record. sync's
// findings about the index are tested in sync.test.ts, the index through
// SIGKILL at every step of a record in crash-recovery.test.ts (both through
// invariantViolations).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  asOneTableIndex,
  createJournal,
  invariantViolations,
  openDb,
  readRows,
  runSql,
  tempDir,
} from "./support/journal.js";
import { recordFailure, recordHeuristic, runLore, runProcess, toFlags } from "./support/lore.js";
import { searchIndexViolations } from "./support/search-index-check.js";
import { generateJournal } from "./support/synthetic-journal.js";
import { ELF_SCHEMA } from "./support/elf-format.js";
import { SEARCH_TRIGGERS } from "../src/db/search-index.js";
import { CURRENT_SCHEMA_VERSION } from "../src/db/schema.js";

/** The entries that match `query`, `learnings <id>` then `heuristics <id>`, each table's in id order. */
function matches(dir: string, query: string): string[] {
  const db = openDb(dir);
  try {
    return (["learnings", "heuristics"] as const).flatMap((table) =>
      (
        db
          .prepare(`SELECT rowid FROM lore_search_${table} WHERE lore_search_${table} MATCH ? ORDER BY rowid`)
          .pluck()
          .all(query) as number[]
      ).map((id) => `${table} ${id}`),
    );
  } finally {
    db.close();
  }
}

function indexViolations(dir: string): string[] {
  const db = openDb(dir);
  try {
    return searchIndexViolations(db);
  } finally {
    db.close();
  }
}

describe("a record is searchable once acknowledged", () => {
  it("a failure and a heuristic are found by MATCH right after exit 0, and after lore sync --rebuild", async () => {
    const dir = await createJournal();
    expect((await recordFailure(dir, { title: "Zeppelin mooring failed", domain: "Airships" })).code).toBe(0);
    const [failure] = readRows(dir).learnings;
    expect(matches(dir, "zeppelin")).toEqual([`learnings ${failure.id}`]);
    expect(
      (await recordHeuristic(dir, { domain: "Airships", rule: "Check the mast", explanation: "Café winds" })).code,
    ).toBe(0);
    const [heuristic] = readRows(dir).heuristics;
    // Diacritics removed: "cafe" finds "Café".
    expect(matches(dir, "cafe")).toEqual([`heuristics ${heuristic.id}`]);
    expect(matches(dir, "airships")).toEqual([`learnings ${failure.id}`, `heuristics ${heuristic.id}`]);

    const rebuild = await runLore(["sync", "--rebuild"], { cwd: dir });
    expect(rebuild.code, rebuild.stdout + rebuild.stderr).toBe(0);
    const rows = readRows(dir);
    expect(matches(dir, "zeppelin")).toEqual([`learnings ${rows.learnings[0].id}`]);
    expect(matches(dir, "cafe")).toEqual([`heuristics ${rows.heuristics[0].id}`]);
    expect(invariantViolations(dir)).toEqual([]);
    const full = await runLore(["sync", "--full"], { cwd: dir });
    expect(full.code, full.stdout).toBe(0);
  });
});

/** How each of ELF's tools runs SQL statements on a database, and whether it is here. */
const ELF_TOOLS = {
  python3: {
    run: (db: string, statements: string[]) =>
      runProcess(
        "python3",
        [
          "-c",
          [
            "import sqlite3, sys",
            "con = sqlite3.connect(sys.argv[1], isolation_level=None)",
            "for statement in sys.argv[2:]:",
            "    for row in con.execute(statement).fetchall(): print('|'.join(str(v) for v in row))",
          ].join("\n"),
          db,
          ...statements,
        ],
        { cwd: path.dirname(db) },
      ),
    absent: () => absence("python3", ["-c", "import sqlite3"]),
  },
  sqlite3: {
    run: (db: string, statements: string[]) =>
      runProcess("sqlite3", ["-bail", db, statements.map((statement) => `${statement};`).join("\n")], {
        cwd: path.dirname(db),
      }),
    absent: () => absence("sqlite3", ["-version"]),
  },
} as const;

/** Why `command` cannot run here, or undefined when it can. */
function absence(command: string, args: string[]): string | undefined {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const INSERT_FAILURE =
  "INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity) VALUES ('failure', 'memory/failures/20250101_quokka.md', 'Quokka escaped', 'Seen at dawn', 'marsupial', 'fauna', 3)";
const INSERT_HEURISTIC =
  "INSERT INTO heuristics(domain, rule, explanation, source_type) VALUES ('fauna', 'Count the wombats', 'They hide', 'observation')";

describe.each(Object.keys(ELF_TOOLS) as Array<keyof typeof ELF_TOOLS>)("ELF's own tools: %s", (name) => {
  const tool = ELF_TOOLS[name];
  const absent = tool.absent();
  if (absent !== undefined) {
    it.skip(`skipped: ${name} cannot run here (${absent})`, () => {});
    return;
  }
  it("inserts, updates and deletes change the index in the row's own transaction; a rolled-back one leaves it", async () => {
    const dir = await createJournal();
    const db = path.join(dir, "memory", "index.db");
    const run = async (statements: string[]): Promise<string[]> => {
      const result = await tool.run(db, statements);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
      return result.stdout.split("\n").filter(Boolean);
    };
    const found = (query: string) =>
      `SELECT (SELECT count(*) FROM lore_search_learnings WHERE lore_search_learnings MATCH '${query}') + ` +
      `(SELECT count(*) FROM lore_search_heuristics WHERE lore_search_heuristics MATCH '${query}')`;

    // Inside the transaction, before COMMIT, the new rows are in the index already.
    expect(await run(["BEGIN", INSERT_FAILURE, INSERT_HEURISTIC, found("quokka OR wombats"), "COMMIT"])).toEqual(["2"]);
    expect(matches(dir, "marsupial")).toHaveLength(1);
    expect(indexViolations(dir)).toEqual([]);

    await run([
      "BEGIN",
      "UPDATE learnings SET title = 'Platypus escaped' WHERE title = 'Quokka escaped'",
      "UPDATE heuristics SET explanation = 'They dig' WHERE rule = 'Count the wombats'",
      "COMMIT",
    ]);
    expect({ quokka: matches(dir, "quokka"), platypus: matches(dir, "platypus").length }).toEqual({
      quokka: [],
      platypus: 1,
    });
    expect({ hide: matches(dir, "hide"), dig: matches(dir, "dig").length }).toEqual({ hide: [], dig: 1 });
    expect(indexViolations(dir)).toEqual([]);

    // Rolled back: the index is as it was, though it had changed inside the transaction.
    expect(
      await run([
        "BEGIN",
        INSERT_FAILURE,
        "DELETE FROM heuristics WHERE rule = 'Count the wombats'",
        found("quokka"),
        found("wombats"),
        "ROLLBACK",
      ]),
    ).toEqual(["1", "0"]);
    expect({ quokka: matches(dir, "quokka"), wombats: matches(dir, "wombats").length }).toEqual({
      quokka: [],
      wombats: 1,
    });
    expect(indexViolations(dir)).toEqual([]);

    await run(["BEGIN", "DELETE FROM learnings", "DELETE FROM heuristics", "COMMIT"]);
    expect(matches(dir, "platypus OR wombats")).toEqual([]);
    expect(indexViolations(dir)).toEqual([]);
  });
});

/** A journal whose database is ELF's own, with rows, as ELF's scripts leave it (schema version 0). */
async function elfJournal(): Promise<string> {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "memory", "failures"), { recursive: true });
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path.join(dir, "memory", "index.db"));
  db.exec(ELF_SCHEMA);
  db.exec(INSERT_FAILURE);
  db.exec(INSERT_HEURISTIC);
  db.close();
  return dir;
}

/** The journal's database made as lore version 4 left it: no search index, schema version 4. */
function asSchemaVersion4(dir: string): void {
  for (const trigger of SEARCH_TRIGGERS) runSql(dir, `DROP TRIGGER ${trigger}`);
  for (const table of ["lore_search_learnings", "lore_search_heuristics"]) runSql(dir, `DROP TABLE ${table}`);
  runSql(dir, "UPDATE lore_meta SET value = '4' WHERE key = 'schema_version'");
}

describe("the migration to schema version 5", () => {
  it("indexes every row of an ELF database at the first lore record", async () => {
    const dir = await elfJournal();
    const record = await runLore(
      ["record-failure", ...toFlags({ title: "Lyrebird mimicry", domain: "fauna" }), "--no-commit"],
      { cwd: dir },
    );
    expect(record.code, record.stderr).toBe(0);
    expect(matches(dir, "quokka OR wombats OR lyrebird")).toHaveLength(3);
    expect(indexViolations(dir)).toEqual([]);
  });

  it("indexes every row of a version 4 database, ELF's rows included, at the next record", async () => {
    const dir = await createJournal();
    expect((await recordFailure(dir, { title: "Kea stole keys", domain: "fauna" })).code).toBe(0);
    asSchemaVersion4(dir);
    runSql(dir, INSERT_HEURISTIC);
    expect((await recordHeuristic(dir, { domain: "fauna", rule: "Hide the keys from keas" })).code).toBe(0);
    expect(matches(dir, "kea OR keas OR wombats")).toHaveLength(3);
    expect(indexViolations(dir)).toEqual([]);
  });

  it.each(["db-begin", "db-commit", "db-committed"])(
    "killed at its %s, is completed by the next record",
    async (step) => {
      const dir = await createJournal();
      expect((await recordFailure(dir, { title: "Kea stole keys", domain: "fauna" })).code).toBe(0);
      asSchemaVersion4(dir);
      // The migration's transaction is the record's first: the first db step is its.
      const killed = await recordFailure(dir, { title: "Killed record", domain: "fauna" }, { LORE_CRASH_AT: step });
      expect(killed.signal).toBe("SIGKILL");
      expect((await recordFailure(dir, { title: "Next record", domain: "fauna" })).code).toBe(0);
      expect(matches(dir, "kea OR next")).toHaveLength(2);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );
});

describe("the migration to schema version 9", () => {
  it("makes the one index table of versions 6 to 8 anew as one per record table, at the next record", async () => {
    const dir = await createJournal();
    expect((await recordFailure(dir, { title: "Kakapo booming", domain: "fauna" })).code).toBe(0);
    expect((await recordHeuristic(dir, { domain: "fauna", rule: "Kakapo nest on the ground" })).code).toBe(0);
    asOneTableIndex(dir);
    runSql(
      dir,
      "CREATE TRIGGER lore_search_learnings_insert AFTER INSERT ON learnings BEGIN INSERT INTO lore_search(rowid, title, body, tags, domain, source) VALUES (NEW.id * 2, NEW.title, NEW.summary, NEW.tags, NEW.domain, NULL); END",
    );
    expect((await recordFailure(dir, { title: "Kakapo lekking", domain: "fauna" })).code).toBe(0);
    const db = openDb(dir);
    try {
      const sqlOf = db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").pluck();
      expect(sqlOf.get("lore_search")).toBeUndefined();
      for (const table of ["lore_search_learnings", "lore_search_heuristics"]) {
        expect(sqlOf.get(table)).toMatch(/prefix = '3 4 5 6'/);
      }
      expect(db.prepare("SELECT value FROM lore_meta WHERE key = 'schema_version'").pluck().get()).toBe(
        String(CURRENT_SCHEMA_VERSION),
      );
    } finally {
      db.close();
    }
    expect(matches(dir, "kakap*")).toHaveLength(3);
    expect(indexViolations(dir)).toEqual([]);
  });
});

describe("the migration to schema version 10", () => {
  const rankIndexes = (dir: string): string[] => {
    const db = openDb(dir);
    try {
      return db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%search_rank' ORDER BY name")
        .pluck()
        .all() as string[];
    } finally {
      db.close();
    }
  };

  it("drops the rank indexes of versions 5 to 9 at the next record, and a search still finds every record", async () => {
    const dir = await createJournal();
    expect((await recordFailure(dir, { title: "Takahe grazing", domain: "fauna" })).code).toBe(0);
    expect((await recordHeuristic(dir, { domain: "fauna", rule: "Takahe eat tussock" })).code).toBe(0);
    // A journal as version 9 left it: the covering indexes a search's ranking read.
    runSql(dir, "CREATE INDEX idx_lore_learnings_search_rank ON learnings(id, type, created_at)");
    runSql(
      dir,
      "CREATE INDEX idx_lore_heuristics_search_rank ON heuristics(id, created_at, confidence, times_validated, is_golden)",
    );
    runSql(dir, "UPDATE lore_meta SET value = '9' WHERE key = 'schema_version'");
    expect(rankIndexes(dir)).toEqual(["idx_lore_heuristics_search_rank", "idx_lore_learnings_search_rank"]);

    expect((await recordFailure(dir, { title: "Takahe nesting", domain: "fauna" })).code).toBe(0);
    expect(rankIndexes(dir)).toEqual([]);
    const db = openDb(dir);
    try {
      expect(db.prepare("SELECT value FROM lore_meta WHERE key = 'schema_version'").pluck().get()).toBe(
        String(CURRENT_SCHEMA_VERSION),
      );
    } finally {
      db.close();
    }
    const search = await runLore(["search", "--json", "takahe"], { cwd: dir });
    expect(search.code, search.stderr).toBe(0);
    expect((JSON.parse(search.stdout).hits as Array<{ title: string }>).map((hit) => hit.title).sort()).toEqual([
      "Takahe eat tussock",
      "Takahe grazing",
      "Takahe nesting",
    ]);
    expect(indexViolations(dir)).toEqual([]);
  });
});

describe("a rebuilt search index", () => {
  /** How many segments FTS5's structure record (the `_data` row of id 10) lists for index table `index`. */
  const segmentsOf = (dir: string, index: string): number => {
    const db = openDb(dir);
    try {
      const record = db.prepare(`SELECT block FROM ${index}_data WHERE id = 10`).pluck().get() as Buffer;
      // A 4-byte cookie, then (structure version 2) a 4-byte marker, then varints: the levels, the segments.
      let at = record.subarray(4, 8).equals(Buffer.from([0xff, 0x00, 0x00, 0x01])) ? 8 : 4;
      const varint = (): number => {
        let value = 0;
        for (;;) {
          const byte = record[at++];
          value = value * 128 + (byte & 0x7f);
          if (byte < 0x80) return value;
        }
      };
      varint();
      return varint();
    } finally {
      db.close();
    }
  };

  it("is one segment per table after lore sync --rebuild, however many rows went in", async () => {
    const dir = tempDir();
    try {
      // Enough text that FTS5 writes several segments as the rows go in.
      generateJournal(dir, { records: 6000, seed: 11 });
      expect((await runLore(["init", "--no-commit"], { cwd: dir })).code).toBe(0);
      const rebuild = await runLore(["sync", "--rebuild", "--no-commit"], { cwd: dir });
      expect(rebuild.stderr).toBe("");
      expect(rebuild.code).toBe(0);
      expect(segmentsOf(dir, "lore_search_learnings")).toBe(1);
      expect(segmentsOf(dir, "lore_search_heuristics")).toBe(1);
      expect(indexViolations(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
