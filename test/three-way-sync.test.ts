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
import { createJournal, git, invariantViolations, openDb, readRows } from "./support/journal.js";
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

function sql(dir: string, statement: string, ...values: unknown[]): void {
  const db = openDb(dir);
  try {
    db.prepare(statement).run(...values);
  } finally {
    db.close();
  }
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
    sql(dir, "UPDATE heuristics SET rule = 'Run the tests first, always' WHERE rule = 'Run the tests first'");
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

  it("a record edited by hand still updates its row (edited), as before", async () => {
    const dir = await verifiedJournal();
    const file = path.join(dir, DOMAIN_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Read the lock order", "Read the lock order twice"));
    const fixed = await sync(dir, "--fix");
    expect(fixed.json.findings.map((finding) => finding.type)).toEqual(["edited"]);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toContain("Read the lock order twice");
  });

  it("a record and its row both changed: a conflict that --fix leaves, and --prefer settles either way", async () => {
    const dir = await verifiedJournal();
    const file = path.join(dir, DOMAIN_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Read the lock order", "File side"));
    sql(dir, "UPDATE heuristics SET rule = 'Database side' WHERE rule = 'Read the lock order'");
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
    sql(dir, "UPDATE heuristics SET rule = 'Database side' WHERE rule = 'Read the lock order'");
    expect((await sync(dir, "--fix", "--prefer", "files")).code).toBe(0);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toEqual(["Run the tests first", "File side"]);
  });

  it("a row deleted in the database: its record leaves the markdown (git keeps it), its values go to the archive", async () => {
    const dir = await verifiedJournal();
    sql(dir, "DELETE FROM heuristics WHERE rule = 'Run the tests first'");
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
    sql(
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

  it.each(["files-intent-written", "files-written", "files-committed"])(
    "a sync --fix killed at %s leaves what the next command repairs",
    async (step) => {
      const dir = await verifiedJournal();
      sql(dir, "UPDATE heuristics SET rule = 'Changed in the dashboard' WHERE rule = 'Run the tests first'");
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
