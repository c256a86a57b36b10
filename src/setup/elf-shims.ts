/**
 * lore's shims for ELF's recorders: `lore elf install | uninstall | status`.
 *
 *   const paths = elfPaths(dir);                  // ElfDirError (exit 2) unless dir is a directory
 *   installElfShims(paths, program)   ->  what changed, per script
 *   uninstallElfShims(paths)          ->  what was put back, per script
 *   elfShimStatus(paths, program)     ->  installed / current / original kept, per script
 *
 * ELF's callers run `bash <dir>/scripts/record-failure.sh ARGS` or the script
 * by its path, and ELF's scripts take `scripts/..` as their base. Each script
 * of ELF_SCRIPTS (script name -> lore command: record-failure.sh,
 * record-heuristic.sh, record-violation.sh) is replaced by a shell script of
 * the same name, mode 0755, that only `exec`s the installed lore on that base
 * with the caller's arguments; the environment (ELF's FAILURE_* and
 * HEURISTIC_* variables) passes through:
 *
 *   #!/bin/sh
 *   # lore: ELF shim (record-failure.sh), written by `lore elf install`. ...
 *   exec '/usr/local/bin/node' '/opt/lore/bin/lore.js' record-failure --base '/home/u/.claude/emergent-learning' "$@"
 *
 * lore itself runs no shell; the caller's shell reads this line. Every path
 * is single-quoted (a `'` inside as `'\''`), so spaces, quotes, `$` and
 * backslashes reach lore as they are. `--base` comes before the caller's
 * arguments: placed after them it could be taken for the value of a last
 * option given without one. A script that takes positional arguments only
 * (record-violation.sh RULE DESCRIPTION [SESSION_ID]) gets `--` before them,
 * so that a description such as `--help` or `-x failed` reaches lore as one. `program.node` is the absolute path of the node
 * that ran `lore elf install` (process.execPath), not `node` from PATH: an
 * agent's shell may have no node on its PATH, or another version, and
 * better-sqlite3's native addon loads only in the Node ABI it was built for.
 * After changing node or moving lore, `lore elf status` says "not current"
 * and `lore elf install` rewrites the shims.
 *
 * ELF's original script is kept in `scripts/.lore-originals/<name>`: first
 * a hard link to it is made there (the same inode: bytes, mode, owner and
 * times untouched; a copy where the file system has no hard links), then the
 * shim is renamed over the script, so that a caller finds ELF's script or
 * lore's shim at every moment, never neither. The state file beside them,
 * `lore-elf.json`, notes each kept original's mode, size and sha256, so that
 * status can tell one changed since. Uninstall renames the kept original back
 * over the shim: byte for byte, with its mode; once nothing is kept it
 * removes the state file and the directory. A shim with no kept original is
 * removed. Installing twice changes nothing; installing over a shim that calls
 * another lore or node rewrites it. A script that is missing (ELF not
 * installed in that directory) is reported, not an error, and gets its shim
 * back only when its original is kept (a shim removed by hand); a script
 * that is ELF's again (ELF reinstalled over the shim) while a different
 * original is kept stops the install before anything changes
 * (ElfOriginalConflictError, exit 1): the user says which one to keep.
 *
 * Each step can be interrupted and redone: a killed install leaves ELF's
 * script (with its link kept) or the shim, and the next install completes it;
 * a shim's temp file left by a kill is removed by the next install or
 * uninstall. Files are written through a temp file and a rename, then the
 * directory is fsynced (src/io/durable-file.ts). A symbolic link at
 * `scripts/`, `scripts/.lore-originals/`, a script, a kept original or the
 * state file is refused before anything is written (UnsafePathError, exit 6):
 * writing there would change the file it points at. A hard-linked script is
 * not refused: lore never writes into it, it renames another file over its
 * name. Not meant to run concurrently with itself on one directory.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ExitCode, LoreError } from "../base/errors.js";
import {
  assertPlainPath,
  fsyncDirectory,
  isTempFileOf,
  readFileIfPresent,
  removeFileDurably,
  removeIfPresent,
  UnsafePathError,
  writeFileDurably,
} from "../io/durable-file.js";
import { copyFile, linkPath, makeDirectory, removeDirectory, renamePath, syncFileAt } from "../io/file-system.js";

/** One of ELF's scripts that lore replaces, and the lore command its shim runs. */
export interface ElfScript {
  /** The file name in `<dir>/scripts/`. */
  script: string;
  /** lore's arguments before `--base DIR` and the caller's own. */
  command: readonly string[];
  /** The script takes positional arguments only: the shim passes them after `--`, never read as lore's options. */
  positional?: true;
}

