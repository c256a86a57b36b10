// `lore sync` three ways, on real journals: real files, real git, real SQLite
// and real `node bin/lore.js` processes. Rows changed the way ELF's dashboard
// and hooks change them (plain SQL, no file) are written back to markdown and
// committed; records edited by hand still update their rows; a record and a
// row both changed are a conflict that only --prefer settles; a kill in the
// middle of a write-back is repaired by the next command.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { recordFailure, recordHeuristic, runLore } from "./support/lore.js";
import { createJournal, git, invariantViolations, openDb, readRows, runSql } from "./support/journal.js";
import { isStopped, waitUntil } from "./support/processes.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";

interface Finding {
  type: string;
  path: string | null;
  action: string;
}

async function sync(dir: string, ...args: string[]) {
  const result = await runLore(["sync", "--json", ...args], { cwd: dir });
  const json = JSON.parse(result.stdout) as { findings: Finding[]; remaining: Finding[] | null; commit: string | null };
  return { code: result.code, json, result };
}

const DOMAIN_FILE = "memory/heuristics/testing.md";

/** A journal with two heuristics in one domain file and a failure, all verified by a first sync. */
async function verifiedJournal(): Promise<string> {
  const dir = await createJournal();
  for (const rule of ["Run the tests first", "Read the lock order"]) {
    expect((await recordHeuristic(dir, { domain: "testing", rule, explanation: "Because." })).code).toBe(0);
  }
  expect((await recordFailure(dir, { title: "Lock race", domain: "locks", summary: "Two writers" })).code).toBe(0);
  const first = await sync(dir);
  expect(first.json.findings).toEqual([]);
  return dir;
}

function rules(dir: string): string[] {
  return parseHeuristicFile(fs.readFileSync(path.join(dir, DOMAIN_FILE), "utf8")).map((block) => block.rule);
}

