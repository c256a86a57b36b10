// Temporary journals for tests: a real directory, a real git repository with
// its own identity, a real SQLite index, and the checks of lore's invariants.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { runLore } from "./lore.js";
import { parseFailure } from "../../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../../src/journal/heuristic-markdown.js";
import { searchIndexViolations } from "./search-index-check.js";
import { SEARCH_TRIGGERS } from "../../src/db/search-index.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

export function tempDir(prefix = "lore-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_DIR: undefined } as NodeJS.ProcessEnv,
  });
}

export function configureGitIdentity(dir: string): void {
  git(dir, ["config", "user.name", "lore test"]);
  git(dir, ["config", "user.email", "lore-test@example.invalid"]);
  git(dir, ["config", "commit.gpgsign", "false"]);
}

/** A new journal; with `git`, inside a new repository where the files init wrote (.gitignore, golden rules) are committed. */
export async function createJournal(options: { git: boolean } = { git: true }): Promise<string> {
  const dir = tempDir();
  await createJournalIn(dir, options);
  return dir;
}

/** createJournal in a directory of the caller's (made if missing). */
export async function createJournalIn(dir: string, options: { git: boolean } = { git: true }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const init = await runLore(["init", ...(options.git ? ["--git"] : [])], { cwd: dir });
  if (init.code !== 0) throw new Error(`lore init failed: ${init.stderr}`);
  if (options.git) {
    configureGitIdentity(dir);
    git(dir, ["add", ".gitignore", "memory/golden-rules.md"]);
    git(dir, ["commit", "-q", "-m", "journal"]);
  }
}

/** Runs one SQL statement on the journal's database, as ELF's tools and dashboard write it. */
export function runSql(dir: string, statement: string, ...values: unknown[]): void {
  const db = openDb(dir);
  try {
    db.prepare(statement).run(...values);
  } finally {
    db.close();
  }
}

export function openDb(dir: string): BetterSqlite3.Database {
  return new Database(path.join(dir, "memory", "index.db"), { fileMustExist: true });
}

export interface LearningRow {
  id: number;
  type: string;
  filepath: string;
  title: string;
  summary: string | null;
  tags: string | null;
  domain: string | null;
  severity: number | null;
  lore_id: string | null;
}

export interface HeuristicRow {
  id: number;
  domain: string;
  rule: string;
  explanation: string | null;
  source_type: string | null;
  confidence: number | null;
  lore_id: string | null;
}

export function readRows(dir: string): { learnings: LearningRow[]; heuristics: HeuristicRow[] } {
  const db = openDb(dir);
  try {
    return {
      learnings: db.prepare("SELECT * FROM learnings ORDER BY id").all() as LearningRow[],
      heuristics: db.prepare("SELECT * FROM heuristics ORDER BY id").all() as HeuristicRow[],
    };
  } finally {
    db.close();
  }
}

function listFiles(directory: string): string[] {
  return fs.existsSync(directory) ? fs.readdirSync(directory).map((name) => path.join(directory, name)) : [];
}

/**
 * Lore ids found in the markdown files: failures and observations (a
 * `learnings` row each) by file, heuristics by block.
 */
export function markdownRecords(dir: string): { failures: Map<string, string>; heuristics: Map<string, number> } {
  const failures = new Map<string, string>();
  const heuristics = new Map<string, number>();
  const learningFiles = [
    ...listFiles(path.join(dir, "memory", "failures")).filter((f) => f.endsWith(".md")),
    ...listFiles(path.join(dir, "memory", "successes")).filter((f) => /\/obs_[^/]*\.md$/.test(f)),
  ];
  for (const file of learningFiles) {
    // An observation file reads as a failure file does (observation-markdown.ts).
    const parsed = parseFailure(fs.readFileSync(file, "utf8"));
    if (parsed.loreId) failures.set(parsed.loreId, path.relative(dir, file).split(path.sep).join("/"));
  }
  for (const file of listFiles(path.join(dir, "memory", "heuristics")).filter((f) => f.endsWith(".md"))) {
    for (const block of parseHeuristicFile(fs.readFileSync(file, "utf8"))) {
      if (block.loreId && block.id !== undefined) heuristics.set(block.loreId, block.id);
    }
  }
  return { failures, heuristics };
}