export const ELF_SCRIPTS: readonly ElfScript[] = [
  { script: "record-failure.sh", command: ["record-failure"] },
  { script: "record-heuristic.sh", command: ["record-heuristic"] },
  { script: "record-violation.sh", command: ["record-violation"], positional: true },
];

/** The program a shim runs: absolute paths of a node and of lore's `bin/lore.js`. */
export interface LoreProgram {
  node: string;
  lore: string;
}

export interface ElfPaths {
  dir: string;
  scriptsDir: string;
  originalsDir: string;
  stateFile: string;
}

const MARKER = "lore: ELF shim";
const SHIM_MODE = 0o755;

export class ElfDirError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
  constructor(dir: string, what: string) {
    super(
      `${dir} ${what}: --elf-dir must name an existing directory, ELF's install root whose scripts/ holds ` +
        "its recorder scripts (default ~/.claude/emergent-learning)",
    );
  }
}

export class ElfOriginalConflictError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(script: string, kept: string) {
    super(
      `${script} is not lore's shim, and ${kept} keeps an earlier, different original: remove the one ` +
        "you do not want kept, then run `lore elf install` again; nothing was changed",
    );
  }
}

/** The paths below ELF's directory `dir`, which must exist. */
export function elfPaths(dir: string): ElfPaths {
  const resolved = path.resolve(dir);
  let stats: fs.Stats;
  try {
    stats = fs.statSync(resolved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ElfDirError(resolved, "does not exist");
    throw error;
  }
  if (!stats.isDirectory()) throw new ElfDirError(resolved, "is not a directory");
  const scriptsDir = path.join(resolved, "scripts");
  const originalsDir = path.join(scriptsDir, ".lore-originals");
  return { dir: resolved, scriptsDir, originalsDir, stateFile: path.join(originalsDir, "lore-elf.json") };
}

/** `text` as one shell word: single-quoted, a `'` inside written `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** The shim that replaces `entry.script` in `paths.dir`, running `program`. */
export function renderElfShim(entry: ElfScript, program: LoreProgram, paths: ElfPaths): string {
  const command = entry.command.join(" ");
  return [
    "#!/bin/sh",
    `# ${MARKER} (${entry.script}), written by \`lore elf install\`. It runs lore's`,
    `# \`${command}\` on this ELF directory with the same arguments and environment.`,
    "# `lore elf uninstall` puts ELF's script back (kept meanwhile in .lore-originals/).",
    `exec ${shellQuote(program.node)} ${shellQuote(program.lore)} ${command} --base ${shellQuote(paths.dir)}` +
      `${entry.positional ? " --" : ""} "$@"`,
    "",
  ].join("\n");
}

type Found = { kind: "missing" } | { kind: "shim"; text: string } | { kind: "elf"; stats: fs.Stats };

/** What is at `file`: nothing, lore's shim, or someone else's file (ELF's). */
function inspect(file: string): Found {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw error;
  }
  if (stats.isFile()) {
    const text = fs.readFileSync(file, "utf8");
    if (text.includes(MARKER)) return { kind: "shim", text };
  }
  return { kind: "elf", stats };
}

/** Refuses `file` when it is a symbolic link (its directories are checked by assertPlainPath). */
function refuseSymlink(file: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (stats.isSymbolicLink()) throw new UnsafePathError(file, `${file} is a symbolic link`);
  if (!stats.isFile()) throw new UnsafePathError(file, `${file} is not a regular file`);
}

/** Refuses a symbolic link anywhere lore would write below `paths.dir`. */
function refuseUnsafePaths(paths: ElfPaths): void {
  assertPlainPath(paths.dir, paths.originalsDir);
  refuseSymlink(paths.stateFile);
  for (const entry of ELF_SCRIPTS) {
    refuseSymlink(path.join(paths.scriptsDir, entry.script));
    refuseSymlink(path.join(paths.originalsDir, entry.script));
  }
}

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function sameContent(a: string, b: string): boolean {
  const [statsA, statsB] = [fs.statSync(a), fs.statSync(b)];
  return (
    (statsA.mode & 0o7777) === (statsB.mode & 0o7777) &&
    statsA.size === statsB.size &&
    fs.readFileSync(a).equals(fs.readFileSync(b))
  );
}

