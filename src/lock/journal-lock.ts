/**
 * The journal lock: one writer at a time for a journal's files, its git work
 * tree and (taken after it, never before) its SQLite database.
 *
 *   const lock = await acquireJournalLock(paths, { timeoutMs, staleMs });
 *   try { ...; lock.assertHeld(); ... }     // before every durable step (fencing)
 *   finally { await lock.release(); }
 *
 * `acquireJournalLock` waits, woken early by the wait queue (wait-queue.ts),
 * and takes over a stale lock: one whose owner is dead on this host at once,
 * any whose heartbeat is older than `staleMs`; exactly one waiter wins each
 * takeover. It throws `LockTimeoutError` (exit 75) after `timeoutMs`, naming
 * the holder (pid, host, age), and `LockHeldByParentError` (exit 75) at once
 * when the holder is the lore whose git runs this process's hook. `assertHeld`
 * throws `LockLostError` once the lock was taken over: abort before committing
 * anything. `release` never throws, removes the lock only while it is still
 * this process's, and wakes the first waiter. `acquireJournalLockAfterHandOff`
 * is the wait of a writer that handed its git commit off (txn/hand-off.ts).
 *
 * In `memory/.lore/`: `journal.lock/` (proper-lockfile's directory; its mtime
 * is the heartbeat), `journal.lock.owner`, `journal.lock.takeover-<key>` gates
 * and `lock-waiters/`.
 * Design: docs/DESIGN.md#proper-lockfile
 */
import fs from "node:fs";
import path from "node:path";
import properLockfile from "proper-lockfile";
import { currentProcess, ownerLiveness, type ProcessIdentity } from "./process-identity.js";
import { LockLevel, noteAcquired, noteReleased } from "./lock-order.js";
import { backoffDelays } from "../base/backoff.js";
import { announceParentLock, parentLockOf } from "./parent-lock.js";
import { freshWaiterQueued, joinWaitQueue, waitQueueOf, wakeFirstWaiter, type WaitTicket } from "./wait-queue.js";
import { removeIfPresent } from "../io/durable-file.js";
import { randomBytes } from "../base/random.js";
import { ExitCode, LoreError, type ExitCodeValue } from "../base/errors.js";

export interface JournalLockPaths {
  /** The lock directory (`memory/.lore/journal.lock`). */
  lockDir: string;
  /** A key naming the journal, for the lock-order registry. */
  journalKey: string;
}

export interface JournalLockOptions {
  /** How long to wait for the lock before LockTimeoutError. */
  timeoutMs: number;
  /** A heartbeat older than this is stale. At least 2000 ms. */
  staleMs: number;
}

export interface LockOwner extends ProcessIdentity {
  acquiredAt: number;
  token: string;
  lockInode: number;
}

export class LockTimeoutError extends LoreError {
  readonly exitCode: ExitCodeValue = ExitCode.LockTimeout;
  constructor(
    readonly lockDir: string,
    readonly holder: string,
  ) {
    super(`timed out waiting for the journal lock ${lockDir}: held by ${holder}`);
  }
}

/** The lock is held by the lore process whose git runs this process's hook: waiting would deadlock. */
export class LockHeldByParentError extends LockTimeoutError {
  constructor(lockDir: string, holder: string) {
    super(lockDir, holder);
    this.message =
      `the journal lock ${lockDir} is held by ${holder}, the lore process whose git runs this hook; ` +
      "a hook cannot write to the journal that lore is committing to";
  }
}

export class LockLostError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(lockDir: string, reason: string) {
    super(`lost the journal lock ${lockDir} (${reason}); nothing further was committed`);
  }
}

const NEVER_STALE_FOR_PROPER_LOCKFILE = 2 ** 31 - 1;
const GATE_PRUNE_AGE_MS = 60_000;
/**
 * How often a handed-off writer tries the lock by itself. It is woken when its
 * record is committed or when it is first in the queue, so this is only the
 * fallback; a short one would let it take the lock in the moment between two
 * holders, ahead of the writers its group commit should wait for.
 */
