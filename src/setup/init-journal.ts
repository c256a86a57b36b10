/**
 * `lore init`: creates a journal, or brings an existing one (ELF's included)
 * up to date, without losing anything.
 *
 * `initJournal(dir, { git, timeoutMs, staleMs })`:
 *   - first refuses (UnsafePathError, exit 6) a symbolic link where lore
 *     keeps the database, its lock, intents or records
 *     (txn/plain-journal-paths.ts), before it creates anything;
 *   - creates ELF's directories that hold a journal's records
 *     (`JOURNAL_DIRECTORIES`) and lore's runtime directory; ELF's init also
 *     makes `agents/` (its swarm's agent definitions), `logs/` (its scripts'
 *     logs, which ELF's own .gitignore ignores and each script creates when it
 *     logs), `query/` and `scripts/` (its code): tooling, not records, so lore
 *     leaves them out. No `.gitkeep` is written: git keeps no empty
 *     directory, and needs none, since every clone runs `lore init` for its
 *     own `index.db` (never in git) and every writer creates its directory;
 *   - creates `memory/index.db` with the schema (db/schema.ts: ELF's whole
 *     schema plus lore's), or migrates an existing one, only by adding;
 *   - writes `memory/golden-rules.md` when there is none, in the format ELF's
 *     record-violation.sh reads (`## <N>. <Title>`, `> <statement>`,
 *     `**Why:**`, `**Promoted:**`, `**Validations:**`, `---` between rules),
 *     as a header and no rules: a journal starts with none. An existing file,
 *     in any format, is never touched;
 *   - where git tracks `memory/index.db` (or its `-wal`, `-shm`, `-journal`),
 *     stops tracking it with a commit of its removal alone (git/commit.ts
 *     commitRemoval), the file staying; where that fails (a hook refuses, git
 *     fails) it warns in one line and carries on;
 *   - appends to `<dir>/.gitignore` the entries that keep the database, its
 *     WAL files and lore's lock, intent and temp files out of git, each only
 *     when missing;
 *   - with `git`, runs `git init` when `dir` is not inside a work tree.
 * The files and the commit are written under the journal lock. Running it
 * again changes nothing. It returns what it did, for the CLI to say.
 */
import fs from "node:fs";
import path from "node:path";
import { warn } from "../base/warn.js";
import { commitRemoval } from "../git/commit.js";
import { findWorkTree, runGit } from "../git/git-process.js";
import { installedHooks } from "../git/hook-state.js";
import { createFileDurably } from "../io/durable-file.js";
import { journalLayout, type JournalLayout } from "../journal/layout.js";
import { type HeldJournal, withJournalCreated } from "../txn/journal-session.js";
import { assertJournalPathsPlain } from "../txn/plain-journal-paths.js";
import { makeDirectory, writeFile } from "../io/file-system.js";

export const GITIGNORE_ENTRIES = [
  "memory/index.db",
  "memory/index.db-wal",
  "memory/index.db-shm",
  "memory/index.db-journal",
  // No trailing slash: it also matches a symbolic link of that name, which lore refuses and git must not commit.
  "memory/.lore",
  "memory/**/*.md.[0-9]*",
];

/**
 * ELF's directories for a journal's records, relative to the base: memory's;
 * the experiments' (start-experiment.sh writes `experiments/active/<run>/`,
 * and its row points there) and their cycles' (ELF's init makes `cycles/`
 * beside them, the counterpart of its `cycles` table); the CEO inbox, where
 * record-violation.sh and integrate-proposal.py write escalations.
 */
export const JOURNAL_DIRECTORIES = [
  "memory/failures",
  "memory/heuristics",
  "memory/successes",
  "experiments/active",
  "experiments/completed",
  "cycles",
  "ceo-inbox",
];

export const GOLDEN_RULES_FILE = "golden-rules.md";

