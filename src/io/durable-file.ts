/**
 * Durable file replacement: nobody ever sees a half-written file.
 *
 *   assertPlainPath(base, target);                              // before writing in the journal
 *   assertNoSymlinks([dir, file, ...]);                         // lore's own paths, one lstat each
 *   writeFileDurably(target, text, { onTempFile: (temp) => intent.addTempFile(temp) });
 *   removeFileDurably(target);
 *   createFileDurably(target, text, temp);                      // only where nothing is
 *
 *   const kept = keptVersionPath(target, id);                   // a transaction that may take it back
 *   keepVersion(target, kept);                                  // before writing
 *   ...writeFileDurably(target, text)...
 *   restoreKeptVersion(target, kept);                           // taken back: needs no disk space
 *   removeIfPresent(kept);                                      // or kept: the old version goes
 *   createNewFileDurably(intentFile, json);                     // an intent: whole and synced, or removed
 *
 *   await writeFilesDurably([{ target, content, onTempFile }, ...]);   // several at once, fsyncs side by side
 *   await createNewFilesDurably([{ file, text }, ...]);                 // several intents at once
 *
 * `writeFileDurably` writes a temp file `<target>.<digits>` (text as UTF-8, or
 * the bytes given) in the same directory, fsyncs it, renames it over `target` and fsyncs the directory:
 * once it returns, the new content survives a crash; until then, readers see
 * the old content (or no file). A file system that takes only part of a write
 * (a nearly full disk) fails it with ENOSPC before the rename. `onTempFile`
 * gets each temp file's name before any byte is written to it, so the caller
 * can record it and recovery remove it without scanning; `isTempFileOf`
 * recognises such names. `assertPlainPath` refuses a target, or any directory
 * between the journal base and it, that is a symbolic link, and a target with
 * more than one hard link (check it before `keepVersion` adds one);
 * `assertNoSymlinks` refuses any of a list of paths that is a symbolic link.
 *
 * `keepVersion` keeps the file at `target` reachable under a second name
 * beside it (`.<name>.<id>.kept`, `keptVersionPath`): a hard link, which takes
 * no data blocks, so that `restoreKeptVersion` can put it back with a rename,
 * which needs no free space either, when the disk is full. Where the file
 * system has no hard links the kept version is a copy, made before anything is
 * written (a full disk then fails the transaction before it starts).
 * `keptVersionId` reads the id back from such a name.
 *
 * `writeFilesDurably` and `createNewFilesDurably` are the same for several
 * files at once (a writer that stays up persisting records that arrived
 * together): every file written, then all fsynced side by side (on libuv's
 * thread pool, so that the disk takes them in one journal commit rather than
 * one after another), then each temp file renamed over its target. The
 * directories are always the caller's to fsync. write-file-atomic writes one
 * file per call, its fsync and rename inside that call, so it cannot leave
 * the fsyncs of several files to run together; these write through the seam
 * as it does (a temp name `<target>.<digits>`, the old file's mode, every
 * byte written or ENOSPC, the temp file gone when the write fails).
 *
 * `directorySyncedByCaller` (each writer's option) leaves the directory's
 * fsync to a caller that writes several files in one directory and fsyncs
 * it once, before anything depends on their names (txn/record-transaction.ts
 * persistRecords).
 *
 * Errors: `UnsafePathError` (exit 6, as ELF); otherwise the file system's, as
 * they come (ENOSPC, EIO, EACCES, ...). One thrown before the rename leaves the
 * old content in place and no temp file; the directory fsync comes after the
 * rename. Each durable action passes its named step (fault-points.ts) and
 * goes through the file-system seam (file-system.ts), write-file-atomic's own
 * calls included.
 * Design: docs/DESIGN.md#write-file-atomic
 */
import fs from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { armLibraryFsSteps, step } from "./fault-points.js";
import {
  closeFile,
  copyFile,
  linkPath,
  openForWriting,
  removeFile,
  renamePath,
  routeLibraryFs,
  syncDirectory,
  syncFile,
  syncFileAt,
  syncFilesTogether,
  writeToFile,
} from "./file-system.js";
import { randomBytes } from "../base/random.js";
import { ExitCode, LoreError } from "../base/errors.js";

export class UnsafePathError extends LoreError {
  readonly exitCode = ExitCode.UnsafePath;
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`refusing to write ${target}: ${reason}`);
  }
}

/** fsync a directory so that a rename or unlink inside it is durable. */
export function fsyncDirectory(directory: string): void {
  step("dir-fsync");
  syncDirectory(directory);
}

export interface DurableWriteOptions {
  /** Called with the temp file's path before any byte is written to it. */
  onTempFile?: (tempPath: string) => void;
  /** The new file's mode (set on the temp file before the rename); default: the old file's, else 0666 less umask. */
  mode?: number;
  /**
   * The caller fsyncs the directory itself (fsyncDirectory), once for
   * several files, before it relies on the new name: until then the file is
   * written and synced, but its name may not survive a crash.
   */
  directorySyncedByCaller?: boolean;
}

