/**
 * The one global lock order: the journal's git lock first, then SQLite's write
 * lock. Never the reverse.
 *
 * Every lock lore takes registers here with `noteAcquired(level, key)` before it
 * blocks and `noteReleased(level, key)` after it lets go. Taking a level while
 * holding a level at or above it, or taking SQLite's write lock without the
 * journal lock of the same journal, throws `LockOrderError` at once: an
 * out-of-order acquisition is a programming error, found by tests, never a
 * deadlock found in production.
 */
import { ExitCode, LoreError } from "../base/errors.js";
export enum LockLevel {
  Journal = 1,
  SqliteWrite = 2,
}

export class LockOrderError extends LoreError {
  readonly exitCode = ExitCode.Failed;
}

const held: Array<{ level: LockLevel; journalKey: string }> = [];

function describe(level: LockLevel): string {
  return level === LockLevel.Journal ? "journal (git) lock" : "SQLite write lock";
}

export function noteAcquired(level: LockLevel, journalKey: string): void {
  const higher = held.find((entry) => entry.level >= level);
  if (higher) {
    throw new LockOrderError(
      `lock order violated: taking the ${describe(level)} while holding the ${describe(higher.level)}`,
    );
  }
  if (level === LockLevel.SqliteWrite && !held.some((entry) => entry.journalKey === journalKey)) {
    throw new LockOrderError("lock order violated: the SQLite write lock needs the journal (git) lock first");
  }
  held.push({ level, journalKey });
}

export function noteReleased(level: LockLevel, journalKey: string): void {
  const index = held.findIndex((entry) => entry.level === level && entry.journalKey === journalKey);
  if (index >= 0) held.splice(index, 1);
}
