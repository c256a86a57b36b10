/**
 * `lore init`: creates a journal, or brings an existing one (ELF's included)
 * up to date, without losing anything.
 *
 * `initJournal(dir, { git, timeoutMs, staleMs })`:
 *   - creates `memory/failures`, `memory/heuristics`, `memory/successes`, lore's
 *     runtime directory and `memory/index.db` with the schema;
 *   - on an existing database, migrates the schema only by adding (under the
 *     journal lock, so running records are not disturbed);
 *   - appends to `<dir>/.gitignore` the entries that keep the database, its
 *     WAL files and lore's lock, intent and temp files out of git, each only
 *     when missing;
 *   - with `git`, runs `git init` when `dir` is not inside a work tree.
 * Running it again changes nothing. It returns what it did, for the CLI to say.
 */
import fs from "node:fs";
import path from "node:path";
import { findWorkTree, runGit } from "../git/git-process.js";
import { journalLayout, type JournalLayout } from "../journal/layout.js";
import { withJournalCreated } from "../txn/journal-session.js";

export const GITIGNORE_ENTRIES = [
  "memory/index.db",
  "memory/index.db-wal",
  "memory/index.db-shm",
  "memory/index.db-journal",
  "memory/.lore/",
  "memory/**/*.md.[0-9]*",
];

export interface InitOptions {
  git: boolean;
  timeoutMs: number;
  staleMs: number;
}

export interface InitResult {
  layout: JournalLayout;
  createdDatabase: boolean;
  gitignoreAdded: string[];
  gitInitialized: boolean;
}

function updateGitignore(base: string): string[] {
  const file = path.join(base, ".gitignore");
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  // git ignores trailing blanks of a pattern but not leading ones: compare the same way.
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trimEnd()));
  const missing = GITIGNORE_ENTRIES.filter((entry) => !present.has(entry));
  if (missing.length === 0) return [];
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  const heading = present.has("# lore: local index and runtime files") ? "" : "# lore: local index and runtime files\n";
  fs.writeFileSync(file, `${existing}${separator}${heading}${missing.join("\n")}\n`);
  return missing;
}

export async function initJournal(directory: string, options: InitOptions): Promise<InitResult> {
  const layout = journalLayout(directory);
  for (const dir of [layout.failuresDir, layout.heuristicsDir, layout.successesDir, layout.pendingDir]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const createdDatabase = !fs.existsSync(layout.dbFile);
  await withJournalCreated(layout, { ...options, noCommit: true }, async (db) => db.close());
  const gitignoreAdded = updateGitignore(layout.base);
  let gitInitialized = false;
  if (options.git && !findWorkTree(layout.base)) {
    await runGit(layout.base, ["init", "--quiet"]);
    gitInitialized = true;
  }
  return { layout, createdDatabase, gitignoreAdded, gitInitialized };
}
