/**
 * The file-system seam: every operation by which lore changes what a disk
 * holds goes through here, and so do the two writers lore runs rather than
 * does itself, SQLite and git.
 *
 *   writeFile(file, text, { flag: "wx" });   appendToExistingFile(file, line);
 *   const fd = openForWriting(temp, "wx"); writeToFile(fd, text); syncFile(fd); closeFile(fd);
 *   renamePath(from, to);  linkPath(existing, alias);  copyFile(from, to);  removeFile(file);
 *   makeDirectory(dir, { recursive: true });  removeDirectory(dir);  removeTree(target);
 *   syncDirectory(dir);                     // fsync a directory: the entries made in it are durable
 *   await syncFilesTogether(fds);  await syncDirectoriesTogether(dirs);   // many at once
 *   syncFileAt(file);                       // fsync a file another writer (SQLite) wrote
 *   routeLibraryFs(() => writeFileAtomic.sync(...));   // a library's own fs calls, through the seam
 *   noteDatabaseCommit(file, () => sqlite.serialize()); // after each COMMIT (SQLite: one unit)
 *   noteGitProcess(child, () => gitDir);               // a git child (git: one unit)
 *   noteGitDirectory(gitDir, durable);                 // lore's own commit without git (one unit too)
 *   noteSocketBound(file);                             // a Unix socket net.Server.listen made
 *
 * Each function has the effect of the `fs` call it names and throws what that
 * throws. `syncDirectory` passes over what cannot fsync a directory (Windows,
 * whose renames NTFS journals; EINVAL, EPERM, EISDIR). `removeTree` is
 * `rm -rf`: a file or a tree, nothing when absent.
 *
 * Test mode, read once at start-up (docs/DESIGN.md#the-power-loss-simulator):
 *   LORE_FS_LOG=<dir>    each operation that succeeded is appended to
 *                        `<dir>/ops.jsonl` as one JSON line, with what
 *                        replaying it needs (absolute paths; written bytes in
 *                        base64); the whole database after each COMMIT, and a
 *                        copy of the git directory after each git process, go
 *                        to files in `<dir>/blobs/`. A library routed through
 *                        the seam (write-file-atomic) has its open, write,
 *                        fsync, close, rename and unlink recorded the same way.
 *   LORE_FS_OMIT=file-fsync|dir-fsync   with LORE_FS_LOG only: every file
 *                        (or directory) fsync is skipped, and not recorded, so
 *                        that tests can show the simulator catches its absence.
 * Unset, each function is its `fs` call after one test of a constant, and
 * `routeLibraryFs` is the plain call: the cost is nil.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "../base/random.js";

type Flag = "w" | "wx" | "a" | "r+";
type Op = Record<string, string | number | boolean | string[] | null>;

/** Above 0 while a seam function runs: the fs calls Node makes inside it are not recorded twice. */
let inSeam = 0;

/** The recording of one process (one per bundle that holds this module: blobs are named apart). */
class Recorder {
  private readonly logFile: string;
  private readonly blobDir: string;
  private readonly tag = randomBytes(3).toString("hex");
  private blobs = 0;
  /** What each file descriptor opened through the seam writes to, and where its next write goes. */
  private readonly descriptors = new Map<number, { file: string; position: number }>();

  constructor(directory: string) {
    this.logFile = path.join(directory, "ops.jsonl");
    this.blobDir = path.join(directory, "blobs");
    fs.mkdirSync(this.blobDir, { recursive: true });
  }

  note(op: Op): void {
    // The log's own writes pass the wrappers of routeLibraryFs unrecorded.
    inSeam++;
    try {
      fs.appendFileSync(this.logFile, `${JSON.stringify({ ...op, pid: process.pid })}\n`);
    } finally {
      inSeam--;
    }
  }

  newBlob(suffix: string): string {
    return path.join(this.blobDir, `${process.pid}-${this.tag}-${++this.blobs}${suffix}`);
  }

  opened(fd: number, file: string, flag: Flag): void {
    this.descriptors.set(fd, { file: path.resolve(file), position: 0 });
    this.note({ op: "create", path: path.resolve(file), flag });
  }

  wrote(fd: number, bytes: Buffer, position: number | null | undefined): void {
    const descriptor = this.descriptors.get(fd);
    if (descriptor === undefined) return;
    const at = typeof position === "number" ? position : descriptor.position;
    if (typeof position !== "number") descriptor.position += bytes.length;
    this.note({ op: "write", path: descriptor.file, at, data: bytes.toString("base64") });
  }

