/**
 * lore's exit codes, and the errors that carry them (the README lists both).
 *
 *   0   done (recorded; or, for sync, in sync)
 *   1   failed: nothing was recorded, and the record never appears later (a
 *       retry records it once)
 *   2   invalid input or usage: a bad or missing value, no journal
 *   3   lore sync: the files and the database differ
 *   4   a journal file lore would write into is damaged (not UTF-8, cut
 *       short, not readable as records): nothing was written; `lore sync`
 *       names it
 *   5   recorded, but its git commit is not made yet: the next lore command
 *       makes it (do not retry: the record is there); or git ignores its
 *       file, whose rule the error names, and no command will
 *   6   unsafe path: a symlink or hard link where lore would write (as ELF)
 *   75  timed out waiting for the journal lock (EX_TEMPFAIL: try again)
 *
 * Every error lore raises on purpose extends LoreError and declares its own
 * `exitCode`. `exitCodeFor` reads that property, never the class, so a code
 * reaches the user the same way from every bundle; any other error is 1.
 * `messageFor` is the one line lore prints for an error. `InvalidFieldError`
 * is the error of every input rule: its message names the field and the rule.
 */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Invalid: 2,
  OutOfSync: 3,
  Damaged: 4,
  CommitPending: 5,
  UnsafePath: 6,
  LockTimeout: 75,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const EXIT_CODES: ReadonlySet<unknown> = new Set(Object.values(ExitCode));

export abstract class LoreError extends Error {
  abstract readonly exitCode: ExitCodeValue;
}

/** A usage error found by a command itself (yargs reports its own). */
export class UsageError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
}

/** A value a user gave breaks a rule: exit 2, one line `<field>: <rule>`. */
export class InvalidFieldError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/** A value as an error message quotes it: JSON-quoted, cut to 40 characters. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

export function exitCodeFor(error: unknown): ExitCodeValue {
  const code = (error as { exitCode?: unknown } | undefined)?.exitCode;
  return error instanceof Error && EXIT_CODES.has(code) ? (code as ExitCodeValue) : ExitCode.Failed;
}

/** The one line lore prints for an error. */
export function messageFor(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
