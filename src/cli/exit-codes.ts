/**
 * lore's exit codes (also listed in the README), and the mapping from an error
 * to its code and one-line message.
 *
 *   0   done (recorded; or, for sync, in sync)
 *   1   failed: nothing was recorded (rolled back), or the record was kept but
 *       its git commit failed (the next run commits it)
 *   2   invalid input or usage: a bad or missing value, no journal
 *   3   lore sync: the files and the database differ (after --fix: differences
 *       that need a person remain, such as an unparseable file)
 *   6   unsafe path: a symlink or hard link where lore would write (as ELF)
 *   75  timed out waiting for the journal lock (EX_TEMPFAIL: try again)
 */
import { InvalidFieldError } from "../record/fields.js";
import { MissingFieldsError } from "../record/inputs.js";
import { NoJournalError } from "../journal/layout.js";
import { UnsafePathError } from "../io/durable-file.js";
import { LockTimeoutError } from "../lock/journal-lock.js";
import { MissingDatabaseError } from "../db/journal-db.js";

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Invalid: 2,
  OutOfSync: 3,
  UnsafePath: 6,
  LockTimeout: 75,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage error found by the command itself (yargs reports its own). */
export class UsageError extends Error {}

export function exitCodeFor(error: unknown): ExitCodeValue {
  if (
    error instanceof InvalidFieldError ||
    error instanceof MissingFieldsError ||
    error instanceof NoJournalError ||
    error instanceof MissingDatabaseError ||
    error instanceof UsageError
  ) {
    return ExitCode.Invalid;
  }
  if (error instanceof UnsafePathError) return ExitCode.UnsafePath;
  if (error instanceof LockTimeoutError) return ExitCode.LockTimeout;
  return ExitCode.Failed;
}

/** The one line lore prints for an error. */
export function messageFor(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