  synced(fd: number): void {
    const descriptor = this.descriptors.get(fd);
    if (descriptor !== undefined) this.note({ op: "fsync", path: descriptor.file });
  }

  closed(fd: number): void {
    this.descriptors.delete(fd);
  }
}

const logDirectory = process.env.LORE_FS_LOG || undefined;
const recorder = logDirectory === undefined ? undefined : new Recorder(logDirectory);
const omitted = recorder === undefined ? undefined : process.env.LORE_FS_OMIT || undefined;

/** Runs `operation`, then records it with `note` (only in test mode, and never from inside another seam call). */
function recorded<T>(operation: () => T, note: (recording: Recorder, result: T) => void): T {
  if (recorder === undefined) return operation();
  inSeam++;
  try {
    const result = operation();
    if (inSeam === 1) note(recorder, result);
    return result;
  } finally {
    inSeam--;
  }
}

function bytesOf(data: string | Uint8Array): Buffer {
  return typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
}

export function writeFile(file: string, data: string | Uint8Array, options: { flag?: Flag; mode?: number } = {}): void {
  const flag = options.flag ?? "w";
  recorded(
    () => fs.writeFileSync(file, data, { flag, mode: options.mode }),
    (recording) => {
      const target = path.resolve(file);
      recording.note({ op: "create", path: target, flag });
      recording.note({
        op: "write",
        path: target,
        at: flag === "a" ? "end" : 0,
        data: bytesOf(data).toString("base64"),
      });
    },
  );
}

/**
 * Appends `data` to `file` only while it exists (O_APPEND without O_CREAT):
 * false, having written nothing, when it does not. A line for a file another
 * process may have removed meanwhile never brings it back as that line alone.
 */
