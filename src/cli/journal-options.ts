/**
 * Options shared by the commands that write a journal, and how they become
 * session options; `baseOption` alone for the commands that read one.
 *
 *   --base DIR          the journal (else LORE_BASE, else the nearest ancestor
 *                       of the working directory holding memory/index.db,
 *                       else ELF's install root ~/.claude/emergent-learning
 *                       when it holds one: journal/layout.ts locateJournal)
 *   --json              one JSON object on stdout on success
 *   --no-commit         skip git
 *   --lock-timeout S    seconds to wait for the journal lock (LORE_LOCK_TIMEOUT,
 *                       default 30)
 *   LORE_LOCK_STALE     seconds after which a silent lock holder is stale
 *                       (default 10, at least 2)
 */
import type { Options } from "yargs";
import { InvalidFieldError, quoted } from "../base/errors.js";
import type { SessionOptions } from "../txn/session.js";

/** `--base DIR`, the one option every command that opens a journal has (the read commands have no other of these). */
export const baseOption = {
  base: {
    type: "string",
    describe: "journal directory (default: $LORE_BASE, else the nearest one above, else ~/.claude/emergent-learning)",
  },
} satisfies Record<string, Options>;

export const journalOptions = {
  ...baseOption,
  json: { type: "boolean", default: false, describe: "print one JSON object on success" },
  commit: { type: "boolean", default: true, describe: "commit the record to git (--no-commit: skip git)" },
  "lock-timeout": {
    type: "string",
    describe: "seconds to wait for the journal lock (default: $LORE_LOCK_TIMEOUT or 30)",
  },
} satisfies Record<string, Options>;

export interface JournalArgs {
  base?: string;
  json: boolean;
  commit: boolean;
  "lock-timeout"?: string;
}

/** `value`, a number of seconds at least `minimum`, in milliseconds; `fallbackMs` when unset. */
function secondsAsMs(field: string, value: string | undefined, fallbackMs: number, minimum: number): number {
  if (value === undefined || value.trim() === "") return fallbackMs;
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || parsed < minimum) {
    throw new InvalidFieldError(field, `must be a number of seconds, at least ${minimum} (got ${quoted(value)})`);
  }
  return parsed * 1000;
}

export function sessionOptionsFrom(args: JournalArgs, env: NodeJS.ProcessEnv): SessionOptions {
  return {
    timeoutMs: secondsAsMs("lock-timeout", args["lock-timeout"] ?? env.LORE_LOCK_TIMEOUT, 30_000, 0),
    staleMs: secondsAsMs("LORE_LOCK_STALE", env.LORE_LOCK_STALE, 10_000, 2),
    noCommit: !args.commit,
  };
}
