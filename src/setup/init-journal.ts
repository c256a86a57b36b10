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
 *   - with `git`, runs `git init` when `dir` is not inside a work tree;
 *   - in a work tree, unless `commit` is false (the journal is kept out of
 *     git), makes sure git would not ignore the record files
 *     (recordFilesCommittable): for each directory from the journal down to
 *     `memory/failures`, `memory/heuristics` and `memory/successes`, then a
 *     record file in each (an `obs_` one in `memory/successes`),
 *     `git check-ignore -v` names the rule that ignores it, if any. A rule in
 *     a `.gitignore` inside the journal is undone by lines appended to that
 *     same file (git takes the last matching line of a file, and a deeper
 *     file before a higher one): `!/<dir>/` re-includes a directory and
 *     `/<dir>/*` keeps the rest of it ignored as it was (not for
 *     `memory/failures` or `memory/heuristics`, which hold only records and
 *     lore's temp files), `!/<dir>/*.md` (`!/<dir>/obs_*.md` in
 *     `memory/successes`, where ELF's pattern files stay as they were)
 *     re-includes the record files of a rule that ignored files; then git is
 *     asked again. A rule elsewhere (a `.gitignore` above the journal,
 *     `.git/info/exclude`, `core.excludesFile`) is the user's to change:
 *     IgnoredJournalError (exit 2) names it, before anything is written when
 *     the work tree was there already.
 * The files and the commit are written under the journal lock. Running it
 * again changes nothing. It returns what it did, for the CLI to say.
 */
import fs from "node:fs";
import path from "node:path";
import { ExitCode, LoreError } from "../base/errors.js";
import { warn } from "../base/warn.js";
import { commitRemoval } from "../git/commit.js";
import { findWorkTree, type GitRepo, runGit } from "../git/git-process.js";
import { describeRule, ignoringRules } from "../git/ignore-rules.js";
import { RECORD_DIRECTORIES } from "../journal/journal-file.js";
import { installedHooks } from "../git/hook-state.js";
import { createFileDurably } from "../io/durable-file.js";
import { journalLayout, type JournalLayout } from "../journal/layout.js";
import { type HeldJournal, withJournalCreated } from "../txn/journal-session.js";
import { assertJournalPathsPlain } from "../txn/plain-journal-paths.js";
import { makeDirectory, removeTree, writeFile } from "../io/file-system.js";

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
  /** The journal's records are committed to git (false: --no-commit, kept out of git): git must not ignore them. */
  commit: boolean;
  timeoutMs: number;
  staleMs: number;
}

/** git would ignore the journal's record files by a rule outside the journal: exit 2, the rule named. */
export class IgnoredJournalError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
}

/** What init changed so that git commits the record files it ignored. */
export interface IgnoreFix {
  /** The rules that ignored them, `file:line:pattern` as `git check-ignore -v` names them. */
  rules: string[];
  /** The lines appended, by `.gitignore` file (relative to the journal, with `/`). */
  added: Record<string, string[]>;
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
  /** The rules init undid so that git commits the record files; null when git ignored none. */
  ignoreFix: IgnoreFix | null;
}

/** A record file to come, in each record directory: its name is a record's (its prefix, a date, a slug, `.md`). */
const PROBE_NAME = "00000000_record.md";
/** Each round undoes one rule; a journal needs a few at most. */
const MAX_FIX_ROUNDS = 16;
const IGNORE_FIX_HEADING = "# lore: commit the journal's record files, which a rule above ignored";

function toPosix(relative: string): string {
  return relative.split(path.sep).join("/");
}

/**
 * The paths git must not ignore for a record to be committed: each directory
 * from the journal down, then a record file. The directories must exist: git
 * tells a directory from a file by looking (a `/` at the end would let
 * `dir/*` match `dir/` itself).
 */
function recordPaths(layout: JournalLayout): string[] {
  const paths = new Set<string>();
  for (const { directory, namePrefix } of RECORD_DIRECTORIES) {
    const parts = directory.split("/");
    for (let depth = 1; depth <= parts.length; depth++) paths.add(path.join(layout.base, ...parts.slice(0, depth)));
    paths.add(path.join(layout.base, ...parts, `${namePrefix}${PROBE_NAME}`));
  }
  return [...paths];
}

/** How a record file's name starts in the directory `absolute`; undefined when it is no record directory. */
function recordNamePrefix(layout: JournalLayout, absolute: string): string | undefined {
  return RECORD_DIRECTORIES.find(({ directory }) => absolute === path.join(layout.base, directory))?.namePrefix;
}

/**
 * The lines that undo, in the `.gitignore` of `directory`, the rule that
 * ignores `probe`. A directory that holds only records (every `.md` of it is
 * one) is re-included whole; `memory/successes`, which holds ELF's pattern
 * files too, only for lore's `obs_*.md`.
 */
