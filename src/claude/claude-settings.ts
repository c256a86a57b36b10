/**
 * `lore claude install | uninstall | status` on one Claude Code settings file:
 * lore's hooks registered, removed, or reported, every other entry kept.
 *
 *   const file = settingsFileFor("user", { home, cwd });      // or "project"
 *   installLoreHooks(file, loreHookGroups(program, base))  ->  installed | updated | unchanged
 *   uninstallLoreHooks(file)                               ->  restored | removed | not-installed | missing
 *   settingsStatus(file, program)                          ->  lore's and ELF's hook entries in it
 *
 * The same install and uninstall serve any of lore's entries in a JSON
 * file that `LoreEntries` describes: `installLoreEntries(file, kind,
 * entries)` and `uninstallLoreEntries(file, kind)`, for lore's MCP server in
 * `.mcp.json` or `~/.claude.json` (mcp-registration.ts) as for its hooks.
 *
 * Where: `user` is `<home>/.claude/settings.json`; `project` is
 * `.claude/settings.json` in the git work tree's top level around `cwd`, else
 * in `cwd` itself.
 *
 * install: reads and parses the file (settings-file.ts: a file that is not a
 * JSON object is refused, exit 2, before anything is written), puts lore's
 * matcher group for each event in place (settings-hooks.ts), and when that
 * changes the settings, first keeps the file as it was in
 * `<file>.lore-backup` (the same bytes, its mode) and then writes the new
 * settings in the file's own layout. Installing again changes nothing. The
 * backup is written only when the file holds no hook of lore's yet, or when
 * there is no backup: an update (another lore, another --base) keeps the
 * backup of the file from before lore's first change. A missing file is
 * created (and its directory), and has no backup.
 *
 * uninstall: when the file is exactly what install wrote, that is, the
 * backup (or, with no backup, a missing file) with lore's groups put in
 * renders to the file's bytes, the backup's bytes are written back (or the
 * file is removed) and the backup removed: the original comes back byte for
 * byte. Otherwise (the file was edited since) lore's handlers are removed
 * from it, the rest kept as parsed, and the backup stays. A file without
 * lore's hooks is left as it is.
 *
 * Every write is durable (io/durable-file.ts): a temp file, fsync, rename,
 * directory fsync, so a crash leaves the old settings or the new ones. A
 * settings file that is a symbolic link (a dotfiles manager's) is written
 * through: the file it points at is replaced, the link stays. Not meant to
 * run concurrently with itself or with Claude Code writing the same file.
 *
 * Errors: SettingsFileError (exit 2); the file system's, as they come.
 */
import fs from "node:fs";
import path from "node:path";
import { findWorkTree } from "../git/git-process.js";
import { fsyncDirectory, readBytesIfPresent, removeFileDurably, writeFileDurably } from "../io/durable-file.js";
import { makeDirectory } from "../io/file-system.js";
import type { LoreProgram } from "../setup/elf-shims.js";
import {
  fileMode,
  type JsonObject,
  parseSettings,
  readSettingsFile,
  renderSettings,
  type SettingsFile,
} from "./settings-file.js";
import {
  type HookEntry,
  hookEntries,
  holdsLoreHooks,
  installedLoreGroups,
  sameSettings,
  withLoreHooks,
  withoutLoreHooks,
} from "./settings-hooks.js";

export type SettingsScope = "user" | "project";

export function settingsFileFor(scope: SettingsScope, where: { home: string; cwd: string }): string {
  const root = scope === "user" ? where.home : (findWorkTree(where.cwd)?.root ?? path.resolve(where.cwd));
  return path.join(root, ".claude", "settings.json");
}

export function backupFileOf(file: string): string {
  return `${file}.lore-backup`;
}

/** Where a write of `file` lands: the file a symbolic link points at, else `file`. */
function writeTarget(file: string): string {
  return fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() ? fs.realpathSync(file) : file;
}

function writeSettings(file: string, content: string | Buffer): void {
  const directory = path.dirname(file);
  if (!fs.existsSync(directory)) {
    makeDirectory(directory, { recursive: true });
    fsyncDirectory(path.dirname(directory));
  }
  writeFileDurably(writeTarget(file), content);
}

export type InstallChange = "installed" | "updated" | "unchanged";

export interface InstallResult {
  file: string;
  change: InstallChange;
  /** The backup of the file from before lore's first change, when there is one. */
  backup: string | undefined;
}

/**
 * What lore keeps of its own in one JSON settings file (its hooks in
 * settings.json, its MCP server in .mcp.json or ~/.claude.json), as pure
 * functions over the parsed object: whether the file holds any, what it holds
 * (to redo an install with), that put in (replacing lore's own), and the file
 * without it.
 */