/**
 * Runs `call` with `fs.writeSync` of a buffer writing all of it or throwing.
 * write-file-atomic ignores the count its write returns, and a nearly full
 * file system (tmpfs, ext4) takes part of a write without an error: the temp
 * file, cut short, would be renamed over the target. Here the rest is written
 * too, and the file system's ENOSPC for it is thrown, before the rename.
 */
function writingWhole<T>(call: () => T): T {
  const mutableFs = fs as unknown as { writeSync: (...args: unknown[]) => number };
  const original = mutableFs.writeSync;
  mutableFs.writeSync = (...args: unknown[]) => {
    const [fd, buffer, offset, length, position] = args;
    if (!Buffer.isBuffer(buffer) || typeof offset !== "number" || typeof length !== "number") {
      return original.apply(fs, args);
    }
    let written = 0;
    while (written < length) {
      const at = typeof position === "number" ? position + written : null;
      const count = original.call(fs, fd, buffer, offset + written, length - written, at);
      if (count === 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      written += count;
    }
    return written;
  };
  try {
    return call();
  } finally {
    mutableFs.writeSync = original;
  }
}

export function writeFileDurably(target: string, content: string | Buffer, options: DurableWriteOptions = {}): void {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  armLibraryFsSteps(() =>
    routeLibraryFs(() =>
      writingWhole(() =>
        writeFileAtomic.sync(target, bytes, {
          fsync: true,
          mode: options.mode,
          tmpfileCreated: (tempPath: string) => {
            options.onTempFile?.(tempPath);
            step("temp-created");
          },
        }),
      ),
    ),
  );
  if (!options.directorySyncedByCaller) fsyncDirectory(path.dirname(target));
}

/** A file to write whole and fsync, with its mode when it is to keep one. */
interface SyncedWrite {
  file: string;
  bytes: Buffer;
  mode?: number;
}

/** Writes every byte of `bytes` at the descriptor's position: a write that takes none is the file system's ENOSPC. */
function writeWhole(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) {
    const count = writeToFile(fd, bytes.subarray(at));
    if (count === 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    at += count;
  }
}

/**
 * Creates each file (none may exist), writes it whole, then fsyncs them all
 * side by side. When anything fails, every file it created is removed
 * before the error is thrown.
 */
async function writeSyncedTogether(writes: SyncedWrite[]): Promise<void> {
  const opened: Array<{ file: string; fd: number | undefined }> = [];
  try {
    for (const { file, bytes, mode } of writes) {
      const fd = openForWriting(file, "wx", mode);
      opened.push({ file, fd });
      if (mode !== undefined) fs.fchmodSync(fd, mode);
      writeWhole(fd, bytes);
    }
    for (let index = 0; index < writes.length; index++) step("temp-fsync");
    await syncFilesTogether(opened.map(({ fd }) => fd as number));
  } catch (error) {
    for (const each of opened) {
      if (each.fd !== undefined) closeFile(each.fd);
      each.fd = undefined;
      removeIfPresent(each.file);
    }
    throw error;
  } finally {
    for (const { fd } of opened) if (fd !== undefined) closeFile(fd);
  }
}

/** createNewFileDurably for several files at once, their fsyncs side by side; the directories are the caller's to fsync. */
export async function createNewFilesDurably(files: Array<{ file: string; text: string }>): Promise<void> {
  await writeSyncedTogether(files.map(({ file, text }) => ({ file, bytes: Buffer.from(text, "utf8") })));
}

/** A temp name beside `target` that isTempFileOf recognises, as write-file-atomic's are. */
function tempFileFor(target: string): string {
  return `${target}.${randomBytes(4).readUInt32BE(0)}`;
}

/**
 * writeFileDurably for several targets at once: each written to a temp file
 * beside it (with the old file's mode, where there is one), the temp files
 * fsynced side by side, then each renamed over its target. The directories
 * are the caller's to fsync. A failure before the renames leaves every
 * target as it was and no temp file.
 */
export async function writeFilesDurably(
  writes: Array<{ target: string; content: string | Buffer; onTempFile?: (tempPath: string) => void }>,
): Promise<void> {
  const temps: SyncedWrite[] = [];
  for (const { target, content, onTempFile } of writes) {
    const file = tempFileFor(target);
    onTempFile?.(file);
    step("temp-created");
    const old = fs.statSync(target, { throwIfNoEntry: false });
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    temps.push({ file, bytes, mode: old === undefined ? undefined : old.mode & 0o7777 });
  }
  await writeSyncedTogether(temps);
  for (const [index, { target }] of writes.entries()) {
    step("rename");
    renamePath(temps[index].file, target);
  }
}

/** The name `keepVersion` keeps `target`'s file under, for the transaction `id`: hidden, beside it. */
export function keptVersionPath(target: string, id: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${id}.kept`);
}

/** The transaction id in a kept version's name (keptVersionPath), or undefined when `name` is not one. */
export function keptVersionId(name: string): string | undefined {
  return /^\..+\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.kept$/.exec(path.basename(name))?.[1];
}

/** Keeps the file at `target` (which must exist) reachable as `kept`, a hard link where the file system has them, durably. */
export function keepVersion(
  target: string,
  kept: string,
  options: Pick<DurableWriteOptions, "directorySyncedByCaller"> = {},
): void {
  try {
    linkPath(target, kept);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    copyFile(target, kept, fs.constants.COPYFILE_EXCL);
    syncFileAt(kept, "r");
  }
  // Durable before the target is replaced: a power loss must not keep the new file and lose the way back.
  // (No step of its own: the named steps stay those of the record's file.)
  if (!options.directorySyncedByCaller) syncDirectory(path.dirname(kept));
}

/**
 * Puts the version `keepVersion` kept back as `target`, by a rename (no disk
 * space needed), durably; nothing to do when `kept` is gone (never made, or
 * put back already).
 */
export function restoreKeptVersion(target: string, kept: string): void {
  try {
    renamePath(kept, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  // Two names of one file (nothing replaced the target yet): the rename did nothing, and the kept name goes.
  removeIfPresent(kept);
  fsyncDirectory(path.dirname(target));
}

/**
 * Creates `target` with `text` unless something is there already, which is
 * never replaced (nor written through, when it is a symbolic link). The text
 * is written and fsynced in `temp` (a path on the same file system), which is
 * then hard-linked to `target`: the link fails when `target` exists, so a file
 * appears whole or not at all. Where the file system has no hard links, the
 * file is created exclusively and written in place. Returns whether it created
 * the file; `temp` is gone afterwards.
 */
export function createFileDurably(target: string, text: string, temp: string): boolean {
  removeIfPresent(temp);
  writeSyncedFile(temp, text);
  let created = true;
  try {
    linkPath(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") created = false;
    else if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") created = createInPlace(target, text);
    else throw error;
  } finally {
    removeIfPresent(temp);
  }
  if (created) fsyncDirectory(path.dirname(target));
  return created;
}

/**
 * Creates `file`, which must not exist, with `text`, then fsyncs it and its
 * directory: once this returns, both the content and the name survive a power
 * loss. When it throws (a full disk), nothing is left. Written in place, so a
 * crash midway may leave it cut short: for files whose readers take a
 * cut-short one for absent (an intent).
 */
export function createNewFileDurably(
  file: string,
  text: string,
  options: Pick<DurableWriteOptions, "directorySyncedByCaller"> = {},
): void {
  try {
    writeSyncedFile(file, text);
    if (!options.directorySyncedByCaller) fsyncDirectory(path.dirname(file));
  } catch (error) {
    // A full disk: no empty or cut file stays behind.
    removeIfPresent(file);
    throw error;
  }
}

/** Creates `file` (which must not exist) with `text`, fsynced. */
function writeSyncedFile(file: string, text: string): void {
  const fd = openForWriting(file, "wx");
  try {
    writeToFile(fd, text);
    syncFile(fd);
  } finally {
    closeFile(fd);
  }
}

function createInPlace(target: string, text: string): boolean {
  try {
    writeSyncedFile(target, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  return true;
}

/** Remove a file (if present) and make the removal durable. */
export function removeFileDurably(target: string): void {
  try {
    removeFile(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  fsyncDirectory(path.dirname(target));
}

/**
 * The file's text, or undefined when it does not exist. Asked first, not
 * learnt from a thrown ENOENT: a process's first exception is costly
 * (docs/PERFORMANCE.md), and a missing file is the common answer for some
 * callers (a new heuristic domain, git's `commondir`, lore's hook state). A
 * file removed between the two is still answered undefined.
 */
export function readFileIfPresent(file: string): string | undefined {
  return readBytesIfPresent(file)?.toString("utf8");
}

/** The file's bytes, or undefined when it does not exist (asked first, as readFileIfPresent). */
export function readBytesIfPresent(file: string): Buffer | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Remove a file if present; no fsync (used for temp and scratch files). */
export function removeIfPresent(target: string): void {
  try {
    removeFile(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** True when `candidate` is a write-file-atomic temp file of `target`. */
export function isTempFileOf(target: string, candidate: string): boolean {
  const prefix = `${path.basename(target)}.`;
  const name = path.basename(candidate);
  return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
}

/**
 * Refuses symlinks between `base` and `target` (inclusive) and a target with
 * several hard links. `target` must lie inside `base`.
 */
export function assertPlainPath(base: string, target: string): void {
  const relative = path.relative(base, target);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new UnsafePathError(target, "it lies outside the journal");
  }
  let current = base;
  const parts = relative.split(path.sep);
  for (let index = 0; index < parts.length; index++) {
    current = path.join(current, parts[index]);
    let stats: fs.Stats;
    try {
      stats = fs.lstatSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (stats.isSymbolicLink()) throw new UnsafePathError(target, `${current} is a symbolic link`);
    if (index === parts.length - 1 && stats.isFile() && stats.nlink > 1) {
      throw new UnsafePathError(target, "it has more than one hard link");
    }
  }
}

/**
 * Refuses any of `paths` that is a symbolic link, with one lstat each; a path
 * that does not exist passes. List a directory before the paths inside it:
 * the first link found is the one named.
 */
export function assertNoSymlinks(paths: readonly string[]): void {
  for (const target of paths) {
    if (fs.lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new UnsafePathError(target, "it is a symbolic link");
    }
  }
}