function undoingLines(layout: JournalLayout, directory: string, probe: string): string[] {
  if (probe.endsWith(".md")) {
    const relative = toPosix(path.relative(directory, path.dirname(probe)));
    const files = `${recordNamePrefix(layout, path.dirname(probe)) ?? ""}*.md`;
    return [relative === "" ? `!/${files}` : `!/${relative}/${files}`];
  }
  const relative = toPosix(path.relative(directory, probe));
  const onlyRecords = recordNamePrefix(layout, probe) === "";
  return onlyRecords ? [`!/${relative}/`] : [`!/${relative}/`, `/${relative}/*`];
}

function appendLines(file: string, lines: string[], withHeading: boolean): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  writeFile(file, `${existing}${separator}${withHeading ? `${IGNORE_FIX_HEADING}\n` : ""}${lines.join("\n")}\n`);
}

/**
 * Makes git commit the record files: undoes each rule in a `.gitignore` of
 * the journal that ignores them; throws IgnoredJournalError for a rule
 * elsewhere. Returns what it changed, or null when git ignored none.
 */
async function recordFilesCommittable(layout: JournalLayout, repo: GitRepo): Promise<IgnoreFix | null> {
  const fix: IgnoreFix = { rules: [], added: {} };
  const ours = new Set<string>();
  for (let round = 0; round < MAX_FIX_ROUNDS; round++) {
    const probes = recordPaths(layout);
    const rules = await ignoringRules(repo, probes, { asIfUntracked: true });
    const probe = probes.find((candidate) => rules.has(candidate));
    if (probe === undefined) return fix.rules.length > 0 ? fix : null;
    const rule = rules.get(probe) as NonNullable<ReturnType<typeof rules.get>>;
    const named = describeRule(repo, rule);
    const fromJournal = path.relative(layout.base, rule.source);
    const inJournal =
      path.basename(rule.source) === ".gitignore" && !fromJournal.startsWith("..") && !path.isAbsolute(fromJournal);
    if (!inJournal) {
      throw new IgnoredJournalError(
        `git would ignore the journal's record files: ${named} ignores ${toPosix(path.relative(layout.base, probe))}${probe.endsWith(".md") ? "" : "/"}, ` +
          "a rule outside the journal; remove it, or keep the journal out of git with `lore init --no-commit` " +
          "and --no-commit on every record",
      );
    }
    // A line lore appended in an earlier round (`/memory/*`) is no rule of the user's to report.
    if (!ours.has(`${rule.source}\0${rule.pattern}`) && !fix.rules.includes(named)) fix.rules.push(named);
    const lines = undoingLines(layout, path.dirname(rule.source), probe);
    const file = toPosix(fromJournal);
    appendLines(rule.source, lines, fix.added[file] === undefined);
    for (const line of lines) ours.add(`${rule.source}\0${line}`);
    fix.added[file] = [...(fix.added[file] ?? []), ...lines];
  }
  throw new IgnoredJournalError(
    `git still ignores the journal's record files after ${MAX_FIX_ROUNDS} rules were undone; check its .gitignore files`,
  );
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

/** recordFilesCommittable, with the record directories made first; the ones it made are removed again on a refusal. */
async function checkedRecordFiles(layout: JournalLayout, repo: GitRepo): Promise<IgnoreFix | null> {
  const made = RECORD_DIRECTORIES.map(({ directory }) =>
    makeDirectory(path.join(layout.base, directory), { recursive: true }),
  );
  try {
    return await recordFilesCommittable(layout, repo);
  } catch (error) {
    for (const directory of made.reverse()) if (directory) removeTree(directory);
    throw error;
  }
}

export async function initJournal(directory: string, options: InitOptions): Promise<InitResult> {
  const layout = journalLayout(directory);
  // Before the first mkdir, which would create directories through a link.
  assertJournalPathsPlain(layout);
  const existingRepo = findWorkTree(layout.base);
  // Refused before anything else is written, where the work tree is there already.
  let ignoreFix = existingRepo && options.commit ? await checkedRecordFiles(layout, existingRepo) : null;
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
        layout.goldenRulesFile,
        GOLDEN_RULES_HEADER,
        path.join(layout.loreDir, `golden-rules-${process.pid}.tmp`),
      );
      return { createdGoldenRules: created, ...(await untrackDatabase(layout, held, options)) };
    },
  );
  const gitignoreAdded = updateGitignore(layout.base);
  let gitInitialized = false;
  if (options.git && !existingRepo) {
    await runGit(layout.base, ["init", "--quiet"]);
    gitInitialized = true;
    const created = findWorkTree(layout.base);
    if (created && options.commit) ignoreFix = await checkedRecordFiles(layout, created);
  }
  return {
    layout,
    createdDatabase,
    createdGoldenRules,
    gitignoreAdded,
    gitInitialized,
    untracked,
    untrackCommit: commit ?? null,
    ignoreFix,
  };
}