export function appendToExistingFile(file: string, data: string): boolean {
  return recorded(
    () => {
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
      try {
        fs.writeFileSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
      return true;
    },
    (recording, appended) => {
      if (!appended) return;
      const target = path.resolve(file);
      recording.note({ op: "create", path: target, flag: "a" });
      recording.note({ op: "write", path: target, at: "end", data: bytesOf(data).toString("base64") });
    },
  );
}

export function openForWriting(file: string, flag: Exclude<Flag, "a">, mode?: number): number {
  return recorded(
    () => fs.openSync(file, flag, mode),
    (recording, fd) => recording.opened(fd, file, flag),
  );
}

/** Writes `data` at the descriptor's position; returns the bytes written. */
export function writeToFile(fd: number, data: string | Uint8Array): number {
  return recorded(
    () => (typeof data === "string" ? fs.writeSync(fd, data) : fs.writeSync(fd, data)),
    (recording, written) => recording.wrote(fd, bytesOf(data).subarray(0, written), undefined),
  );
}

/** fsync an open file. */
export function syncFile(fd: number): void {
  if (omitted === "file-fsync") return;
  recorded(
    () => fs.fsyncSync(fd),
    (recording) => recording.synced(fd),
  );
}

export function closeFile(fd: number): void {
  recorded(
    () => fs.closeSync(fd),
    (recording) => recording.closed(fd),
  );
}

/** fsync a file that another writer (SQLite) wrote; in test mode its content is recorded with it. */
export function syncFileAt(file: string, flag: "r" | "r+" = "r+"): void {
  if (omitted === "file-fsync") return;
  recorded(
    () => {
      const fd = fs.openSync(file, flag);
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    (recording) =>
      recording.note({ op: "fsync", path: path.resolve(file), data: fs.readFileSync(file).toString("base64") }),
  );
}

export function renamePath(from: string, to: string): void {
  recorded(
    () => fs.renameSync(from, to),
    (recording) => recording.note({ op: "rename", from: path.resolve(from), to: path.resolve(to) }),
  );
}

export function linkPath(existing: string, alias: string): void {
  recorded(
    () => fs.linkSync(existing, alias),
    (recording) => recording.note({ op: "link", from: path.resolve(existing), to: path.resolve(alias) }),
  );
}

export function copyFile(from: string, to: string, mode?: number): void {
  recorded(
    () => fs.copyFileSync(from, to, mode),
    (recording) => recording.note({ op: "copy", from: path.resolve(from), to: path.resolve(to) }),
  );
}

export function removeFile(file: string): void {
  recorded(
    () => fs.unlinkSync(file),
    (recording) => recording.note({ op: "unlink", path: path.resolve(file) }),
  );
}

/** mkdir; with `recursive`, returns the first directory it made (as fs.mkdirSync does). */
export function makeDirectory(directory: string, options: { recursive?: boolean } = {}): string | undefined {
  return recorded(
    () => fs.mkdirSync(directory, options),
    (recording, first) => {
      const target = path.resolve(directory);
      if (!options.recursive) {
        recording.note({ op: "mkdir", path: target });
        return;
      }
      if (first === undefined) return;
      const made = [target];
      for (let at = target; at !== path.resolve(first); at = path.dirname(at)) made.unshift(path.dirname(at));
      for (const each of made) recording.note({ op: "mkdir", path: each });
    },
  );
}

export function removeDirectory(directory: string): void {
  recorded(
    () => fs.rmdirSync(directory),
    (recording) => recording.note({ op: "rmdir", path: path.resolve(directory) }),
  );
}

/** `rm -rf target`: a file or a directory tree; nothing when it is absent. */
export function removeTree(target: string): void {
  recorded(
    () => fs.rmSync(target, { recursive: true, force: true }),
    (recording) => recording.note({ op: "remove-tree", path: path.resolve(target) }),
  );
}

/** A directory fsync refused where it cannot be done and need not be (EINVAL, EPERM, EISDIR). */
function needlessDirectorySync(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "EINVAL" || code === "EPERM" || code === "EISDIR";
}

/** fsync a directory, so that the entries created, renamed or removed in it are durable. */
export function syncDirectory(directory: string): void {
  if (omitted === "dir-fsync") return;
  recorded(
    () => {
      let fd: number;
      try {
        fd = fs.openSync(directory, "r");
      } catch (error) {
        // Windows cannot open a directory for fsync; its renames are journaled by NTFS.
        if (process.platform === "win32") return;
        throw error;
      }
      try {
        fs.fsyncSync(fd);
      } catch (error) {
        if (!needlessDirectorySync(error)) throw error;
      } finally {
        fs.closeSync(fd);
      }
    },
    (recording) => recording.note({ op: "dir-fsync", path: path.resolve(directory) }),
  );
}

/** fsync open files side by side (on libuv's thread pool): each is durable once this resolves. */
export async function syncFilesTogether(fds: number[]): Promise<void> {
  if (omitted === "file-fsync") return;
  await Promise.all(
    fds.map(
      (fd) => new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve()))),
    ),
  );
  for (const fd of fds)
    recorded(
      () => undefined,
      (recording) => recording.synced(fd),
    );
}

/** syncDirectory for several directories side by side. */
export async function syncDirectoriesTogether(directories: string[]): Promise<void> {
  if (omitted === "dir-fsync") return;
  await Promise.all(
    directories.map(async (directory) => {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(directory, "r");
      } catch (error) {
        if (process.platform === "win32") return;
        throw error;
      }
      try {
        await handle.sync();
      } catch (error) {
        if (!needlessDirectorySync(error)) throw error;
      } finally {
        await handle.close();
      }
    }),
  );
  for (const directory of directories)
    recorded(
      () => undefined,
      (recording) => recording.note({ op: "dir-fsync", path: path.resolve(directory) }),
    );
}

/** In test mode, records the database `file` as a COMMIT left it: `snapshot` is called only then. */
export function noteDatabaseCommit(file: string, snapshot: () => Uint8Array): void {
  if (recorder === undefined) return;
  const blob = recorder.newBlob(".db");
  fs.writeFileSync(blob, snapshot());
  recorder.note({ op: "db-commit", path: path.resolve(file), blob });
}

/**
 * In test mode, records the Unix socket `net.Server.listen` bound at `file`
 * as the empty file it is to the disk: a name in its directory, which
 * removeFile takes away again.
 */
export function noteSocketBound(file: string): void {
  recorder?.note({ op: "create", path: path.resolve(file), flag: "wx" });
}

/** A plain recursive copy (a test repository's git directory is small). */
function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, target);
    else if (entry.isFile()) fs.copyFileSync(source, target);
  }
}

/**
 * In test mode, records the git directory as `child` (a git process) left
 * it, with the command line it ran, once it exits: before whatever listened
 * for its end, so before lore goes on. `gitDirectory` is asked only then.
 */