const HANDED_OFF_POLL_MS = 500;

export class JournalLock {
  private lostReason: string | undefined;
  private released = false;
  /** The stale holders this acquisition took the lock over from, described. */
  readonly takenOverFrom: string[] = [];
  /** Undoes LORE_PARENT_LOCK, which tells this process's children that it holds the lock. */
  private readonly withdrawAnnouncement: () => void;
  /** Set by release(): whether the directory was still ours to remove. */
  private releasedOwned: boolean | undefined;

  constructor(
    readonly paths: JournalLockPaths,
    readonly owner: LockOwner,
    private readonly releaseDirectory: () => void,
  ) {
    this.withdrawAnnouncement = announceParentLock(paths.lockDir);
  }

  markLost(reason: string): void {
    this.lostReason ??= reason;
  }

  /** Throws LockLostError unless this process still holds the lock. */
  assertHeld(): void {
    if (this.lostReason === undefined) {
      const inode = statInode(this.paths.lockDir);
      if (inode !== this.owner.lockInode) this.lostReason = "the lock directory was replaced";
      else if (readOwner(this.paths.lockDir)?.token !== this.owner.token) this.lostReason = "another process owns it";
    }
    if (this.lostReason !== undefined) throw new LockLostError(this.paths.lockDir, this.lostReason);
  }

  private holds(): boolean {
    try {
      this.assertHeld();
      return true;
    } catch {
      return false;
    }
  }

  /** Whether proper-lockfile may remove the lock directory now (see guardedFs). */
  mayRemoveDirectory(): boolean {
    return this.releasedOwned ?? this.holds();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    noteReleased(LockLevel.Journal, this.paths.journalKey);
    this.withdrawAnnouncement();
    // Taken over, the directory and owner file belong to someone else now.
    this.releasedOwned = this.holds();
    if (this.releasedOwned) removeIfPresent(ownerPath(this.paths.lockDir));
    try {
      this.releaseDirectory();
    } catch {
      // ERELEASED after a compromise: proper-lockfile already let go.
    }
    if (this.releasedOwned) wakeFirstWaiter(waitQueueOf(this.paths.lockDir));
  }
}

/**
 * The file system proper-lockfile works through: plain fs, except that the
 * lock directory is removed only while this process still owns it.
 * proper-lockfile's unlock, and its handler at process exit, remove the
 * directory without checking; a holder that was frozen past the stale age
 * and taken over would otherwise remove its successor's lock when it resumes
 * and releases or exits. (Only the functions proper-lockfile calls are
 * given: copying all of fs would load Node's streams.)
 */
function guardedFs(mayRemove: () => boolean) {
  return {
    mkdirSync: fs.mkdirSync,
    statSync: fs.statSync,
    utimesSync: fs.utimesSync,
    realpathSync: fs.realpathSync,
    rmdirSync: (target: string) => {
      if (mayRemove()) fs.rmdirSync(target);
    },
  };
}

function ownerPath(lockDir: string): string {
  return `${lockDir}.owner`;
}