/**
 * Every way the journal can be inconsistent after lore ran, as readable lines
 * (an empty list means all invariants hold): files and rows apart, the search
 * index apart from the rows, leftovers, locks, uncommitted files.
 */
export function invariantViolations(dir: string, options: { git: boolean } = { git: true }): string[] {
  const problems: string[] = [];
  const { learnings, heuristics } = readRows(dir);
  const files = markdownRecords(dir);
  const rowFailures = new Map(learnings.filter((row) => row.lore_id).map((row) => [row.lore_id as string, row]));
  const rowHeuristics = new Map(heuristics.filter((row) => row.lore_id).map((row) => [row.lore_id as string, row]));
  for (const [loreId, file] of files.failures) {
    const row = rowFailures.get(loreId);
    if (!row) problems.push(`failure file ${file} has no row`);
    else if (row.filepath !== file) problems.push(`failure row ${row.id} points at ${row.filepath}, file is ${file}`);
  }
  for (const [loreId, row] of rowFailures)
    if (!files.failures.has(loreId)) problems.push(`failure row ${row.id} has no file`);
  for (const [loreId, id] of files.heuristics) {
    const row = rowHeuristics.get(loreId);
    if (!row) problems.push(`heuristic H-${id} has no row`);
    else if (row.id !== id) problems.push(`heuristic H-${id} has row id ${row.id}`);
  }
  for (const [loreId, row] of rowHeuristics)
    if (!files.heuristics.has(loreId)) problems.push(`heuristic row ${row.id} has no block`);
  const db = openDb(dir);
  try {
    problems.push(...searchIndexViolations(db));
  } finally {
    db.close();
  }
  for (const directory of ["failures", "heuristics", "successes"]) {
    for (const file of listFiles(path.join(dir, "memory", directory))) {
      if (/\.md\.\d+$/.test(file)) problems.push(`temp file left: ${file}`);
      if (/\/\.[^/]+\.md\.[0-9a-f-]+\.kept$/.test(file)) problems.push(`kept version left: ${file}`);
    }
  }
  for (const intent of listFiles(path.join(dir, "memory", ".lore", "pending")))
    problems.push(`pending intent left: ${intent}`);
  if (fs.existsSync(path.join(dir, "memory", ".lore", "journal.lock"))) problems.push("journal lock still held");
  for (const ticket of listFiles(path.join(dir, "memory", ".lore", "lock-waiters")))
    problems.push(`wait-queue ticket left: ${ticket}`);
  if (options.git) {
    if (fs.existsSync(path.join(dir, ".git", "index.lock"))) problems.push(".git/index.lock left");
    const status = git(dir, ["status", "--porcelain", "--", "memory"]).trim();
    if (status) problems.push(`uncommitted journal files:\n${status}`);
  }
  return problems;
}

/**
 * Makes the journal's search index what schema versions 5 to 8 made it, and
 * its schema version 8: one table, `lore_search`, the entry of learnings row
 * N at rowid 2N and of heuristics row N at 2N + 1, filled from the rows, and
 * no trigger (the caller adds the old ones it needs).
 */
export function asOneTableIndex(dir: string): void {
  for (const trigger of SEARCH_TRIGGERS) runSql(dir, `DROP TRIGGER IF EXISTS ${trigger}`);
  for (const table of ["lore_search_learnings", "lore_search_heuristics"]) runSql(dir, `DROP TABLE IF EXISTS ${table}`);
  runSql(
    dir,
    "CREATE VIRTUAL TABLE lore_search USING fts5(title, body, tags, domain, source, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6')",
  );
  runSql(
    dir,
    "INSERT INTO lore_search(rowid, title, body, tags, domain, source) SELECT id * 2, title, summary, tags, domain, NULL FROM learnings",
  );
  runSql(
    dir,
    "INSERT INTO lore_search(rowid, title, body, tags, domain, source) SELECT id * 2 + 1, rule, explanation, NULL, domain, source_type FROM heuristics",
  );
  runSql(dir, "UPDATE lore_meta SET value = '8' WHERE key = 'schema_version'");
}
