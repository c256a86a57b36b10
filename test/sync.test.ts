// `lore sync` on real journals: real files, real git repositories, real
// SQLite and real `node bin/lore.js` child processes. Every finding type is
// produced by hand, reported, planned by --dry-run exactly as --fix then
// applies it, and fixed, after which a second sync is a no-op. ELF's quirks
// are read correctly; a deleted, truncated or garbage database is rebuilt;
// DB-only data survives every fix; sync runs beside 10 writers and loses
// nothing; and it reads only what changed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  cleanEnv,
  hasScript,
  holdJournalLock,
  recordFailure,
  recordHeuristic,
  REPO_ROOT,
  runLore,
  type RunResult,
} from "./support/lore.js";
import {
  configureGitIdentity,
  createJournal,
  git,
  invariantViolations,
  openDb,
  readRows,
  runSql,
  tempDir,
} from "./support/journal.js";
import { ELF_FAILURE_SECTIONS, ELF_SCHEMA } from "./support/elf-format.js";
import { generateJournal } from "./support/synthetic-journal.js";
import { searchIndexViolations } from "./support/search-index-check.js";
import { parseFailure } from "../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../src/journal/heuristic-markdown.js";

interface JsonFinding {
  type: string;
  path: string | null;
  line: number | null;
  row: { table: string; id: number } | null;
  detail: string;
  action: string;
  actionText: string;
  columns?: string[];
}

interface SyncJson {
  inSync: boolean;
  files: number;
  read: number;
  rows: number;
  findings: JsonFinding[];
  remaining: JsonFinding[] | null;
  restored: string[];
  commit: string | null;
}

async function sync(
  dir: string,
  ...args: string[]
): Promise<{ code: number | null; json: SyncJson; result: RunResult }> {
  const result = await runLore(["sync", "--json", ...args], { cwd: dir });
  let json: SyncJson;
  try {
    json = JSON.parse(result.stdout) as SyncJson;
  } catch {
    throw new Error(`sync ${args.join(" ")} printed no JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, json, result };
}

function plan(findings: JsonFinding[]): string[] {
  return findings.map(
    (f) =>
      `${f.type} ${f.path}:${f.line} ${f.row?.table ?? ""}#${f.row?.id ?? ""} ${f.action} ${(f.columns ?? []).join(",")}`,
  );
}

/** A lock file as a killed git leaves it: present, and older than a live one could be. */
function leaveStaleLock(file: string): void {
  fs.writeFileSync(file, "");
  const old = new Date(Date.now() - 5000);
  fs.utimesSync(file, old, old);
}

/** The whole database content that sync may change, to prove a run changed nothing. */
function dbDump(dir: string): unknown {
  const db = openDb(dir);
  try {
    return {
      learnings: db.prepare("SELECT * FROM learnings ORDER BY id").all(),
      heuristics: db.prepare("SELECT * FROM heuristics ORDER BY id").all(),
      archive: db
        .prepare("SELECT tbl, row_id, lore_id, match_key, row_json, reason FROM lore_archive ORDER BY id")
        .all(),
    };
  } finally {
    db.close();
  }
}

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

async function journalWithRecords(options: { git: boolean } = { git: true }): Promise<string> {
  const dir = await createJournal(options);
  const noCommit = options.git ? [] : ["--no-commit"];
  for (let i = 1; i <= 3; i++) {
    ok(
      await runLore(
        ["record-failure", "--title", `Failure ${i}`, "--domain", "build", "--summary", `summary ${i}`, ...noCommit],
        { cwd: dir },
      ),
    );
    ok(
      await runLore(
        ["record-heuristic", "--domain", "testing", "--rule", `Rule ${i}`, "--explanation", `why ${i}`, ...noCommit],
        { cwd: dir },
      ),
    );
  }
  return dir;
}

/** A row without its dates (a row deleted by hand takes them with it). */
function contentOf<T extends object>(row: T): Omit<T, "created_at" | "updated_at"> {
  const {
    created_at: _created,
    updated_at: _updated,
    ...rest
  } = row as T & { created_at?: unknown; updated_at?: unknown };
  return rest;
}

function failureFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(dir, "memory", "failures"))
    .filter((name) => name.endsWith(".md"))
    .sort();
}

/**
 * The common life of a finding: it is reported (exit 3), --dry-run plans
 * exactly what --fix then does, the fix leaves nothing to fix, and a second
 * sync and a second fix change nothing.
 */
async function reportPlanFix(dir: string, type: string, extra: string[] = []): Promise<SyncJson> {
  const report = await sync(dir, ...extra);
  expect(report.code).toBe(3);
  expect(report.json.findings.map((f) => f.type)).toContain(type);
  const dryRun = await sync(dir, "--dry-run", ...extra);
  expect(dryRun.code).toBe(3);
  expect(plan(dryRun.json.findings)).toEqual(plan(report.json.findings));
  const fix = await sync(dir, "--fix", ...extra);
  expect(plan(fix.json.findings)).toEqual(plan(dryRun.json.findings));
  expect(fix.json.remaining).toEqual([]);
  expect(fix.code).toBe(0);
  const after = await sync(dir, ...extra);
  expect({ code: after.code, findings: after.json.findings.filter((f) => f.action !== "keep") }).toEqual({
    code: 0,
    findings: [],
  });
  const before = dbDump(dir);
  const again = await sync(dir, "--fix", ...extra);
  expect(again.json.findings.filter((f) => f.action !== "keep")).toEqual([]);
  expect(dbDump(dir)).toEqual(before);
  return fix.json;
}