export function noteGitProcess(child: ChildProcess, gitDirectory: () => string | undefined): void {
  if (recorder === undefined) return;
  child.once("close", (code) => {
    const directory = gitDirectory();
    if (directory === undefined) return;
    const blob = recorder.newBlob(".git");
    copyTree(directory, blob);
    recorder.note({ op: "git", path: path.resolve(directory), blob, args: child.spawnargs, exit: code });
  });
}

/**
 * In test mode, records the git directory as lore's own commit
 * (git/direct-commit.ts) left it: one unit, as a git process is, `durable`
 * when every file and directory entry of it was fsynced.
 */
export function noteGitDirectory(gitDirectory: string, durable: boolean): void {
  if (recorder === undefined) return;
  const blob = recorder.newBlob(".git");
  copyTree(gitDirectory, blob);
  recorder.note({ op: "git", path: path.resolve(gitDirectory), blob, args: ["lore", "commit"], exit: 0, durable });
}

type FsFunction = (...args: unknown[]) => unknown;

/** The bytes and position of an fs.writeSync call, in each of its forms. */
function writeArguments(args: unknown[], written: number): { bytes: Buffer; position: number | null | undefined } {
  const [, data, ...rest] = args;
  if (typeof data === "string") {
    const encoding = (typeof rest[1] === "string" ? rest[1] : "utf8") as BufferEncoding;
    return { bytes: Buffer.from(data, encoding).subarray(0, written), position: rest[0] as number | null | undefined };
  }
  const buffer = Buffer.from((data as ArrayBufferView).buffer, (data as ArrayBufferView).byteOffset);
  if (rest[0] !== null && typeof rest[0] === "object") {
    const { offset = 0, position } = rest[0] as { offset?: number; position?: number | null };
    return { bytes: buffer.subarray(offset, offset + written), position };
  }
  const offset = (rest[0] as number | undefined) ?? 0;
  return { bytes: buffer.subarray(offset, offset + written), position: rest[2] as number | null | undefined };
}

const WRITING_FLAGS = new Set(["w", "wx", "w+", "wx+", "r+"]);

/**
 * Runs `call` (a synchronous library call that writes with `fs`) so that, in
 * test mode, its open, write, fsync, close, rename and unlink are recorded
 * (and LORE_FS_OMIT honoured) as the seam's own. Each wrapper calls the
 * function it replaced, so it composes with fault-points.ts's
 * `armLibraryFsSteps`. Outside test mode this is `call()`.
 */
export function routeLibraryFs<T>(call: () => T): T {
  const recording = recorder;
  if (recording === undefined) return call();
  const mutableFs = fs as unknown as Record<string, FsFunction>;
  const replaced = new Map<string, FsFunction>();
  const wrap = (name: string, wrapper: (original: FsFunction, args: unknown[]) => unknown) => {
    const original = mutableFs[name];
    replaced.set(name, original);
    mutableFs[name] = (...args: unknown[]) => (inSeam > 0 ? original(...args) : wrapper(original, args));
  };
  wrap("openSync", (original, args) => {
    const fd = original(...args) as number;
    const flag = typeof args[1] === "string" ? args[1] : "r";
    if (WRITING_FLAGS.has(flag)) recording.opened(fd, String(args[0]), flag as Flag);
    return fd;
  });
  wrap("writeSync", (original, args) => {
    const written = original(...args) as number;
    const { bytes, position } = writeArguments(args, written);
    recording.wrote(args[0] as number, bytes, position);
    return written;
  });
  wrap("fsyncSync", (original, args) => {
    if (omitted === "file-fsync") return undefined;
    original(...args);
    recording.synced(args[0] as number);
    return undefined;
  });
  wrap("closeSync", (original, args) => {
    original(...args);
    recording.closed(args[0] as number);
    return undefined;
  });
  wrap("renameSync", (original, args) => {
    original(...args);
    recording.note({ op: "rename", from: path.resolve(String(args[0])), to: path.resolve(String(args[1])) });
    return undefined;
  });
  wrap("unlinkSync", (original, args) => {
    original(...args);
    recording.note({ op: "unlink", path: path.resolve(String(args[0])) });
    return undefined;
  });
  try {
    return call();
  } finally {
    for (const [name, original] of replaced) mutableFs[name] = original;
  }
}
