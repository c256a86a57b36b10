/**
 * Named steps: crash points and fault injection for tests.
 *
 *   step("db-commit");                                   // before each durable action
 *   armLibraryFsSteps(() => writeFileAtomic.sync(...));  // steps inside a library's call
 *
 * Tests arm a step through the environment, read once at start-up, in the
 * manner of LevelDB's fault injection Env:
 *   LORE_CRASH_AT=<step>[:<n>]   SIGKILL itself when reaching <step> the n-th time (default 1st)
 *   LORE_FAULT=<step>:<CODE>     throw InjectedFault, with `code` CODE (ENOSPC, EIO, SQLITE_FULL, ...)
 *   LORE_STOP_AT=<step>          SIGSTOP itself there the first time, as a frozen holder, until SIGCONT
 *   LORE_TRACE_STEPS=1           print each step on stderr: ms since process start, and wall clock
 *
 * `armLibraryFsSteps` reaches `temp-fsync` and `rename`, which happen inside
 * write-file-atomic, by wrapping the `fs` functions the library calls, for the
 * length of one call and only when such a step is armed (several files
 * written at once, io/durable-file.ts writeFilesDurably, pass them as their
 * own steps). Unarmed, `step()`
 * tests one constant and `armLibraryFsSteps` is the plain call, so the cost is
 * nil. STEP_NAMES lists a record's steps in order, HAND_OFF_STEP_NAMES the
 * group commit's, DIRECT_COMMIT_STEP_NAMES those of a commit without git, SYNC_STEP_NAMES those of `lore sync`.
 */
import fs from "node:fs";
import { ExitCode, LoreError } from "../base/errors.js";

/** Every step lore may crash or fail at, in the order a record passes them. */
export const STEP_NAMES = [
  "lock-acquired",
  "recovery-done",
  "db-begin",
  "db-insert",
  "intent-written",
  "temp-created",
  "temp-fsync",
  "rename",
  "dir-fsync",
  "file-written",
  "db-commit",
  "db-committed",
  "git-add",
  "git-commit",
  "git-committed",
  "intent-removed",
  "lock-release",
] as const;

/** The steps of a group commit (txn/group-commit.ts), passed only by a record that hands its commit off, or by a group's committer. */
export const HAND_OFF_STEP_NAMES = ["commit-handed-off", "group-committed"] as const;

/** The step of a commit lore writes without git (git/direct-commit.ts): its file staged, the ref not moved yet. */
export const DIRECT_COMMIT_STEP_NAMES = ["git-staged"] as const;

/** The steps of a writer that rewrites files with its rows (txn/files-transaction.ts), in order. */
export const FILES_STEP_NAMES = ["files-intent-written", "files-written", "files-committed"] as const;

/** The steps of `lore sync` (src/sync) that change something, in order. */
export const SYNC_STEP_NAMES = [
  "sync-rows-applied",
  "sync-verified",
  "rebuild-built",
  "rebuild-quarantined",
  "rebuild-swapped",
] as const;

export type StepName =
  | (typeof STEP_NAMES)[number]
  | (typeof HAND_OFF_STEP_NAMES)[number]
  | (typeof DIRECT_COMMIT_STEP_NAMES)[number]
  | (typeof FILES_STEP_NAMES)[number]
  | (typeof SYNC_STEP_NAMES)[number];

interface CrashPlan {
  step: string;
  remaining: number;
}

function parseCrashPlan(spec: string | undefined): CrashPlan | undefined {
  if (!spec) return undefined;
  const [step, count] = spec.split(":");
  return { step, remaining: count ? Math.max(1, Number.parseInt(count, 10) || 1) : 1 };
}

function parseFault(spec: string | undefined): { step: string; code: string } | undefined {
  if (!spec) return undefined;
  const separator = spec.lastIndexOf(":");
  if (separator <= 0) return undefined;
  return { step: spec.slice(0, separator), code: spec.slice(separator + 1) };
}

const crashPlan = parseCrashPlan(process.env.LORE_CRASH_AT);
let stopAt = process.env.LORE_STOP_AT || undefined;
const fault = parseFault(process.env.LORE_FAULT);
const trace = process.env.LORE_TRACE_STEPS
  ? (name: string) => {
      const sinceStart = performance.now();
      const wallClock = performance.timeOrigin + sinceStart;
      process.stderr.write(`lore: step ${name} at ${sinceStart.toFixed(1)} ms (${wallClock.toFixed(1)})\n`);
    }
  : undefined;
const armed = crashPlan !== undefined || fault !== undefined || trace !== undefined || stopAt !== undefined;

/** Error thrown by an injected fault; it looks like the real error of that code. */
export class InjectedFault extends LoreError {
  readonly exitCode = ExitCode.Failed;
  readonly code: string;
  constructor(step: string, code: string) {
    super(`${code}: injected fault at step ${step}`);
    this.code = code;
  }
}

/** Pass a named step: crash or throw here when a test armed it. */
export function step(name: StepName): void {
  if (!armed) return;
  trace?.(name);
  if (crashPlan !== undefined && crashPlan.step === name && --crashPlan.remaining === 0) {
    process.kill(process.pid, "SIGKILL");
  }
  if (stopAt === name) {
    stopAt = undefined;
    process.kill(process.pid, "SIGSTOP");
  }
  if (fault !== undefined && fault.step === name) throw new InjectedFault(name, fault.code);
}

const LIBRARY_STEPS: Partial<Record<StepName, "fsyncSync" | "renameSync">> = {
  "temp-fsync": "fsyncSync",
  rename: "renameSync",
};

function isArmed(name: StepName): boolean {
  return crashPlan?.step === name || fault?.step === name;
}

/**
 * Runs `call` (a synchronous library call that uses `fs`) so that armed steps
 * among `temp-fsync` and `rename` fire just before the library's own fsync or
 * rename. Without an armed library step this is `call()`.
 */
export function armLibraryFsSteps<T>(call: () => T): T {
  const armed = (Object.keys(LIBRARY_STEPS) as StepName[]).filter(isArmed);
  if (armed.length === 0) return call();
  const mutableFs = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  for (const name of armed) {
    const method = LIBRARY_STEPS[name] as string;
    const original = mutableFs[method];
    originals.set(method, original);
    mutableFs[method] = (...args: unknown[]) => {
      step(name);
      return original.apply(fs, args);
    };
  }
  try {
    return call();
  } finally {
    for (const [method, original] of originals) mutableFs[method] = original;
  }
}