describe("lore sync: a journal in sync", () => {
  it("reports 0 findings and exits 0, and a second run reads no file", async () => {
    const dir = await journalWithRecords();
    const first = await sync(dir);
    expect({ code: first.code, findings: first.json.findings, inSync: first.json.inSync }).toEqual({
      code: 0,
      findings: [],
      inSync: true,
    });
    expect(first.json.files).toBe(4);
    const second = await sync(dir);
    expect({ code: second.code, read: second.json.read, rows: second.json.rows }).toEqual({
      code: 0,
      read: 0,
      rows: 0,
    });
    const text = await runLore(["sync"], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^In sync \(4 files, 0 read/m);
  });

  it("reads a changed file (and only it) in a journal outside git, even a same-size rewrite", async () => {
    const dir = await journalWithRecords({ git: false });
    expect((await sync(dir)).code).toBe(0);
    const file = path.join(dir, "memory", "failures", failureFiles(dir)[0]);
    const text = fs.readFileSync(file, "utf8");
    const stat = fs.statSync(file);
    fs.writeFileSync(file, text.replace("# Failure", "# FAILURE"));
    fs.utimesSync(file, stat.atime, stat.mtime);
    const after = await sync(dir);
    expect(after.code).toBe(3);
    expect(after.json.read).toBeGreaterThanOrEqual(1);
    expect(after.json.findings.map((f) => `${f.type} ${f.action} ${f.columns}`)).toEqual(["edited update-row title"]);
  });

  it("finds the journal below a git work tree's root, and reads only what git reports changed", async () => {
    const root = tempDir();
    git(root, ["init", "-q"]);
    configureGitIdentity(root);
    const dir = path.join(root, "team", "journal");
    fs.mkdirSync(dir, { recursive: true });
    ok(await runLore(["init"], { cwd: dir }));
    ok(await recordFailure(dir, { title: "Nested", domain: "x" }));
    ok(await recordHeuristic(dir, { domain: "x", rule: "Nested rule" }));
    expect((await sync(dir)).code).toBe(0);
    expect((await sync(dir)).json.read).toBe(0);
    const heuristics = path.join(dir, "memory", "heuristics", "x.md");
    fs.writeFileSync(heuristics, fs.readFileSync(heuristics, "utf8").replace("Nested rule", "Nested rule, edited"));
    const after = await sync(dir);
    expect(after.json.read).toBe(1);
    expect(after.json.findings.map((f) => `${f.type} ${f.path} ${f.columns}`)).toEqual([
      "edited memory/heuristics/x.md rule",
      "uncommitted memory/heuristics/x.md undefined",
    ]);
  });
});

describe("lore sync: each finding, reported, planned and fixed", () => {
  it("missing-row: a record whose row is gone, never known deleted, gets a row again, with its lore id (and a heuristic its H-id)", async () => {
    const dir = await journalWithRecords();
    const before = readRows(dir);
    // Gone without a trace of what the row and its record agreed on (as with
    // an older copy of index.db): nothing says the database deleted it.
    runSql(dir, "DELETE FROM lore_file_rows");
    runSql(dir, "DELETE FROM heuristics WHERE rule = 'Rule 2'");
    runSql(dir, "DELETE FROM learnings WHERE title = 'Failure 3'");
    const fix = await reportPlanFix(dir, "missing-row");
    expect(fix.findings.filter((f) => f.type === "missing-row")).toHaveLength(2);
    const after = readRows(dir);
    expect(after.heuristics.map(contentOf)).toEqual(before.heuristics.map(contentOf));
    // A failure's file holds no row id: the new row gets a new one.
    expect(after.learnings.map(({ id: _id, ...row }) => contentOf(row))).toEqual(
      before.learnings.map(({ id: _id, ...row }) => contentOf(row)),
    );
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("missing-file: a row whose file is gone is archived with its DB-only data, and comes back with the file", async () => {
    const dir = await journalWithRecords();
    runSql(
      dir,
      "UPDATE heuristics SET times_validated = 12, times_violated = 1, is_golden = 1, confidence = 0.93 WHERE rule = 'Rule 1'",
    );
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    const failure = path.join(dir, "memory", "failures", failureFiles(dir)[0]);
    const saved = { domain: fs.readFileSync(domainFile, "utf8"), failure: fs.readFileSync(failure, "utf8") };
    const rowsBefore = readRows(dir);
    fs.rmSync(domainFile);
    fs.rmSync(failure);
    const fix = await reportPlanFix(dir, "missing-file");
    expect(fix.findings.filter((f) => f.type === "missing-file").map((f) => f.action)).toEqual(
      Array(4).fill("archive-row"),
    );
    expect(readRows(dir).heuristics).toEqual([]);
    const db = openDb(dir);
    expect(db.prepare("SELECT count(*) AS n FROM lore_archive").get()).toEqual({ n: 4 });
    db.close();
    // The files come back (a checkout, an undo): so do the rows, ids and DB-only data.
    fs.writeFileSync(domainFile, saved.domain);
    fs.writeFileSync(failure, saved.failure);
    await reportPlanFix(dir, "missing-row");
    expect(readRows(dir)).toEqual(rowsBefore);
    const restored = openDb(dir);
    expect(
      restored
        .prepare("SELECT times_validated, times_violated, is_golden, confidence FROM heuristics WHERE rule = 'Rule 1'")
        .get(),
    ).toEqual({ times_validated: 12, times_violated: 1, is_golden: 1, confidence: 0.93 });
    expect(restored.prepare("SELECT count(*) AS n FROM lore_archive").get()).toEqual({ n: 0 });
    restored.close();
  });

  it("edited: fields changed by hand in a failure and a heuristic update their rows, and nothing else", async () => {
    const dir = await journalWithRecords();
    runSql(dir, "UPDATE heuristics SET times_validated = 5, confidence = 0.81 WHERE rule = 'Rule 3'");
    const failure = path.join(dir, "memory", "failures", failureFiles(dir)[1]);
    fs.writeFileSync(
      failure,
      fs
        .readFileSync(failure, "utf8")
        .replace("# Failure 2", "# Failure two")
        .replace("**Severity**: 3", "**Severity**: 5"),
    );
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    fs.writeFileSync(domainFile, fs.readFileSync(domainFile, "utf8").replace("why 3", "because of 3"));
    const fix = await reportPlanFix(dir, "edited");
    // The files edited by hand are committed too.
    // The counters ELF's dashboard changed are recorded in the journal, as feedback events.
    expect(fix.findings.map((f) => `${f.type} ${(f.columns ?? []).join(",")}`).sort()).toEqual([
      "edited explanation",
      "edited title,severity",
      "feedback-db-only ",
      "uncommitted ",
      "uncommitted ",
    ]);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    const rows = readRows(dir);
    expect(rows.learnings.find((row) => row.title === "Failure two")?.severity).toBe(5);
    const db = openDb(dir);
    expect(
      db.prepare("SELECT explanation, times_validated, confidence FROM heuristics WHERE rule = 'Rule 3'").get(),
    ).toEqual({
      explanation: "because of 3",
      times_validated: 5,
      confidence: 0.81,
    });
    db.close();
  });

  it("duplicate-id: the same H-<id> after a merge gets a row of its own; the first keeps its DB-only data", async () => {
    const dir = await journalWithRecords();
    runSql(dir, "UPDATE heuristics SET times_validated = 9 WHERE rule = 'Rule 2'");
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    const text = fs.readFileSync(domainFile, "utf8");
    const [rule2] = parseHeuristicFile(text).filter((block) => block.rule === "Rule 2");
    // The other clone's heuristic: the same H-<id>, another lore id and rule.
    const theirs = [
      `## H-${rule2.id}: Their rule`,
      "<!-- lore:id=0b7e3c1e-1111-4222-8333-444455556666 -->",
      "",
      "**Confidence**: 0.6",
      "**Source**: observation",
      "**Created**: 2026-01-02",
      "",
      "Written in the other clone.",
      "",
      "---",
      "",
    ].join("\n");
    fs.writeFileSync(domainFile, `${text}${theirs}`);
    const fix = await reportPlanFix(dir, "duplicate-id");
    const duplicate = fix.findings.find((f) => f.type === "duplicate-id");
    expect(duplicate?.detail).toMatch(
      new RegExp(`H-${rule2.id} is also the heuristic at memory/heuristics/testing.md:`),
    );
    const db = openDb(dir);
    expect(db.prepare("SELECT id, times_validated FROM heuristics WHERE rule = 'Rule 2'").get()).toEqual({
      id: rule2.id,
      times_validated: 9,
    });
    const their = db.prepare("SELECT id, lore_id FROM heuristics WHERE rule = 'Their rule'").get() as {
      id: number;
      lore_id: string;
    };
    db.close();
    expect(their.lore_id).toBe("0b7e3c1e-1111-4222-8333-444455556666");
    expect(their.id).not.toBe(rule2.id);
  });

  it("duplicate-id: a copied failure file (same lore id) gets its own row; the original keeps its row", async () => {
    const dir = await journalWithRecords();
    const [first] = failureFiles(dir);
    const original = readRows(dir).learnings.find((row) => row.filepath === `memory/failures/${first}`);
    fs.copyFileSync(
      path.join(dir, "memory", "failures", first),
      path.join(dir, "memory", "failures", "20200101_copy.md"),
    );
    const fix = await reportPlanFix(dir, "duplicate-id");
    expect(fix.findings.find((f) => f.type === "duplicate-id")?.path).toBe("memory/failures/20200101_copy.md");
    const rows = readRows(dir).learnings;
    expect(rows.find((row) => row.filepath === `memory/failures/${first}`)).toEqual(original);
    expect(rows.find((row) => row.filepath === "memory/failures/20200101_copy.md")?.lore_id).toBeNull();
  });

  it("unparseable: reported with path and line, never deleted, and its rows are left alone", async () => {
    const dir = await journalWithRecords();
    const failure = path.join(dir, "memory", "failures", failureFiles(dir)[0]);
    fs.writeFileSync(failure, fs.readFileSync(failure, "utf8").replace(/^# .*\n/, ""));
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    fs.writeFileSync(
      domainFile,
      fs.readFileSync(domainFile, "utf8").replace("**Confidence**: 0.7", "**Confidence**: high-ish"),
    );
    const rowsBefore = readRows(dir);
    const report = await sync(dir);
    expect(report.code).toBe(3);
    // Uncommitted too, and not committed while they cannot be read.
    expect(report.json.findings.map((f) => `${f.type} ${f.path}:${f.line} ${f.action}`).sort()).toEqual([
      `uncommitted memory/failures/${failureFiles(dir)[0]}:null needs-a-person`,
      "uncommitted memory/heuristics/testing.md:null needs-a-person",
      `unparseable memory/failures/${failureFiles(dir)[0]}:1 needs-a-person`,
      "unparseable memory/heuristics/testing.md:10 needs-a-person",
    ]);
    const fix = await sync(dir, "--fix");
    expect(fix.code).toBe(3);
    expect(fix.json.remaining?.map((f) => f.type).sort()).toEqual([
      "uncommitted",
      "uncommitted",
      "unparseable",
      "unparseable",
    ]);
    expect(git(dir, ["status", "--porcelain"])).toMatch(/^ M /);
    expect(fs.existsSync(failure)).toBe(true);
    expect(readRows(dir)).toEqual(rowsBefore);
  });

  it("conflict-markers: reported at the marker's line; the rows stay until the conflict is resolved", async () => {
    const dir = await journalWithRecords();
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    const text = fs.readFileSync(domainFile, "utf8");
    const firstBlock = text.indexOf("## H-");
    const conflicted = `${text.slice(0, firstBlock)}<<<<<<< HEAD\n${text.slice(firstBlock)}=======\n## H-9: Their rule\n>>>>>>> theirs\n`;
    fs.writeFileSync(domainFile, conflicted);
    const rowsBefore = readRows(dir);
    const report = await sync(dir, "--fix");
    const line = conflicted.split("\n").indexOf("<<<<<<< HEAD") + 1;
    expect(report.json.findings.map((f) => `${f.type} ${f.path}:${f.line} ${f.action}`)).toEqual([
      `conflict-markers memory/heuristics/testing.md:${line} needs-a-person`,
      "uncommitted memory/heuristics/testing.md:null needs-a-person",
    ]);
    expect(report.code).toBe(3);
    expect(readRows(dir)).toEqual(rowsBefore);
    fs.writeFileSync(domainFile, text);
    expect((await sync(dir)).code).toBe(0);
  });

  it("temp-file: a writer's leftover temp file is removed", async () => {
    const dir = await journalWithRecords();
    const temp = path.join(dir, "memory", "failures", `${failureFiles(dir)[0]}.4242424242`);
    fs.writeFileSync(temp, "half a record");
    await reportPlanFix(dir, "temp-file");
    expect(fs.existsSync(temp)).toBe(false);
  });

  it("temp-file: the owner temp file a lock attempt killed before its rename left is removed", async () => {
    const dir = await journalWithRecords();
    const temp = path.join(dir, "memory", ".lore", "journal.lock.owner.0123456789abcdef");
    fs.writeFileSync(temp, '{"pid":4242,"host":"gone"');
    const fix = await reportPlanFix(dir, "temp-file");
    expect(fix.findings.map((f) => f.path)).toEqual(["memory/.lore/journal.lock.owner.0123456789abcdef"]);
    expect(fs.existsSync(temp)).toBe(false);
  });

  it("uncommitted: record files git has not committed (new, changed, staged) are committed by --fix in one commit", async () => {
    const dir = await journalWithRecords();
    // The user's own staged change stays staged, and out of sync's commit.
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    git(dir, ["add", "notes.txt"]);
    ok(await runLore(["record-failure", "--title", "Not committed", "--domain", "build", "--no-commit"], { cwd: dir }));
    ok(await runLore(["record-heuristic", "--domain", "testing", "--rule", "Rule 4", "--no-commit"], { cwd: dir }));
    ok(await runLore(["record-failure", "--title", "Only staged", "--domain", "build", "--no-commit"], { cwd: dir }));
    const staged = failureFiles(dir).find((name) => name.endsWith("_only-staged.md")) as string;
    git(dir, ["add", `memory/failures/${staged}`]);
    const report = await sync(dir);
    const uncommitted = report.json.findings.filter((f) => f.type === "uncommitted");
    expect(uncommitted.map((f) => `${f.path} ${f.action}`).sort()).toEqual(
      [
        `memory/failures/${staged} commit-file`,
        `memory/failures/${failureFiles(dir).find((name) => name.endsWith("_not-committed.md"))} commit-file`,
        "memory/heuristics/testing.md commit-file",
      ].sort(),
    );
    expect(report.json.findings).toEqual(uncommitted);
    const text = await runLore(["sync"], { cwd: dir });
    expect(text.stdout).not.toContain("In sync");
    expect(text.stdout).toMatch(
      /uncommitted +memory\/heuristics\/testing\.md: it differs from what HEAD holds -> commit it to git/,
    );
    const fix = await reportPlanFix(dir, "uncommitted");
    expect(fix.findings).toHaveLength(3);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("sync: commit 3 record files");
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim().split("\n").sort()).toEqual(
      uncommitted.map((f) => f.path).sort(),
    );
    expect(git(dir, ["status", "--porcelain"])).toBe("A  notes.txt\n");
    expect(invariantViolations(dir)).toEqual([]);
    // Where sync commits nothing, it reports nothing uncommitted.
    ok(await runLore(["record-failure", "--title", "Left out", "--domain", "build", "--no-commit"], { cwd: dir }));
    expect((await sync(dir, "--no-commit")).code).toBe(0);
    expect((await sync(dir)).code).toBe(3);
  });

  it("stale-lock: git's index.lock left by a dead git is removed", async () => {
    const dir = await journalWithRecords();
    const indexLock = path.join(dir, ".git", "index.lock");
    leaveStaleLock(indexLock);
    await reportPlanFix(dir, "stale-lock");
    expect(fs.existsSync(indexLock)).toBe(false);
  });

  it("stale-lock: the journal lock of a killed writer is taken over, and its uncommitted record taken back", async () => {
    const dir = await journalWithRecords();
    const killed = await runLore(["record-failure", "--title", "Killed", "--domain", "x"], {
      cwd: dir,
      env: { LORE_CRASH_AT: "file-written" },
    });
    expect(killed.signal).toBe("SIGKILL");
    // The report takes the dead lock over, and only says what recovery will do with the record.
    const report = await sync(dir);
    expect(report.json.findings.map((f) => `${f.type} ${f.action}`)).toEqual([
      "stale-lock taken-over",
      "pending recover",
    ]);
    expect(report.json.findings[1].actionText).toBe("take the record back out: remove its new file");
    expect(report.code).toBe(3);
    expect(readRows(dir).learnings.map((row) => row.title)).not.toContain("Killed");
    // --dry-run plans exactly what --fix does: recovery takes the record back, so no missing-row beside it.
    const dryRun = await sync(dir, "--dry-run");
    expect(dryRun.json.findings.map((f) => `${f.type} ${f.action}`)).toEqual(["pending recover"]);
    const fix = await sync(dir, "--fix");
    expect(plan(fix.json.findings)).toEqual(plan(dryRun.json.findings));
    expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
    expect((await sync(dir)).code).toBe(0);
    // Killed before its COMMIT: the record never appears, in no row and no file.
    expect(readRows(dir).learnings.map((row) => row.title)).not.toContain("Killed");
    expect(fs.readdirSync(path.join(dir, "memory", "failures")).some((name) => name.includes("killed"))).toBe(false);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("pending: sync and --dry-run change nothing while a record is pending; --fix archives a row whose file went", async () => {
    const dir = await journalWithRecords();
    // A record whose commit a hook refused (exit 5, the intent stays), then its file taken by a stash.
    const hook = path.join(dir, ".git", "hooks", "pre-commit");
    fs.writeFileSync(hook, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    expect((await recordFailure(dir, { title: "Stashed", domain: "x" })).code).toBe(5);
    fs.rmSync(hook);
    git(dir, ["stash", "push", "--include-untracked", "--quiet"]);
    const pendingDir = path.join(dir, "memory", ".lore", "pending");
    const before = { db: dbDump(dir), pending: fs.readdirSync(pendingDir) };
    expect(before.pending).toHaveLength(1);
    for (const mode of [[], ["--dry-run"]]) {
      const text = await runLore(["sync", ...mode], { cwd: dir });
      expect(text.code).toBe(3);
      expect(text.stdout).not.toMatch(/In sync/);
      expect(text.stdout).toMatch(/^pending +memory\/failures\/\S+_stashed\.md: .*-> move its row to lore's archive/m);
      expect({ db: dbDump(dir), pending: fs.readdirSync(pendingDir) }).toEqual(before);
    }
    const fix = await reportPlanFix(dir, "pending");
    expect(fix.findings.map((f) => `${f.type} ${f.action} ${f.row?.table}`)).toEqual(["pending recover learnings"]);
    expect(fs.readdirSync(pendingDir)).toEqual([]);
    const archive = dbDump(dir) as { archive: Array<{ tbl: string; row_json: string }> };
    expect(archive.archive.map((row) => JSON.parse(row.row_json).title)).toEqual(["Stashed"]);
  });

  it("stale-lock: a journal lock with a heartbeat from the future is taken over, reported, and fixed", async () => {
    const dir = await journalWithRecords();
    const lockDir = path.join(dir, "memory", ".lore", "journal.lock");
    const plantFutureLock = (owner: boolean) => {
      fs.mkdirSync(lockDir);
      if (owner) {
        const foreign = { pid: 4242, host: "another-host", startTime: null, acquiredAt: Date.now() + 3_600_000 };
        fs.writeFileSync(
          `${lockDir}.owner`,
          JSON.stringify({ ...foreign, token: "t", lockInode: fs.statSync(lockDir).ino }),
        );
      }
      const future = new Date(Date.now() + 3_600_000);
      fs.utimesSync(lockDir, future, future);
    };
    // No owner: what a restored backup leaves. Reported (exit 3), taken over, then in sync.
    plantFutureLock(false);
    const report = await sync(dir, "--lock-timeout", "5");
    expect(report.json.findings.map((f) => `${f.type} ${f.path} ${f.action}`)).toEqual([
      "stale-lock memory/.lore/journal.lock taken-over",
    ]);
    expect(report.json.findings[0].detail).toMatch(/heartbeat 3\d{3}\.\d s in the future/);
    expect(report.code).toBe(3);
    expect((await sync(dir)).code).toBe(0);
    // A foreign owner whose clock is an hour ahead: --fix clears it, and nothing is left.
    plantFutureLock(true);
    const fix = await sync(dir, "--fix", "--lock-timeout", "5");
    expect(fix.json.findings.map((f) => `${f.type} ${f.action}`)).toEqual(["stale-lock taken-over"]);
    expect(fix.json.findings[0].detail).toMatch(/pid 4242 on host another-host, acquired 3\d{3}\.\d s in the future/);
    expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
    // And a writer is not held up either.
    plantFutureLock(false);
    expect((await recordFailure(dir, { title: "After the future lock", domain: "x", "lock-timeout": "5" })).code).toBe(
      0,
    );
    expect(fs.existsSync(`${lockDir}.owner`)).toBe(false);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("hook-row: ELF's auto- rows are reported but kept (exit 0), and archived only with --prune", async () => {
    const dir = await journalWithRecords();
    runSql(
      dir,
      "INSERT INTO learnings(type, filepath, title, domain) VALUES ('failure', 'auto-failures/hook-1.md', 'Hook saw a failure', 'hooks')",
    );
    const report = await sync(dir);
    expect(report.json.findings.map((f) => `${f.type} ${f.path} ${f.action}`)).toEqual([
      "hook-row auto-failures/hook-1.md keep",
    ]);
    expect(report.code).toBe(0);
    expect((await sync(dir, "--fix")).code).toBe(0);
    expect(readRows(dir).learnings.some((row) => row.filepath === "auto-failures/hook-1.md")).toBe(true);
    await reportPlanFix(dir, "hook-row", ["--prune"]);
    expect(readRows(dir).learnings.some((row) => row.filepath === "auto-failures/hook-1.md")).toBe(false);
  });

  it("schema-behind: reported without migrating; --fix migrates by adding only", async () => {
    const dir = await journalWithRecords();
    runSql(dir, "UPDATE lore_meta SET value = '1' WHERE key = 'schema_version'");
    const before = dbDump(dir);
    const report = await sync(dir);
    expect(report.json.findings.map((f) => f.type)).toEqual(["schema-behind"]);
    const db = openDb(dir);
    expect(db.prepare("SELECT value FROM lore_meta WHERE key = 'schema_version'").pluck().get()).toBe("1");
    db.close();
    await reportPlanFix(dir, "schema-behind");
    expect(dbDump(dir)).toEqual(before);
  });
});

describe("lore sync: the search index", () => {
  const firstEntry = "(SELECT id FROM learnings ORDER BY id LIMIT 1)";
  const cases: Array<{ what: string; damage: string; detail: RegExp; extra?: string[] }> = [
    {
      what: "a trigger dropped",
      damage: "DROP TRIGGER lore_search_heuristics_update",
      detail: /trigger missing: lore_search_heuristics_update/,
    },
    {
      what: "a table dropped",
      damage: "DROP TABLE lore_search_heuristics",
      detail: /^table missing: lore_search_heuristics$/,
    },
    {
      what: "an entry deleted",
      damage: `DELETE FROM lore_search_learnings WHERE rowid = ${firstEntry}`,
      detail: /1 row not indexed, or indexed with other text/,
    },
    {
      what: "an orphan entry",
      damage: "INSERT INTO lore_search_learnings(rowid, title) VALUES (1001, 'a ghost')",
      detail: /1 entry without a row/,
    },
    {
      what: "an entry's text changed through FTS5's own UPDATE (found by --full)",
      damage: `UPDATE lore_search_learnings SET title = 'Something else' WHERE rowid = ${firstEntry}`,
      detail: /1 row not indexed, or indexed with other text/,
      extra: ["--full"],
    },
  ];
  for (const { what, damage, detail, extra = [] } of cases) {
    it(`search-index: ${what} is reported (exit 3) and --fix rebuilds the index`, async () => {
      const dir = await journalWithRecords();
      // A first sync: no row is left marked changed, so a plain sync takes only its quick look.
      expect((await sync(dir)).code).toBe(0);
      runSql(dir, damage);
      if (extra.includes("--full")) {
        // The quick look sees names, counts and the rows changed since the last sync: not this.
        expect((await sync(dir)).code).toBe(0);
      }
      const report = await sync(dir, ...extra);
      const [finding] = report.json.findings;
      expect(report.json.findings).toHaveLength(1);
      expect(finding).toMatchObject({ type: "search-index", path: "memory/index.db", action: "rebuild-search-index" });
      expect(finding.detail).toMatch(detail);
      const text = await runLore(["sync", ...extra], { cwd: dir });
      expect(text.stdout).toMatch(/^search-index +memory\/index\.db: .* -> rebuild the search index from the rows$/m);
      await reportPlanFix(dir, "search-index", extra);
      expect(invariantViolations(dir)).toEqual([]);
      const db = openDb(dir);
      const matching = (index: string) =>
        db.prepare(`SELECT count(*) FROM ${index} WHERE ${index} MATCH 'failure OR rule'`).pluck().get() as number;
      expect(matching("lore_search_learnings") + matching("lore_search_heuristics")).toBe(6);
      db.close();
    });
  }

  it("search-index: the quick look compares the entries of the rows changed since the last sync", async () => {
    const dir = await journalWithRecords();
    expect((await sync(dir)).code).toBe(0);
    runSql(dir, "UPDATE heuristics SET explanation = 'why not' WHERE rule = 'Rule 1'");
    runSql(
      dir,
      "UPDATE lore_search_heuristics SET body = 'stale' WHERE rowid = (SELECT id FROM heuristics WHERE rule = 'Rule 1')",
    );
    const report = await sync(dir);
    expect(report.json.findings.map((f) => f.type).sort()).toEqual(["db-edited", "search-index"]);
    const fix = await sync(dir, "--fix");
    expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("search-index: a row --fix inserts while the insert trigger is missing is indexed too", async () => {
    const dir = await journalWithRecords();
    runSql(dir, "DROP TRIGGER lore_search_learnings_insert");
    fs.writeFileSync(
      path.join(dir, "memory", "failures", "20250101_failure-4.md"),
      "# Failure 4\n\n**Domain**: testing\n**Severity**: 3\n**Tags**: \n**Date**: 2025-01-01\n\n## Summary\n\nAdded by hand\n",
    );
    const fix = await sync(dir, "--fix");
    expect(fix.json.findings.map((f) => f.type).sort()).toEqual(["missing-row", "search-index", "uncommitted"]);
    expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("lore sync --restore", () => {
  it("writes missing files back from their rows, commits them, and the next sync is a no-op", async () => {
    const dir = await journalWithRecords();
    const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
    const failureName = failureFiles(dir)[2];
    const rowsBefore = readRows(dir);
    git(dir, ["rm", "-q", `memory/failures/${failureName}`, "memory/heuristics/testing.md"]);
    git(dir, ["commit", "-q", "-m", "lost"]);
    const dryRun = await sync(dir, "--dry-run", "--restore");
    expect(dryRun.json.findings.map((f) => `${f.type} ${f.action}`)).toEqual(
      Array(4).fill("missing-file restore-file"),
    );
    const restore = await sync(dir, "--restore");
    expect({ code: restore.code, remaining: restore.json.remaining }).toEqual({ code: 0, remaining: [] });
    expect(restore.json.restored.sort()).toEqual([`memory/failures/${failureName}`, "memory/heuristics/testing.md"]);
    expect(restore.json.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readRows(dir)).toEqual(rowsBefore);
    const restored = parseFailure(fs.readFileSync(path.join(dir, "memory", "failures", failureName), "utf8"));
    expect(restored.title).toBe("Failure 3");
    expect(parseHeuristicFile(fs.readFileSync(domainFile, "utf8")).map((b) => b.rule)).toEqual([
      "Rule 1",
      "Rule 2",
      "Rule 3",
    ]);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    const after = await sync(dir);
    expect({ code: after.code, findings: after.json.findings }).toEqual({ code: 0, findings: [] });
    expect(invariantViolations(dir)).toEqual([]);
  });
});

const ELF_HEURISTICS = `# Heuristics: concurrency

Generated from failures, successes, and observations in the **concurrency** domain.

---

## H-0: Take the git lock before SQLite

**Confidence**: 0.7
**Source**: failure
**Created**: 2025-12-01

Both orders deadlock.

---

## H-0: Retry SQLITE_BUSY with backoff

**Confidence**: 0.85
**Source**: observation
**Created**: 2025-12-01

Linear retry collides.

---

## H-7: Use WAL mode

**Confidence**: 0.6
**Source**: observation
**Created**: 2025-12-02

Readers must not block the writer.

---

`;

const ELF_GOLDEN = `# Golden rules

## 1. Query first

> Query the building before you start any task that touches it

## 2. Write down every failure you meet, however small it is

Explanation of the second rule.
`;

const ELF_YAML = `---
domain: yaml-domain
rule: Keep heuristics in YAML when a tool writes them
explanation: One rule per file, as ELF's importer reads it
source_type: import
confidence: 0.8
---

Body text that is not part of the rule.
`;

function elfFailure(title: string, header: string[]): string {
  return [
    `# ${title}`,
    "",
    ...header,
    "**Date**: 2025-12-01  # TIME-FIX-3: Use consistent captured date",
    "",
    "## Summary",
    "",
    `${title} happened.`,
    "",
    ...ELF_FAILURE_SECTIONS,
    "",
  ].join("\n");
}

describe("lore sync on a journal ELF wrote", () => {
  it("reads every quirk, matches ELF's rows, keeps hook rows, and a second fix is a no-op", async () => {
    const dir = tempDir("lore-elf-sync-");
    const failures = path.join(dir, "memory", "failures");
    const heuristics = path.join(dir, "memory", "heuristics");
    fs.mkdirSync(failures, { recursive: true });
    fs.mkdirSync(heuristics, { recursive: true });
    fs.writeFileSync(
      path.join(failures, "20251201_plain-fields.md"),
      elfFailure("Plain fields", ["Domain: ops", "severity: critical", "Tags: a, b"]),
    );
    fs.writeFileSync(
      path.join(failures, "20251201_bold-fields.md"),
      elfFailure("Bold fields", ["**Domain**: Build Systems", "**Severity**: high", "**Tags**: ci"]),
    );
    fs.writeFileSync(path.join(failures, "20251201_no-domain.md"), elfFailure("No domain", ["**Severity**: 9"]));
    fs.writeFileSync(path.join(failures, "TEMPLATE.md"), "# Template\n");
    fs.writeFileSync(path.join(heuristics, "concurrency.md"), ELF_HEURISTICS);
    fs.writeFileSync(path.join(heuristics, "golden.md"), ELF_GOLDEN);
    fs.writeFileSync(path.join(heuristics, "yaml-rule.md"), ELF_YAML);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path.join(dir, "memory", "index.db"));
    db.exec(ELF_SCHEMA);
    db.prepare(
      "INSERT INTO learnings(type, filepath, title, summary, tags, domain, severity) VALUES ('failure', ?, ?, ?, ?, ?, ?)",
    ).run("memory/failures/20251201_bold-fields.md", "Bold fields", "Bold fields happened.", "ci", "Build Systems", 4);
    db.prepare(
      "INSERT INTO learnings(type, filepath, title, domain, severity) VALUES ('failure', 'auto-failures/session-1.md', 'Hook failure', 'hooks', 3)",
    ).run();
    // ELF's race: the file shows H-0 twice, the rows have real ids; the counters live only here.
    db.prepare(
      "INSERT INTO heuristics(id, domain, rule, explanation, source_type, confidence, times_validated, is_golden) VALUES (3, 'concurrency', 'Take the git lock before SQLite', 'Both orders deadlock.', 'failure', 0.92, 14, 1)",
    ).run();
    db.prepare(
      "INSERT INTO heuristics(id, domain, rule, explanation, source_type, confidence, times_validated) VALUES (4, 'concurrency', 'Retry SQLITE_BUSY with backoff', 'Linear retry collides.', 'observation', 0.85, 2)",
    ).run();
    db.close();

    const fix = await sync(dir, "--fix");
    expect(fix.json.findings.map((f) => `${f.type} ${f.path}`).sort()).toEqual([
      "feedback-db-only memory/index.db",
      "hook-row auto-failures/session-1.md",
      "missing-row memory/failures/20251201_no-domain.md",
      "missing-row memory/failures/20251201_plain-fields.md",
      "missing-row memory/heuristics/concurrency.md",
      "missing-row memory/heuristics/golden.md",
      "missing-row memory/heuristics/golden.md",
      "missing-row memory/heuristics/yaml-rule.md",
      "schema-behind memory/index.db",
    ]);
    expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
    // The counters ELF's hooks kept only in the database are now in the journal too, as feedback events.
    const feedback = fs.readdirSync(path.join(dir, "memory", "feedback"));
    const adjusted = feedback
      .flatMap((name) => fs.readFileSync(path.join(dir, "memory", "feedback", name), "utf8").split("\n"))
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { rule: string; validated: number; golden: boolean });
    expect(adjusted.map(({ rule, validated, golden }) => [rule, validated, golden]).sort()).toEqual([
      ["Retry SQLITE_BUSY with backoff", 2, false],
      ["Take the git lock before SQLite", 14, true],
    ]);

    const rows = readRows(dir);
    const failuresByPath = Object.fromEntries(rows.learnings.map((row) => [row.filepath, row]));
    expect(failuresByPath["memory/failures/20251201_plain-fields.md"]).toMatchObject({
      title: "Plain fields",
      domain: "ops",
      severity: 5,
      tags: "a, b",
    });
    expect(failuresByPath["memory/failures/20251201_bold-fields.md"]).toMatchObject({
      id: 1,
      domain: "Build Systems",
      severity: 4,
    });
    expect(failuresByPath["memory/failures/20251201_no-domain.md"]).toMatchObject({ domain: "unknown", severity: 3 });
    expect(failuresByPath["auto-failures/session-1.md"]).toMatchObject({ title: "Hook failure" });
    expect(Object.keys(failuresByPath)).not.toContain("memory/failures/TEMPLATE.md");
    const byRule = Object.fromEntries(rows.heuristics.map((row) => [row.rule, row]));
    expect(byRule["Take the git lock before SQLite"]).toMatchObject({ id: 3, domain: "concurrency" });
    expect(byRule["Retry SQLITE_BUSY with backoff"]).toMatchObject({ id: 4 });
    expect(byRule["Use WAL mode"]).toMatchObject({ id: 7, domain: "concurrency", confidence: 0.6 });
    expect(byRule["Query the building before you start any task that touches it"]).toMatchObject({
      domain: "golden",
      confidence: 0.7,
    });
    expect(byRule["Write down every failure you meet, however small it is"]).toMatchObject({ domain: "golden" });
    expect(byRule["Keep heuristics in YAML when a tool writes them"]).toMatchObject({
      domain: "yaml-domain",
      explanation: "One rule per file, as ELF's importer reads it",
      source_type: "import",
      confidence: 0.8,
    });
    expect(rows.heuristics).toHaveLength(6);
    const check = openDb(dir);
    expect(check.prepare("SELECT times_validated, is_golden, confidence FROM heuristics WHERE id = 3").get()).toEqual({
      times_validated: 14,
      is_golden: 1,
      confidence: 0.92,
    });
    check.close();

    const before = dbDump(dir);
    const again = await sync(dir, "--fix");
    expect(again.json.findings.map((f) => f.type)).toEqual(["hook-row"]);
    expect(again.code).toBe(0);
    expect(dbDump(dir)).toEqual(before);
    expect((await sync(dir, "--full")).json.findings.map((f) => f.type)).toEqual(["hook-row"]);
  });
});

describe("lore sync --rebuild and a damaged database", () => {
  async function damaged(
    damage: (dbFile: string) => void,
  ): Promise<{ dir: string; rowsBefore: ReturnType<typeof readRows> }> {
    const dir = await journalWithRecords();
    const rowsBefore = readRows(dir);
    const dbFile = path.join(dir, "memory", "index.db");
    damage(dbFile);
    return { dir, rowsBefore };
  }

  const stripDates = (rows: ReturnType<typeof readRows>) => ({
    learnings: rows.learnings.map(({ id, type, filepath, title, summary, tags, domain, severity, lore_id }) => ({
      id,
      type,
      filepath,
      title,
      summary,
      tags,
      domain,
      severity,
      lore_id,
    })),
    heuristics: rows.heuristics.map(({ id, domain, rule, explanation, source_type, confidence, lore_id }) => ({
      id,
      domain,
      rule,
      explanation,
      source_type,
      confidence,
      lore_id,
    })),
  });

  for (const [name, damage] of [
    [
      "deleted",
      (dbFile: string) => {
        for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${dbFile}${suffix}`, { force: true });
      },
    ],
    ["truncated", (dbFile: string) => fs.truncateSync(dbFile, 4096)],
    ["full of garbage bytes", (dbFile: string) => fs.writeFileSync(dbFile, Buffer.alloc(64 * 1024, 0x5a))],
  ] as const) {
    it(`rebuilds a ${name} database from the files; no markdown file is touched`, async () => {
      const { dir, rowsBefore } = await damaged((dbFile) => {
        // Fold the WAL in first, so that "truncated" and "garbage" damage the only copy.
        const db = openDb(path.dirname(path.dirname(dbFile)));
        db.pragma("wal_checkpoint(TRUNCATE)");
        db.close();
        damage(dbFile);
      });
      const markdownBefore = snapshotMarkdown(dir);
      const report = await sync(dir);
      expect(report.json.findings.map((f) => `${f.type} ${f.action}`)).toEqual(["db-damaged rebuild"]);
      expect(report.code).toBe(3);
      const fix = await sync(dir, "--fix");
      expect({ code: fix.code, remaining: fix.json.remaining }).toEqual({ code: 0, remaining: [] });
      expect(stripDates(readRows(dir))).toEqual(stripDates(rowsBefore));
      expect(snapshotMarkdown(dir)).toEqual(markdownBefore);
      const quarantine = path.join(dir, "memory", ".lore", "quarantine");
      expect(fs.existsSync(quarantine)).toBe(name !== "deleted");
      expect((await sync(dir)).code).toBe(0);
      ok(await recordFailure(dir, { title: "After the rebuild", domain: "x" }));
      expect(invariantViolations(dir)).toEqual([]);
    });
  }

  it("--rebuild carries DB-only data, hook rows and ELF's other tables over from a readable database", async () => {
    const dir = await journalWithRecords();
    runSql(
      dir,
      "UPDATE heuristics SET times_validated = 3, times_violated = 1, is_golden = 1, confidence = 0.99 WHERE rule = 'Rule 2'",
    );
    runSql(dir, "INSERT INTO learnings(type, filepath, title) VALUES ('failure', 'auto-failures/x.md', 'hook row')");
    // ELF's experiments table, which lore init made, and a table of another tool's.
    runSql(dir, "INSERT INTO experiments(name) VALUES ('kept')");
    runSql(dir, "CREATE TABLE notes (id INTEGER PRIMARY KEY, name TEXT)");
    runSql(dir, "INSERT INTO notes(name) VALUES ('kept too')");
    const before = dbDump(dir);
    const rebuild = await sync(dir, "--rebuild");
    expect(rebuild.code).toBe(0);
    expect(dbDump(dir)).toEqual(before);
    const db = openDb(dir);
    expect(db.prepare("SELECT name FROM experiments").pluck().all()).toEqual(["kept"]);
    expect(db.prepare("SELECT name FROM notes").pluck().all()).toEqual(["kept too"]);
    db.close();
  });
});

function snapshotMarkdown(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ["failures", "heuristics"]) {
    const directory = path.join(dir, "memory", sub);
    for (const name of fs.readdirSync(directory))
      out[`${sub}/${name}`] = fs.readFileSync(path.join(directory, name), "utf8");
  }
  return out;
}

describe("lore sync beside writers", () => {
  it("runs alongside 10 concurrent writers: every record is kept, and the journal ends in sync", async () => {
    const dir = await createJournal();
    const writers: Array<Promise<RunResult>> = [];
    for (let i = 0; i < 10; i++) {
      writers.push(
        i % 2 === 0
          ? recordFailure(dir, { title: `Concurrent ${i}`, domain: "load" })
          : recordHeuristic(dir, { domain: "load", rule: `Concurrent rule ${i}` }),
      );
    }
    const syncs: Array<Promise<RunResult>> = [];
    for (let i = 0; i < 4; i++) syncs.push(runLore(["sync", i % 2 === 0 ? "--fix" : "--dry-run"], { cwd: dir }));
    const results = await Promise.all(writers);
    const syncResults = await Promise.all(syncs);
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    for (const result of syncResults) expect([0, 3]).toContain(result.code);
    const rows = readRows(dir);
    expect(rows.learnings.map((row) => row.title).sort()).toEqual([0, 2, 4, 6, 8].map((i) => `Concurrent ${i}`).sort());
    expect(rows.heuristics.map((row) => row.rule).sort()).toEqual(
      [1, 3, 5, 7, 9].map((i) => `Concurrent rule ${i}`).sort(),
    );
    const final = await sync(dir);
    expect({ code: final.code, findings: final.json.findings }).toEqual({ code: 0, findings: [] });
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("lore sync usage", () => {
  it("rejects --dry-run with --fix in one line, exit 2, and says where no journal is", async () => {
    const dir = await createJournal();
    const both = await runLore(["sync", "--dry-run", "--fix"], { cwd: dir });
    expect({ code: both.code, stderr: both.stderr }).toEqual({
      code: 2,
      stderr: "lore sync: --dry-run and --fix exclude each other\n",
    });
    // An empty HOME: no ELF install root there to be taken for the journal.
    const nowhere = await runLore(["sync"], { cwd: tempDir(), env: { HOME: tempDir() } });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/^lore sync: no lore journal found .*run `lore init`/);
  });
});

describe("lore sync progress and plans", () => {
  it("--json prints NDJSON progress events on stderr, and nothing else there", async () => {
    const dir = await journalWithRecords();
    const { result } = await sync(dir, "--full");
    const events = result.stderr
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) expect(event).toMatchObject({ event: "progress", phase: "reading" });
    expect(events[0]).toMatchObject({ done: 0, total: 4 });
    expect(events.at(-1)).toMatchObject({ done: 4, total: 4 });
  });

  it("shows no progress bar where stderr is not a terminal", async () => {
    const dir = await journalWithRecords();
    const plain = await runLore(["sync", "--full"], { cwd: dir, env: { LORE_PROGRESS_DELAY_MS: "0" } });
    expect({ code: plain.code, stderr: plain.stderr }).toEqual({ code: 0, stderr: "" });
  });

  it.runIf(hasScript())("shows a progress bar on a terminal once a phase outlasts LORE_PROGRESS_DELAY_MS", async () => {
    const dir = await journalWithRecords();
    const command = [process.execPath, path.join(REPO_ROOT, "bin", "lore.js"), "sync", "--full"]
      .map((arg) => `'${arg}'`)
      .join(" ");
    const output = execFileSync("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      env: cleanEnv({ LORE_PROGRESS_DELAY_MS: "0" }),
      encoding: "utf8",
    });
    expect(output).toMatch(/lore sync: reading \[[^\]]*\] \d+\/4 files/);
    expect(output).toContain("In sync (4 files, 4 read");
  });

  it("--dry-run --rebuild says what --rebuild would do, exits 3 and changes nothing", async () => {
    const dir = await journalWithRecords();
    const before = dbDump(dir);
    const dbFile = path.join(dir, "memory", "index.db");
    const inode = fs.statSync(dbFile).ino;
    const text = await runLore(["sync", "--dry-run", "--rebuild"], { cwd: dir });
    expect(text.code).toBe(3);
    expect(text.stdout).toContain("--rebuild would build memory/index.db anew from the files");
    expect(fs.statSync(dbFile).ino).toBe(inode);
    expect(dbDump(dir)).toEqual(before);
  });
});

describe("lore sync under the journal lock", () => {
  it("waits for the lock and, past --lock-timeout, exits 75 naming the holder", async () => {
    const dir = await journalWithRecords();
    const lockDir = path.join(dir, "memory", ".lore", "journal.lock");
    const holder = await holdJournalLock(lockDir);
    try {
      const busy = await runLore(["sync", "--lock-timeout", "1"], { cwd: dir });
      expect(busy.code).toBe(75);
      expect(busy.stderr).toMatch(
        new RegExp(`^lore sync: timed out waiting for the journal lock .*: held by pid ${holder.pid} on host `),
      );
      expect(busy.stdout).toBe("");
    } finally {
      holder.kill("SIGKILL");
    }
    expect((await sync(dir)).code).toBe(3);
    expect((await sync(dir)).code).toBe(0);
  });
});

describe("lore sync killed at each of its steps", () => {
  const cases: Array<{ step: string; args: string[] }> = [
    ...["files-intent-written", "files-written", "files-committed", "sync-rows-applied", "sync-verified"].map(
      (step) => ({ step, args: ["--restore"] }),
    ),
    ...["rebuild-built", "rebuild-quarantined", "rebuild-swapped"].map((step) => ({ step, args: ["--rebuild"] })),
  ];
  for (const { step, args } of cases) {
    it(`leaves a journal the next sync repairs: SIGKILL at ${step} (sync ${args.join(" ")})`, async () => {
      const dir = await journalWithRecords();
      runSql(dir, "UPDATE heuristics SET times_validated = 4 WHERE rule = 'Rule 3'");
      // Something to fix: a file deleted, a file added by hand (it has no row), a file edited.
      fs.rmSync(path.join(dir, "memory", "failures", failureFiles(dir)[1]));
      fs.writeFileSync(
        path.join(dir, "memory", "failures", "20250101_failure-4.md"),
        "# Failure 4\n\n**Domain**: testing\n**Severity**: 3\n**Tags**: \n**Date**: 2025-01-01\n\n## Summary\n\nAdded by hand\n",
      );
      const domainFile = path.join(dir, "memory", "heuristics", "testing.md");
      fs.writeFileSync(domainFile, fs.readFileSync(domainFile, "utf8").replace("why 2", "why two"));
      // And the search index to repair: the row the edit updates would stay indexed with its old text.
      runSql(dir, "DROP TRIGGER lore_search_heuristics_update");
      const killed = await runLore(["sync", ...args], { cwd: dir, env: { LORE_CRASH_AT: step } });
      expect(killed.signal).toBe("SIGKILL");
      const repair = await sync(dir, "--fix", ...args.filter((arg) => arg === "--restore"));
      expect({ code: repair.code, remaining: repair.json.remaining }).toEqual({ code: 0, remaining: [] });
      const after = await sync(dir);
      expect({ code: after.code, findings: after.json.findings }).toEqual({ code: 0, findings: [] });
      const rows = readRows(dir);
      expect(rows.learnings.map((row) => row.title).sort()).toEqual(
        args.includes("--restore")
          ? ["Failure 1", "Failure 2", "Failure 3", "Failure 4"]
          : ["Failure 1", "Failure 3", "Failure 4"],
      );
      expect(rows.heuristics.find((row) => row.rule === "Rule 2")?.explanation).toBe("why two");
      const db = openDb(dir);
      expect(db.prepare("SELECT times_validated FROM heuristics WHERE rule = 'Rule 3'").pluck().get()).toBe(4);
      expect(searchIndexViolations(db)).toEqual([]);
      db.close();
      // The takeover gate of the killed sync's lock stays for a minute by design (journal-lock.ts).
      const leftovers = fs
        .readdirSync(path.join(dir, "memory", ".lore"))
        .filter(
          (name) =>
            !["pending", "quarantine", "ids-issued"].includes(name) && !name.startsWith("journal.lock.takeover-"),
        );
      expect(leftovers).toEqual([]);
      expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
    });
  }
});

describe("git's other locks a killed commit leaves", () => {
  it("a record removes HEAD.lock, the branch's ref lock and next-index locks of a dead git, and commits", async () => {
    const dir = await journalWithRecords();
    const branch = git(dir, ["symbolic-ref", "--short", "HEAD"]).trim();
    const locks = [
      path.join(dir, ".git", "HEAD.lock"),
      path.join(dir, ".git", "refs", "heads", `${branch}.lock`),
      path.join(dir, ".git", "next-index-4242.lock"),
    ];
    for (const lock of locks) leaveStaleLock(lock);
    const record = await recordFailure(dir, { title: "After a dead commit", domain: "x" });
    expect(record.code).toBe(0);
    for (const lock of locks) expect(fs.existsSync(lock)).toBe(false);
    expect(git(dir, ["log", "-1", "--format=%s"]).trim()).toBe("failure: After a dead commit");
  });

  it("sync reports them as stale-lock and --fix removes them", async () => {
    const dir = await journalWithRecords();
    const lock = path.join(dir, ".git", "HEAD.lock");
    leaveStaleLock(lock);
    const fix = await reportPlanFix(dir, "stale-lock");
    expect(fix.findings.map((f) => f.detail)).toEqual(["git's HEAD.lock was left by a git process that is gone"]);
    expect(fs.existsSync(lock)).toBe(false);
  });
});

describe("a record that waited for the lock while the database was rebuilt", () => {
  it("writes its row into the new index.db, not into the quarantined old one", async () => {
    const dir = await journalWithRecords();
    const lockDir = path.join(dir, "memory", ".lore", "journal.lock");
    const holder = await holdJournalLock(lockDir);
    // The record opens index.db at once, then waits for the lock.
    const waiting = recordFailure(dir, { title: "Waited", domain: "x" });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // What a rebuild does meanwhile: fold the WAL in, move the old file aside, rename a new one into place.
    const dbFile = path.join(dir, "memory", "index.db");
    const db = openDb(dir);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    fs.copyFileSync(dbFile, `${dbFile}.candidate`);
    const aside = path.join(dir, "memory", ".lore");
    for (const suffix of ["", "-wal", "-shm"]) {
      if (fs.existsSync(`${dbFile}${suffix}`))
        fs.renameSync(`${dbFile}${suffix}`, path.join(aside, `old-index.db${suffix}`));
    }
    fs.renameSync(`${dbFile}.candidate`, dbFile);
    holder.kill("SIGKILL");
    const record = await waiting;
    expect({ code: record.code, stderr: record.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readRows(dir).learnings.map((row) => row.title)).toContain("Waited");
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("lore sync on a large journal no commit holds yet", () => {
  it("commits thousands of uncommitted record files at once: paths and message beyond the system's argument limits", async () => {
    const dir = tempDir();
    const counts = generateJournal(dir, { records: 4000, seed: 7 });
    git(dir, ["init", "-q"]);
    configureGitIdentity(dir);
    ok(await runLore(["init", "--no-commit"], { cwd: dir }));
    for (const suffix of ["", "-wal", "-shm"])
      fs.rmSync(path.join(dir, "memory", `index.db${suffix}`), { force: true });
    // One argument may hold at most 128 KiB on Linux: the commit's message lists every file, more than that here.
    const listed = ["failures", "heuristics"].flatMap((folder) =>
      fs.readdirSync(path.join(dir, "memory", folder)).map((name) => `memory/${folder}/${name}`),
    );
    expect(listed.join("\n").length).toBeGreaterThan(128 * 1024);
    const rebuild = await runLore(["sync", "--rebuild"], { cwd: dir });
    expect(rebuild.stderr).not.toMatch(/E2BIG|commit failed/);
    expect(rebuild.code).toBe(0);
    const committed = git(dir, ["ls-files", "memory/failures", "memory/heuristics"]).trim().split("\n");
    expect(committed).toHaveLength(counts.files);
    expect(git(dir, ["status", "--porcelain", "memory/failures", "memory/heuristics"])).toBe("");
  }, 120_000);
});