/** A kept original, as the state file notes it. */
interface KeptNote {
  mode: string;
  size: number;
  sha256: string;
}

interface State {
  note: string;
  originals: Record<string, KeptNote>;
}

const STATE_NOTE =
  "ELF's scripts, kept here by `lore elf install` while lore's shims replace them; `lore elf uninstall` puts them back";

function readState(paths: ElfPaths): State {
  const text = readFileIfPresent(paths.stateFile);
  if (text === undefined) return { note: STATE_NOTE, originals: {} };
  try {
    const parsed = JSON.parse(text) as Partial<State>;
    return { note: STATE_NOTE, originals: { ...(parsed.originals ?? {}) } };
  } catch {
    // Damaged by hand: the kept files themselves are what uninstall restores.
    return { note: STATE_NOTE, originals: {} };
  }
}

function writeState(paths: ElfPaths, state: State): void {
  if (Object.keys(state.originals).length === 0) {
    removeFileDurably(paths.stateFile);
    return;
  }
  writeFileDurably(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

function noteOf(file: string): KeptNote {
  const stats = fs.statSync(file);
  return {
    mode: (stats.mode & 0o7777).toString(8).padStart(4, "0"),
    size: stats.size,
    sha256: createHash("sha256").update(fs.readFileSync(file)).digest("hex"),
  };
}

/** Keeps `script` at `kept`: a hard link (the same file, untouched), else a byte copy with its mode. */
function keepOriginal(script: string, kept: string, stats: fs.Stats): void {
  try {
    linkPath(script, kept);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV" && code !== "EMLINK")
      throw error;
    const temp = `${kept}.${process.pid}`;
    copyFile(script, temp, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(temp, stats.mode & 0o7777);
    syncFileAt(temp, "r");
    renamePath(temp, kept);
  }
  fsyncDirectory(path.dirname(kept));
}

/** Removes temp files that a killed install or uninstall left beside the scripts and the kept originals. */
function removeLeftTempFiles(paths: ElfPaths): void {
  const targets = [
    ...ELF_SCRIPTS.map((entry) => path.join(paths.scriptsDir, entry.script)),
    ...ELF_SCRIPTS.map((entry) => path.join(paths.originalsDir, entry.script)),
    paths.stateFile,
  ];
  for (const directory of [paths.scriptsDir, paths.originalsDir]) {
    if (!fs.existsSync(directory)) continue;
    for (const name of fs.readdirSync(directory)) {
      const candidate = path.join(directory, name);
      if (targets.some((target) => isTempFileOf(target, candidate))) removeIfPresent(candidate);
    }
  }
}

function writeShim(file: string, text: string): void {
  writeFileDurably(file, text, { mode: SHIM_MODE });
}

export type ElfChange =
  /** install: the shim replaced ELF's script (kept), or was written where only the kept original was */
  | "installed"
  /** install: a shim of another lore or node rewritten */
  | "updated"
  /** install: the shim was there and current */
  | "unchanged"
  /** install, uninstall: no script there and nothing kept (ELF is not installed in this directory) */
  | "missing"
  /** uninstall: the kept original put back */
  | "restored"
  /** uninstall: a shim with no kept original removed */
  | "removed"
  /** uninstall: the script is not lore's shim, and nothing is kept: left as it is */
  | "not-installed"
  /** uninstall: the script is not lore's shim (ELF's, reinstalled?), and an earlier original is still kept: both left */
  | "left";

export interface ElfScriptChange {
  script: string;
  change: ElfChange;
}

export function installElfShims(paths: ElfPaths, program: LoreProgram): ElfScriptChange[] {
  refuseUnsafePaths(paths);
  const plans = ELF_SCRIPTS.map((entry) => {
    const file = path.join(paths.scriptsDir, entry.script);
    const kept = path.join(paths.originalsDir, entry.script);
    const found = inspect(file);
    const keptStats = exists(kept) ? fs.statSync(kept) : undefined;
    if (found.kind === "elf" && keptStats && !sameFile(found.stats, keptStats) && !sameContent(file, kept)) {
      throw new ElfOriginalConflictError(file, kept);
    }
    return { entry, file, kept, found, keptStats, shim: renderElfShim(entry, program, paths) };
  });
  removeLeftTempFiles(paths);
  const state = readState(paths);
  return plans.map(({ entry, file, kept, found, keptStats, shim }): ElfScriptChange => {
    const script = entry.script;
    if (found.kind === "shim") {
      if (found.text === shim) return { script, change: "unchanged" };
      writeShim(file, shim);
      return { script, change: "updated" };
    }
    if (found.kind === "missing" && !keptStats) return { script, change: "missing" };
    if (found.kind === "elf") {
      if (!fs.existsSync(paths.originalsDir)) {
        makeDirectory(paths.originalsDir);
        fsyncDirectory(paths.scriptsDir);
      }
      if (!keptStats) keepOriginal(file, kept, found.stats);
    }
    if (found.kind === "elf" || !state.originals[script]) {
      state.originals[script] = noteOf(kept);
      writeState(paths, state);
    }
    writeShim(file, shim);
    return { script, change: "installed" };
  });
}

export function uninstallElfShims(paths: ElfPaths): ElfScriptChange[] {
  refuseUnsafePaths(paths);
  removeLeftTempFiles(paths);
  const state = readState(paths);
  const changes = ELF_SCRIPTS.map((entry): ElfScriptChange => {
    const script = entry.script;
    const file = path.join(paths.scriptsDir, script);
    const kept = path.join(paths.originalsDir, script);
    const found = inspect(file);
    const keptThere = exists(kept);
    if (found.kind === "elf") return { script, change: keptThere ? "left" : "not-installed" };
    if (keptThere) {
      renamePath(kept, file);
      fsyncDirectory(paths.scriptsDir);
      fsyncDirectory(paths.originalsDir);
      delete state.originals[script];
      return { script, change: "restored" };
    }
    delete state.originals[script];
    if (found.kind === "missing") return { script, change: "missing" };
    removeFileDurably(file);
    return { script, change: "removed" };
  });
  if (fs.existsSync(paths.originalsDir)) {
    writeState(paths, state);
    try {
      removeDirectory(paths.originalsDir);
      fsyncDirectory(paths.scriptsDir);
    } catch {
      // Not empty: an original kept for a script that is ELF's again, or a file lore did not put there.
    }
  }
  return changes;
}

export interface ElfShimState {
  script: string;
  /** lore's command line the shim runs, without the caller's arguments. */
  command: string;
  file: string;
  /** What is at `file`: lore's shim, another script (ELF's), or nothing. */
  found: "shim" | "elf" | "missing";
  /** The shim is the one this lore (and this node) would write. */
  current: boolean;
  /** ELF's original is kept in `.lore-originals/`, to be put back by uninstall. */
  originalKept: boolean;
  /** The kept original differs from what install noted (mode, size or content); undefined when nothing was noted. */
  originalChanged?: boolean;
}

export function elfShimStatus(paths: ElfPaths, program: LoreProgram): ElfShimState[] {
  const state = readState(paths);
  return ELF_SCRIPTS.map((entry) => {
    const file = path.join(paths.scriptsDir, entry.script);
    const kept = path.join(paths.originalsDir, entry.script);
    const found = inspect(file);
    const originalKept = exists(kept) && fs.lstatSync(kept).isFile();
    const noted = state.originals[entry.script];
    const now = originalKept && noted ? noteOf(kept) : undefined;
    return {
      script: entry.script,
      command: entry.command.join(" "),
      file,
      found: found.kind,
      current: found.kind === "shim" && found.text === renderElfShim(entry, program, paths),
      originalKept,
      originalChanged: now && noted ? JSON.stringify(now) !== JSON.stringify(noted) : undefined,
    };
  });
}

/** Why install and uninstall would refuse to write below `paths.dir` (UnsafePathError's message), or undefined. */
export function unsafeElfPath(paths: ElfPaths): string | undefined {
  try {
    refuseUnsafePaths(paths);
    return undefined;
  } catch (error) {
    if (error instanceof UnsafePathError) return error.message;
    throw error;
  }
}