function statInode(target: string): number | undefined {
  try {
    return fs.lstatSync(target).ino;
  } catch {
    return undefined;
  }
}

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(ownerPath(lockDir), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function writeOwner(lockDir: string, owner: LockOwner): void {
  // Atomic replacement without fsync: the owner file only has to be right for
  // live processes; after a power loss every owner is dead anyway.
  const temp = `${ownerPath(lockDir)}.${owner.token}`;
  try {
    fs.writeFileSync(temp, JSON.stringify(owner));
    fs.renameSync(temp, ownerPath(lockDir));
  } catch (error) {
    // A full disk: no empty temp file stays behind for `lore sync` to report.
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

interface HolderView {
  inode: number;
  heartbeatMs: number;
  heartbeatAgeMs: number;
  owner: LockOwner | undefined;
}

function inspectHolder(lockDir: string): HolderView | undefined {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(lockDir);
  } catch {
    return undefined;
  }
  const owner = readOwner(lockDir);
  return {
    inode: stats.ino,
    heartbeatMs: stats.mtimeMs,
    heartbeatAgeMs: Date.now() - stats.mtimeMs,
    owner: owner?.lockInode === stats.ino ? owner : undefined,
  };
}

/**
 * Names one lock instance: its owner's random token, or, with no owner
 * record, its inode and frozen heartbeat. Not the inode alone: file systems
 * reuse inodes, so the next lock can get the same one.
 */
function instanceKey(view: HolderView): string {
  return view.owner ? view.owner.token : `${view.inode}-${Math.trunc(view.heartbeatMs)}`;
}

function describeHolder(view: HolderView | undefined): string {
  if (!view) return "nobody (the lock was just released)";
  if (!view.owner) return `an unknown process (no owner record), heartbeat ${formatAge(view.heartbeatAgeMs)} ago`;
  const age = formatAge(Date.now() - view.owner.acquiredAt);
  return `pid ${view.owner.pid} on host ${view.owner.host} for ${age}`;
}

function formatAge(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function isStale(view: HolderView, staleMs: number): boolean {
  if (view.owner && ownerLiveness(view.owner) === "dead") return true;
  return view.heartbeatAgeMs > staleMs;
}

/**
 * Takes over the stale lock instance seen in `view`. Exactly one waiter passes
 * the gate of an instance; the others return and retry. Gates stay until
 * pruned, so a waiter that saw the same instance late cannot pass again.
 */
function takeOver(lockDir: string, view: HolderView, staleMs: number): boolean {
  const gate = `${lockDir}.takeover-${instanceKey(view)}`;
  try {
    fs.mkdirSync(gate);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // A waiter that died inside its takeover leaves the gate: clear it late.
    const gateAge = Date.now() - (fs.statSync(gate, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (gateAge > staleMs) fs.rmSync(gate, { recursive: true, force: true });
    return false;
  }
  const current = inspectHolder(lockDir);
  if (!current || current.inode !== view.inode || instanceKey(current) !== instanceKey(view)) return false;
  if (current.owner) removeIfPresent(ownerPath(lockDir));
  const tomb = `${lockDir}.stale-${view.inode}-${randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(lockDir, tomb);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  fs.rmSync(tomb, { recursive: true, force: true });
  pruneOldGates(lockDir);
  return true;
}

function pruneOldGates(lockDir: string): void {
  const directory = path.dirname(lockDir);
  const prefix = `${path.basename(lockDir)}.takeover-`;
  for (const name of fs.readdirSync(directory)) {
    if (!name.startsWith(prefix)) continue;
    const gate = path.join(directory, name);
    const mtime = fs.statSync(gate, { throwIfNoEntry: false })?.mtimeMs;
    if (mtime !== undefined && Date.now() - mtime > GATE_PRUNE_AGE_MS)
      fs.rmSync(gate, { recursive: true, force: true });
  }
}

/**
 * One attempt at the lock directory, through proper-lockfile's synchronous
 * API: a record's mkdir, mtime probe and stat then cost no round trips
 * through libuv's thread pool (docs/PERFORMANCE.md). The heartbeat still runs
 * on a timer.
 */
function tryMkdirLock(
  lockDir: string,
  heartbeatMs: number,
  onCompromised: (error: Error) => void,
  mayRemove: () => boolean,
): (() => void) | undefined {
  try {
    return properLockfile.lockSync(path.dirname(lockDir), {
      lockfilePath: lockDir,
      realpath: false,
      stale: NEVER_STALE_FOR_PROPER_LOCKFILE,
      update: heartbeatMs,
      onCompromised,
      fs: guardedFs(mayRemove),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") return undefined;
    throw error;
  }
}

export async function acquireJournalLock(paths: JournalLockPaths, options: JournalLockOptions): Promise<JournalLock> {
  return (await acquire(paths, options, undefined)) as JournalLock;
}

/**
 * acquireJournalLock for a writer that handed its git commit off
 * (txn/group-commit.ts): it queues as such, behind the writers queued with
 * a record still to write (it first waits until woken, or for
 * HANDED_OFF_POLL_MS, when there are any), polls only every
 * HANDED_OFF_POLL_MS, and gives up, returning undefined, once `committed()` is
 * true (checked before each attempt; the holder that commits the record wakes
 * it).
 */
export function acquireJournalLockAfterHandOff(
  paths: JournalLockPaths,
  options: JournalLockOptions,
  committed: () => boolean,
): Promise<JournalLock | undefined> {
  return acquire(paths, options, committed);
}

async function acquire(
  paths: JournalLockPaths,
  options: JournalLockOptions,
  giveUpWhen: (() => boolean) | undefined,
): Promise<JournalLock | undefined> {
  const staleMs = Math.max(options.staleMs, 2000);
  const heartbeatMs = Math.max(1000, Math.floor(staleMs / 4));
  const deadline = Date.now() + options.timeoutMs;
  noteAcquired(LockLevel.Journal, paths.journalKey);
  // Joined once the lock is found held: the holder's release wakes the first waiter (wait-queue.ts).
  let ticket: WaitTicket | undefined;
  try {
    // The cap weighs hand-off gaps against the CPU that polling costs (docs/PERFORMANCE.md).
    const delays = backoffDelays({ firstMs: 4, capMs: 200 });
    const queueDir = waitQueueOf(paths.lockDir);
    if (giveUpWhen && freshWaiterQueued(queueDir)) {
      // Writers with a record still to write go first; the last of them commits this one's record too.
      ticket = joinWaitQueue(queueDir, "handoff");
      await ticket.sleep(Math.min(HANDED_OFF_POLL_MS, Math.max(1, deadline - Date.now())));
    }
    let lock: JournalLock | undefined;
    const takenOverFrom: string[] = [];
    for (;;) {
      if (giveUpWhen?.()) {
        noteReleased(LockLevel.Journal, paths.journalKey);
        return undefined;
      }
      const onCompromised = (error: Error) => lock?.markLost(error.message);
      // Until the lock is ours (the attempt may fail and clean up), removal is the attempt's own.
      const mayRemove = () => lock === undefined || lock.mayRemoveDirectory();
      const releaseDirectory = tryMkdirLock(paths.lockDir, heartbeatMs, onCompromised, mayRemove);
      if (releaseDirectory) {
        const owner: LockOwner = {
          ...currentProcess(),
          acquiredAt: Date.now(),
          token: randomBytes(8).toString("hex"),
          lockInode: statInode(paths.lockDir) ?? -1,
        };
        writeOwner(paths.lockDir, owner);
        lock = new JournalLock(paths, owner, releaseDirectory);
        lock.takenOverFrom.push(...takenOverFrom);
        return lock;
      }
      const holder = inspectHolder(paths.lockDir);
      const parent = parentLockOf(process.env);
      if (holder?.owner && parent?.lockDir === paths.lockDir && holder.owner.pid === parent.pid) {
        throw new LockHeldByParentError(paths.lockDir, describeHolder(holder));
      }
      if (holder && isStale(holder, staleMs)) {
        if (takeOver(paths.lockDir, holder, staleMs)) takenOverFrom.push(describeHolder(holder));
        continue;
      }
      if (Date.now() >= deadline) throw new LockTimeoutError(paths.lockDir, describeHolder(holder));
      ticket ??= joinWaitQueue(queueDir, giveUpWhen ? "handoff" : "fresh");
      const delayMs = giveUpWhen ? HANDED_OFF_POLL_MS : delays.next().value;
      await ticket.sleep(Math.min(delayMs, Math.max(1, deadline - Date.now())));
    }
  } catch (error) {
    noteReleased(LockLevel.Journal, paths.journalKey);
    throw error;
  } finally {
    ticket?.leave();
  }
}