/** A golden-rules file with no rule yet, in ELF's format B. */
export const GOLDEN_RULES_HEADER = `# Golden Rules

Rules that every task follows, each a heuristic promoted once it proved
itself. A rule is a heading \`## <N>. <Title>\`, then its statement in one
line, \`> <statement>\`, then \`**Why:**\`, \`**Promoted:**\` and
\`**Validations:**\` lines; a \`---\` line separates rules. ELF's
record-violation.sh finds rule N by its heading.

---
`;

/** The database and the files SQLite keeps beside it, which git must not track. */
const DATABASE_FILES = ["index.db", "index.db-wal", "index.db-shm", "index.db-journal"];

export interface InitOptions {
  git: boolean;
  timeoutMs: number;
  staleMs: number;
}

export interface InitResult {
  layout: JournalLayout;
  createdDatabase: boolean;
  createdGoldenRules: boolean;
  gitignoreAdded: string[];
  gitInitialized: boolean;
  /** The database files git tracked and no longer does, relative to the work tree. */
  untracked: string[];
  /** The commit that removed them from HEAD; null when HEAD held none. */
  untrackCommit: string | null;
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
  writeFile(file, `${existing}${separator}${heading}${missing.join("\n")}\n`);
  return missing;
}

/**
 * Stops git tracking the database files, under the journal lock; warns and
 * returns nothing untracked when git cannot.
 */
async function untrackDatabase(
  layout: JournalLayout,
  held: HeldJournal,
  options: InitOptions,
): Promise<{ untracked: string[]; commit: string | undefined }> {
  const repo = held.workTree;
  if (!repo) return { untracked: [], commit: undefined };
  const paths = DATABASE_FILES.map((name) =>
    path.relative(repo.root, path.join(layout.memoryDir, name)).split(path.sep).join("/"),
  );
  try {
    return await commitRemoval(
      repo,
      {
        paths,
        message:
          "init: stop tracking memory/index.db\n\n" +
          "The journal's SQLite index is local to each clone: lore builds it from\n" +
          "the markdown files, and a tracked copy conflicts on every merge. The\n" +
          "files stay in the work tree, and .gitignore keeps them out.",
        indexFile: path.join(layout.loreDir, `untrack-${process.pid}.index`),
      },
      {
        deadline: Date.now() + options.timeoutMs,
        staleMs: options.staleMs,
        assertHeld: () => held.lock.assertHeld(),
        hooksDir: installedHooks(repo.gitDir)?.chainedDir,
      },
    );
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    warn(`could not stop git tracking ${paths[0]} (${reason}); untrack it with \`git rm --cached\` and commit`);
    return { untracked: [], commit: undefined };
  }
}

export async function initJournal(directory: string, options: InitOptions): Promise<InitResult> {
  const layout = journalLayout(directory);
  // Before the first mkdir, which would create directories through a link.
  assertJournalPathsPlain(layout);
  for (const dir of [...JOURNAL_DIRECTORIES.map((name) => path.join(layout.base, name)), layout.pendingDir]) {
    makeDirectory(dir, { recursive: true });
  }
  const createdDatabase = !fs.existsSync(layout.dbFile);
  const { createdGoldenRules, untracked, commit } = await withJournalCreated(
    layout,
    { ...options, noCommit: true },
    async (db, held) => {
      db.close();
      const created = createFileDurably(
        path.join(layout.memoryDir, GOLDEN_RULES_FILE),
        GOLDEN_RULES_HEADER,
        path.join(layout.loreDir, `golden-rules-${process.pid}.tmp`),
      );
      return { createdGoldenRules: created, ...(await untrackDatabase(layout, held, options)) };
    },
  );
  const gitignoreAdded = updateGitignore(layout.base);
  let gitInitialized = false;
  if (options.git && !findWorkTree(layout.base)) {
    await runGit(layout.base, ["init", "--quiet"]);
    gitInitialized = true;
  }
  return {
    layout,
    createdDatabase,
    createdGoldenRules,
    gitignoreAdded,
    gitInitialized,
    untracked,
    untrackCommit: commit ?? null,
  };
}
