/**
 * Which lore process, up the process tree, holds a journal lock: a held
 * JournalLock sets `LORE_PARENT_LOCK=<pid>:<lock directory>` in its process's
 * environment, so every git it runs, and every hook that git runs,
 * knows. A hook then leaves the work to that process (hook-runner.ts), and a
 * lore command started by such a hook for the same journal fails at once
 * instead of waiting for a lock its own ancestor holds until it finishes
 * (journal-lock.ts): a deadlock until the timeout.
 *
 *   const undo = announceParentLock(lockDir);  ...  undo();
 *   parentLockOf(process.env)  ->  { pid, lockDir } | undefined
 */
export const PARENT_LOCK_VARIABLE = "LORE_PARENT_LOCK";

export interface ParentLock {
  pid: number;
  lockDir: string;
}

export function parentLockOf(env: NodeJS.ProcessEnv): ParentLock | undefined {
  const value = env[PARENT_LOCK_VARIABLE];
  const match = value ? /^(\d+):(.+)$/.exec(value) : null;
  return match ? { pid: Number(match[1]), lockDir: match[2] } : undefined;
}

/** Sets the variable for this process's children; returns the undo. */
export function announceParentLock(lockDir: string): () => void {
  const previous = process.env[PARENT_LOCK_VARIABLE];
  process.env[PARENT_LOCK_VARIABLE] = `${process.pid}:${lockDir}`;
  return () => {
    if (previous === undefined) delete process.env[PARENT_LOCK_VARIABLE];
    else process.env[PARENT_LOCK_VARIABLE] = previous;
  };
}
