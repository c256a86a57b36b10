/**
 * Where a journal's files are, and how to find the journal.
 *
 * `journalLayout(base)` gives every path lore uses below a base directory, in
 * ELF's layout (`memory/failures`, `memory/heuristics`, `memory/successes`,
 * `memory/index.db`, `memory/golden-rules.md`) plus lore's own runtime
 * directory `memory/.lore` (lock, pending intents), which is never committed.
 *
 * `locateJournal({ base, env, cwd })` picks the base: the `--base` flag, else
 * `LORE_BASE`, else the nearest ancestor of `cwd` holding `memory/index.db`,
 * else ELF's install root, `<home>/.claude/emergent-learning`
 * (`elfInstallRoot`), when it holds `memory/index.db`: where ELF's hooks and
 * `query.py` look, so that an ELF user's agents record there from any
 * directory. `home` defaults to `os.homedir()`, which on POSIX is `$HOME`
 * (tests set HOME). With none it throws `NoJournalError` (exit 2), one line
 * naming every place it looked and saying to run `lore init`. With
 * `databaseOptional` (lore sync, which can rebuild a lost database), a base
 * whose `memory/` holds `failures/` or `heuristics/` is a journal too, except
 * the install root, which counts only with its database: a half-installed ELF
 * is never taken for the journal of a command run elsewhere.
 *
 * `journalRelativePath(layout, file)` is the path stored in the database and
 * given to git: relative to the base, always with `/`, on every platform.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ExitCode, LoreError } from "../base/errors.js";

export interface JournalLayout {
  base: string;
  memoryDir: string;
  failuresDir: string;
  heuristicsDir: string;
  successesDir: string;
  /** ELF's `memory/golden-rules.md`. */
  goldenRulesFile: string;
  dbFile: string;
  loreDir: string;
  lockDir: string;
  pendingDir: string;
}

export class NoJournalError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
  constructor(where: string) {
    super(`no lore journal found ${where}; run \`lore init\` to create one`);
  }
}

export function journalLayout(base: string): JournalLayout {
  const resolved = path.resolve(base);
  const memoryDir = path.join(resolved, "memory");
  const loreDir = path.join(memoryDir, ".lore");
  return {
    base: resolved,
    memoryDir,
    failuresDir: path.join(memoryDir, "failures"),
    heuristicsDir: path.join(memoryDir, "heuristics"),
    successesDir: path.join(memoryDir, "successes"),
    goldenRulesFile: path.join(memoryDir, "golden-rules.md"),
    dbFile: path.join(memoryDir, "index.db"),
    loreDir,
    lockDir: path.join(loreDir, "journal.lock"),
    pendingDir: path.join(loreDir, "pending"),
  };
}

export function journalRelativePath(layout: JournalLayout, file: string): string {
  return path.relative(layout.base, file).split(path.sep).join("/");
}

export function journalAbsolutePath(layout: JournalLayout, relative: string): string {
  return path.join(layout.base, ...relative.split("/"));
}

export interface LocateOptions {
  base?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  databaseOptional?: boolean;
  /** The home directory whose ELF install root is the last resort; default os.homedir(). */
  home?: string;
}

/** ELF's install root below `home`: `<home>/.claude/emergent-learning`. */
export function elfInstallRoot(home: string = os.homedir()): string {
  return path.join(home, ".claude", "emergent-learning");
}

function isJournal(layout: JournalLayout, databaseOptional: boolean): boolean {
  if (fs.existsSync(layout.dbFile)) return true;
  return databaseOptional && (fs.existsSync(layout.failuresDir) || fs.existsSync(layout.heuristicsDir));
}

export function locateJournal(options: LocateOptions): JournalLayout {
  const explicit = options.base ?? (options.env.LORE_BASE || undefined);
  if (explicit !== undefined) {
    const layout = journalLayout(path.resolve(options.cwd, explicit));
    if (!isJournal(layout, options.databaseOptional ?? false)) throw new NoJournalError(`at ${layout.base}`);
    return layout;
  }
  let directory = path.resolve(options.cwd);
  for (;;) {
    const layout = journalLayout(directory);
    if (isJournal(layout, options.databaseOptional ?? false)) return layout;
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  const installRoot = journalLayout(elfInstallRoot(options.home));
  if (isJournal(installRoot, false)) return installRoot;
  throw new NoJournalError(
    `in ${path.resolve(options.cwd)} or any directory above it, nor in ELF's install root ${installRoot.base} ` +
      "(no --base or LORE_BASE given)",
  );
}