describe("three-way sync", () => {
  it("a row edited in the database (as ELF's dashboard does) is written back to its markdown and committed", async () => {
    const dir = await verifiedJournal();
    runSql(dir, "UPDATE heuristics SET rule = 'Run the tests first, always' WHERE rule = 'Run the tests first'");
    const report = await sync(dir);
    expect(report.code).toBe(3);
    expect(report.json.findings.map((finding) => [finding.type, finding.path])).toEqual([["db-edited", DOMAIN_FILE]]);
    const dry = await sync(dir, "--dry-run");
    expect(dry.json.findings.map((finding) => finding.action)).toEqual(["rewrite-record"]);
    const fixed = await sync(dir, "--fix");
    expect(fixed.code).toBe(0);
    expect(rules(dir)).toEqual(["Run the tests first, always", "Read the lock order"]);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("sync: rewrite 1 record(s) from the database");
    expect(git(dir, ["status", "--porcelain", "--", "memory"]).trim()).toBe("");
    expect((await sync(dir)).json.findings).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("a record edited by hand still updates its row (edited), as before, and the edit is committed", async () => {
    const dir = await verifiedJournal();
    const file = path.join(dir, DOMAIN_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Read the lock order", "Read the lock order twice"));
    const fixed = await sync(dir, "--fix");
    expect(fixed.json.findings.map((finding) => finding.type)).toEqual(["edited", "uncommitted"]);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toContain("Read the lock order twice");
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe(`sync: commit ${DOMAIN_FILE}`);
  });

  it("a record and its row both changed: a conflict that --fix leaves, and --prefer settles either way", async () => {
    const dir = await verifiedJournal();
    const file = path.join(dir, DOMAIN_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Read the lock order", "File side"));
    runSql(dir, "UPDATE heuristics SET rule = 'Database side' WHERE rule = 'Read the lock order'");
    const left = await sync(dir, "--fix");
    expect(left.code).toBe(3);
    expect(left.json.remaining?.map((finding) => finding.type)).toEqual(["conflict"]);
    expect(rules(dir)).toContain("File side");
    expect(readRows(dir).heuristics.map((row) => row.rule)).toContain("Database side");

    expect((await sync(dir, "--fix", "--prefer", "db")).code).toBe(0);
    expect(rules(dir)).toEqual(["Run the tests first", "Database side"]);
    expect((await sync(dir)).json.findings).toEqual([]);

    const bad = await runLore(["sync", "--fix", "--prefer", "both"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('lore sync: prefer: must be files or db (got "both")');
  });

  it("--prefer files settles a conflict by the file", async () => {
    const dir = await verifiedJournal();
    const file = path.join(dir, DOMAIN_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Read the lock order", "File side"));
    runSql(dir, "UPDATE heuristics SET rule = 'Database side' WHERE rule = 'Read the lock order'");
    expect((await sync(dir, "--fix", "--prefer", "files")).code).toBe(0);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toEqual(["Run the tests first", "File side"]);
  });

  it("a row deleted in the database: its record leaves the markdown (git keeps it), its values go to the archive", async () => {
    const dir = await verifiedJournal();
    runSql(dir, "DELETE FROM heuristics WHERE rule = 'Run the tests first'");
    const report = await sync(dir);
    expect(report.json.findings.map((finding) => [finding.type, finding.action])).toEqual([
      ["db-deleted", "remove-record"],
    ]);
    expect((await sync(dir, "--fix")).code).toBe(0);
    expect(rules(dir)).toEqual(["Read the lock order"]);
    expect(git(dir, ["show", "HEAD~1:memory/heuristics/testing.md"])).toContain("Run the tests first");
    const archived = openDb(dir).prepare("SELECT reason, row_json FROM lore_archive").all() as Array<{
      reason: string;
      row_json: string;
    }>;
    expect(archived.map((entry) => entry.reason)).toEqual(["db-deleted"]);
    expect(JSON.parse(archived[0].row_json).rule).toBe("Run the tests first");
    expect((await sync(dir)).json.findings).toEqual([]);
  });

  it("a heuristic that only the database holds (an ELF hook's [LEARNED] row) is written to its domain file and kept", async () => {
    const dir = await verifiedJournal();
    runSql(
      dir,
      "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence) VALUES ('testing', ?, 'From a hook', 'auto', 0.6)",
      "Learned by a hook",
    );
    const report = await sync(dir);
    expect(report.json.findings.map((finding) => [finding.type, finding.path])).toEqual([["db-only", DOMAIN_FILE]]);
    expect((await sync(dir, "--fix")).code).toBe(0);
    expect(rules(dir)).toEqual(["Run the tests first", "Read the lock order", "Learned by a hook"]);
    const row = readRows(dir).heuristics.find((entry) => entry.rule === "Learned by a hook");
    expect(row?.lore_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(git(dir, ["status", "--porcelain", "--", "memory"]).trim()).toBe("");
    expect((await sync(dir)).json.findings).toEqual([]);
  });

  it("sync --fix beside 10 concurrent writers, with DB-side edits arriving meanwhile: nothing lost, nothing undone", async () => {
    const dir = await verifiedJournal();
    const seeded = ["Seeded one", "Seeded two", "Seeded three", "Seeded four"];
    for (const rule of seeded) expect((await recordHeuristic(dir, { domain: "testing", rule })).code).toBe(0);
    expect((await sync(dir)).json.findings).toEqual([]);

    // What ELF's dashboard and hooks do to the rows, as they do it: plain SQL
    // on their own connection, waiting out lore's write transactions.
    const edits: Array<[string, ...unknown[]]> = [
      ["UPDATE heuristics SET rule = 'Seeded one, edited' WHERE rule = 'Seeded one'"],
      ["DELETE FROM heuristics WHERE rule = 'Seeded two'"],
      [
        "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence) VALUES ('testing', ?, 'From a hook', 'auto', 0.6)",
        "Learned while writers ran",
      ],
      ["UPDATE heuristics SET times_validated = 7, confidence = 0.9 WHERE rule = 'Seeded three'"],
      ["UPDATE learnings SET summary = 'Two writers, edited in the dashboard' WHERE title = 'Lock race'"],
      [
        "INSERT INTO heuristics (domain, rule, explanation, source_type, confidence) VALUES ('hooks', ?, 'From a hook', 'auto', 0.5)",
        "Learned in a new domain",
      ],
    ];
    async function editRows(): Promise<void> {
      for (const [statement, ...values] of edits) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const db = openDb(dir);
        try {
          db.pragma("busy_timeout = 10000");
          db.prepare(statement).run(...values);
        } finally {
          db.close();
        }
      }
    }
    const writers = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? recordFailure(dir, { title: `Concurrent failure ${i}`, domain: "locks", summary: `Writer ${i}` })
        : recordHeuristic(dir, { domain: i % 4 === 1 ? "testing" : "parallel", rule: `Concurrent rule ${i}` }),
    );
    const syncs = [0, 300, 700].map(async (delay) => {
      await new Promise((resolve) => setTimeout(resolve, delay));
      return runLore(["sync", "--fix", "--json"], { cwd: dir });
    });
    const [written, synced] = await Promise.all([Promise.all(writers), Promise.all(syncs), editRows()]);
    for (const result of written) expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    // A sync may find a record that arrived after it looked, but it never fails.
    for (const result of synced) expect([0, 3], result.stderr).toContain(result.code);

    // Whatever the order was, one more --fix settles everything, and a second finds nothing.
    expect((await sync(dir, "--fix")).code).toBe(0);
    expect((await sync(dir)).json.findings).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);

    const rows = readRows(dir);
    expect(rows.learnings.map((row) => row.title).sort()).toEqual(
      ["Lock race", ...[0, 2, 4, 6, 8].map((i) => `Concurrent failure ${i}`)].sort(),
    );
    expect(rows.learnings.find((row) => row.title === "Lock race")?.summary).toBe(
      "Two writers, edited in the dashboard",
    );
    const expectedRules = [
      "Run the tests first",
      "Read the lock order",
      "Seeded one, edited",
      "Seeded three",
      "Seeded four",
      "Learned while writers ran",
      "Learned in a new domain",
      ...[1, 3, 5, 7, 9].map((i) => `Concurrent rule ${i}`),
    ].sort();
    expect(rows.heuristics.map((row) => row.rule).sort()).toEqual(expectedRules);
    // The markdown says the same: the edits were written back, the deletion removed its block.
    const blocks = fs
      .readdirSync(path.join(dir, "memory", "heuristics"))
      .flatMap((name) =>
        parseHeuristicFile(fs.readFileSync(path.join(dir, "memory", "heuristics", name), "utf8")).map(
          (block) => block.rule,
        ),
      );
    expect(blocks.sort()).toEqual(expectedRules);
    const lockRace = rows.learnings.find((row) => row.title === "Lock race");
    expect(fs.readFileSync(path.join(dir, String(lockRace?.filepath)), "utf8")).toContain(
      "Two writers, edited in the dashboard",
    );
    // DB-only data survives every write-back.
    const db = openDb(dir);
    const validated = db
      .prepare("SELECT times_validated, confidence FROM heuristics WHERE rule = 'Seeded three'")
      .get();
    db.close();
    expect(validated).toEqual({ times_validated: 7, confidence: 0.9 });
    expect(git(dir, ["status", "--porcelain", "--", "memory"]).trim()).toBe("");
  });

  it("a write-back of 250 files is one commit of those files only, the user's staged file left staged", async () => {
    const dir = await verifiedJournal();
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    git(dir, ["add", "notes.txt"]);
    const db = openDb(dir);
    const insert = db.prepare(
      "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', ?, ?, 'Only in the database', 'bulk', 3)",
    );
    db.transaction(() => {
      for (let i = 1; i <= 250; i++) insert.run(`memory/failures/20250101_bulk-${i}.md`, `Bulk ${i}`);
    })();
    db.close();
    const fixed = await sync(dir, "--fix");
    expect(fixed.code, fixed.result.stderr).toBe(0);
    expect(fixed.json.findings.filter((finding) => finding.type === "db-only")).toHaveLength(250);
    const committed = git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim().split("\n");
    expect(committed).toHaveLength(250);
    expect(committed.every((file) => /^memory\/failures\/20250101_bulk-\d+\.md$/.test(file))).toBe(true);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("sync: write 250 record(s) from the database");
    expect(git(dir, ["status", "--porcelain"]).trim()).toBe("A  notes.txt");
    expect(fs.readdirSync(path.join(dir, "memory", ".lore")).filter((name) => name.endsWith(".index"))).toEqual([]);
    expect((await sync(dir)).json.findings).toEqual([]);
  });

  it.runIf(process.platform === "linux")(
    "a row changed in the database while a sync runs stays marked: the next sync writes it back",
    async () => {
      const dir = await verifiedJournal();
      // The sync reads the domain file (a newline added at its end, committed) and finds its
      // rows in sync, and fixes the failure edited by hand; while it is frozen after that fix, the
      // dashboard changes a row it found in sync, in a file the fix did not touch.
      fs.appendFileSync(path.join(dir, DOMAIN_FILE), "\n");
      git(dir, ["commit", "-q", "-m", "a newline", "--", DOMAIN_FILE]);
      const failure = path.join(dir, String(readRows(dir).learnings[0].filepath));
      fs.writeFileSync(failure, fs.readFileSync(failure, "utf8").replace("Two writers", "Two writers, by hand"));
      let pid = 0;
      const running = runLore(["sync", "--fix", "--json"], {
        cwd: dir,
        env: { LORE_STOP_AT: "sync-rows-applied" },
        onSpawn: (spawned) => (pid = spawned),
      });
      await waitUntil(() => pid !== 0 && isStopped(pid), "the sync is frozen after its fix");
      const db = openDb(dir);
      db.pragma("busy_timeout = 10000");
      db.prepare(
        "UPDATE heuristics SET rule = 'Read the lock order, from the dashboard' WHERE rule = 'Read the lock order'",
      ).run();
      db.close();
      process.kill(pid, "SIGCONT");
      expect((await running).code).toBe(0);
      const next = await sync(dir);
      expect(next.json.findings.map((finding) => [finding.type, finding.path])).toEqual([["db-edited", DOMAIN_FILE]]);
      expect((await sync(dir, "--fix")).code).toBe(0);
      expect(rules(dir)).toEqual(["Run the tests first", "Read the lock order, from the dashboard"]);
      expect(readRows(dir).learnings[0].summary).toBe("Two writers, by hand");
      expect((await sync(dir)).json.findings).toEqual([]);
      // The failure edited by hand is the user's to commit; the write-back was committed.
      expect(git(dir, ["status", "--porcelain", "--", "memory/heuristics"]).trim()).toBe("");
    },
  );

  it.each(["files-intent-written", "files-written", "files-committed"])(
    "a sync --fix killed at %s leaves what the next command repairs",
    async (step) => {
      const dir = await verifiedJournal();
      runSql(dir, "UPDATE heuristics SET rule = 'Changed in the dashboard' WHERE rule = 'Run the tests first'");
      const killed = await runLore(["sync", "--fix"], { cwd: dir, env: { LORE_CRASH_AT: step } });
      expect(killed.signal).toBe("SIGKILL");
      // The next command, whatever it is, repairs first: the write-back is whole or not at all.
      expect((await recordFailure(dir, { title: "After the kill", domain: "locks" })).code).toBe(0);
      expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
      expect((await sync(dir, "--fix")).code).toBe(0);
      expect(rules(dir)).toEqual(["Changed in the dashboard", "Read the lock order"]);
      expect(git(dir, ["status", "--porcelain", "--", "memory"]).trim()).toBe("");
      expect((await sync(dir)).json.findings).toEqual([]);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );
});
