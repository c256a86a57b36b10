/**
 * The pre-commit check: what a commit is about to add to the journal, read
 * from git's index. It only reads (git's index and HEAD, and the journal
 * database read-only); it takes no lock and writes nothing.
 *
 *   const problems = await stagedJournalProblems(layout);   // [] = commit may go on
 *
 * A staged record file is refused when it has git conflict markers, when it
 * cannot be read as records (not UTF-8, a block cut short, ...: the judgement
 * sync and the writers share, journal-file.ts `recordsOfBytes`), or when the
 * commit adds an id that another
 * record already has: a lore id, or a heuristic's `H-<id>`, twice in the
 * staged files, or also in another file of the index. Only ids the commit
 * adds count: a file ELF left with two `H-0` blocks can still be edited.
 * Each problem is one line, `<path>:<line>: <what>`.
 */
import fs from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { runGit, runGitRaw } from "../git/git-process.js";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { openSqlite } from "../db/journal-db.js";
import {
  isJournalFilePath,
  RECORD_DIRECTORIES,
  recordsOf,
  recordsOfBytes,
  type FileRecord,
} from "../journal/journal-file.js";

async function indexContent(layout: JournalLayout, file: string, revision: "" | "HEAD"): Promise<Buffer | undefined> {
  try {
    return (await runGitRaw(layout.base, ["show", `${revision}:./${file}`])).stdout;
  } catch {
    return undefined;
  }
}

function idsOf(records: FileRecord[]): string[] {
  return records.flatMap((record) => idEntries(record).map((entry) => entry.id));
}

function idEntries(record: FileRecord): Array<Omit<AddedId, "where" | "file">> {
  return [
    ...(record.loreId ? [{ id: `lore id ${record.loreId}`, loreId: record.loreId }] : []),
    ...(record.table === "heuristics" && record.headingId !== undefined && record.headingId > 0
      ? [{ id: `H-${record.headingId}`, headingId: record.headingId, recordLoreId: record.loreId }]
      : []),
  ];
}

function count(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/**
 * Where the journal database says a record with this id lives, if in another
 * file that still exists; the database is read, not the whole index, so the
 * check stays quick in a large journal. `db` is undefined where there is no
 * database to ask.
 */
function recordedElsewhere(
  db: BetterSqlite3.Database | undefined,
  layout: JournalLayout,
  added: AddedId,
  file: string,
): string | undefined {
  if (!db) return undefined;
  try {
    const found = added.loreId
      ? (db
          .prepare(
            "SELECT filepath AS path FROM learnings WHERE lore_id = ? UNION ALL SELECT 'memory/heuristics/' || domain || '.md' FROM heuristics WHERE lore_id = ?",
          )
          .pluck()
          .all(added.loreId, added.loreId) as string[])
      : (db
          .prepare(
            "SELECT 'memory/heuristics/' || domain || '.md' FROM heuristics WHERE id = ? AND (lore_id IS NULL OR lore_id IS NOT ?)",
          )
          .pluck()
          .all(added.headingId, added.recordLoreId ?? null) as string[]);
    return found.find((other) => other !== file && fs.existsSync(journalAbsolutePath(layout, other)));
  } catch {
    return undefined;
  }
}

/** The journal database, read-only, or undefined when there is none that opens. */
function openReadOnly(layout: JournalLayout): BetterSqlite3.Database | undefined {
  try {
    return fs.existsSync(layout.dbFile)
      ? openSqlite(layout.dbFile, { readonly: true, fileMustExist: true })
      : undefined;
  } catch {
    return undefined;
  }
}

interface AddedId {
  id: string;
  where: string;
  file: string;
  loreId?: string;
  headingId?: number;
  recordLoreId?: string;
}

export async function stagedJournalProblems(layout: JournalLayout): Promise<string[]> {
  const staged = (
    await runGit(layout.base, [
      "diff",
      "--cached",
      "--name-only",
      "--relative",
      "-z",
      "--diff-filter=ACMR",
      "--",
      ...RECORD_DIRECTORIES.map((entry) => entry.directory),
    ])
  ).stdout
    .split("\0")
    .filter(isJournalFilePath);
  if (staged.length === 0) return [];
  const problems: string[] = [];
  const added: AddedId[] = [];
  const kept = new Map<string, string>();
  for (const file of staged) {
    const bytes = await indexContent(layout, file, "");
    if (bytes === undefined) continue;
    const read = recordsOfBytes(file, bytes);
    if (read.problem?.type === "conflict-markers") {
      problems.push(`${file}:${read.problem.line}: git conflict markers; resolve the conflict first`);
      continue;
    }
    if (read.problem) {
      problems.push(`${file}:${read.problem.line}: cannot be read as a record: ${read.problem.message}`);
      continue;
    }
    const records = read.records;
    const before = await indexContent(layout, file, "HEAD");
    let previous: Map<string, number> = new Map();
    try {
      previous = count(before === undefined ? [] : idsOf(recordsOf(file, before.toString("utf8"))));
    } catch {
      // HEAD's version was unreadable: every id counts as added.
    }
    const seen = new Map<string, number>();
    for (const record of records) {
      for (const entry of idEntries(record)) {
        const times = (seen.get(entry.id) ?? 0) + 1;
        seen.set(entry.id, times);
        const where = `${file}:${record.line}`;
        if (times > (previous.get(entry.id) ?? 0)) added.push({ ...entry, where, file });
        else kept.set(entry.id, where);
      }
    }
  }
  const known = new Map(kept);
  const db = added.length > 0 ? openReadOnly(layout) : undefined;
  try {
    for (const entry of added) {
      const elsewhere = known.get(entry.id) ?? recordedElsewhere(db, layout, entry, entry.file);
      if (elsewhere)
        problems.push(`${entry.where}: ${entry.id} is also the record at ${elsewhere}; give it an id of its own`);
      else known.set(entry.id, entry.where);
    }
  } finally {
    db?.close();
  }
  return problems;
}