export interface LoreEntries<Entries> {
  holds(value: JsonObject | undefined): boolean;
  installed(value: JsonObject): Entries;
  withLore(value: JsonObject, entries: Entries, file: string): JsonObject;
  withoutLore(value: JsonObject): JsonObject;
}

/** lore's hooks in a settings.json (settings-hooks.ts). */
const LORE_HOOK_ENTRIES: LoreEntries<Map<string, JsonObject>> = {
  holds: holdsLoreHooks,
  installed: installedLoreGroups,
  withLore: withLoreHooks,
  withoutLore: withoutLoreHooks,
};

/** Throws what installLoreEntries would throw for `file`, writing nothing: for an install of two files that must not stop halfway. */
export function assertLoreEntriesInstallable<Entries>(
  file: string,
  kind: LoreEntries<Entries>,
  entries: Entries,
): void {
  kind.withLore(readSettingsFile(file).value ?? {}, entries, file);
}

/** Puts `entries` in `file` (kind: which of lore's), keeping every other entry and, at lore's first change, a backup. */
export function installLoreEntries<Entries>(file: string, kind: LoreEntries<Entries>, entries: Entries): InstallResult {
  const settings = readSettingsFile(file);
  const before = settings.value ?? {};
  const after = kind.withLore(before, entries, file);
  const backup = backupFileOf(file);
  const backupThere = () => (fs.existsSync(backup) ? backup : undefined);
  if (settings.value !== undefined && sameSettings(after, before)) {
    return { file, change: "unchanged", backup: backupThere() };
  }
  const hadLore = kind.holds(settings.value);
  if (settings.bytes !== undefined && (!hadLore || !fs.existsSync(backup))) {
    writeFileDurably(backup, settings.bytes, { mode: fileMode(file) });
  }
  writeSettings(file, renderSettings(after, settings.layout));
  return { file, change: hadLore ? "updated" : "installed", backup: backupThere() };
}

export function installLoreHooks(file: string, groups: Map<string, JsonObject>): InstallResult {
  return installLoreEntries(file, LORE_HOOK_ENTRIES, groups);
}

export type UninstallChange = "restored" | "removed" | "not-installed" | "missing";

export interface UninstallResult {
  file: string;
  change: UninstallChange;
  /** A backup left in place (after "removed": the file was edited since install). */
  backup: string | undefined;
}

/** What install wrote from `original` (undefined: a missing file) with `entries`; undefined when it cannot tell. */
function installedFrom<Entries>(
  original: Buffer | undefined,
  kind: LoreEntries<Entries>,
  entries: Entries,
  file: string,
): string | undefined {
  let settings: SettingsFile;
  try {
    settings = parseSettings(backupFileOf(file), original);
  } catch {
    return undefined;
  }
  if (kind.holds(settings.value)) return undefined;
  return renderSettings(kind.withLore(settings.value ?? {}, entries, file), settings.layout);
}

/** Takes lore's entries (kind) out of `file`: the backup's bytes back when the file is what install wrote, else lore's entries removed. */
export function uninstallLoreEntries<Entries>(file: string, kind: LoreEntries<Entries>): UninstallResult {
  const settings = readSettingsFile(file);
  const backup = backupFileOf(file);
  if (settings.value === undefined || settings.bytes === undefined)
    return { file, change: "missing", backup: undefined };
  if (!kind.holds(settings.value)) {
    return { file, change: "not-installed", backup: fs.existsSync(backup) ? backup : undefined };
  }
  const original = readBytesIfPresent(backup);
  if (installedFrom(original, kind, kind.installed(settings.value), file) === settings.bytes.toString("utf8")) {
    if (original === undefined) removeFileDurably(writeTarget(file));
    else {
      writeSettings(file, original);
      removeFileDurably(backup);
    }
    return { file, change: "restored", backup: undefined };
  }
  writeSettings(file, renderSettings(kind.withoutLore(settings.value), settings.layout));
  return { file, change: "removed", backup: fs.existsSync(backup) ? backup : undefined };
}

export function uninstallLoreHooks(file: string): UninstallResult {
  return uninstallLoreEntries(file, LORE_HOOK_ENTRIES);
}

export interface SettingsStatus {
  file: string;
  /** "missing": no file; "invalid": not a JSON object (`error` says why); "read". */
  state: "missing" | "invalid" | "read";
  error?: string;
  entries: HookEntry[];
}

export function settingsStatus(file: string, program: LoreProgram): SettingsStatus {
  let settings: SettingsFile;
  try {
    settings = readSettingsFile(file);
  } catch (error) {
    return { file, state: "invalid", error: (error as Error).message, entries: [] };
  }
  if (settings.value === undefined) return { file, state: "missing", entries: [] };
  return { file, state: "read", entries: hookEntries(settings.value, program) };
}
