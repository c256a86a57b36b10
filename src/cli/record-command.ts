/**
 * What the two record commands share: resolve the input (prompting on a TTY
 * for missing required fields), find the journal, persist the record in a
 * journal session (and, when its commit was handed off to a group commit,
 * wait for it), and report it, as text in ELF's words or as JSON. A record
 * whose git commit is not made exits 5 (CommitPending), never 1: exit 1 means
 * nothing was recorded, so that a caller may retry it. One whose file git
 * ignores exits 5 too, naming the rule: no later command will commit it.
 *
 * A database found behind its journal (DatabaseBehindError, thrown before
 * anything was written) is repaired as `lore sync --fix` would, in this
 * process (repair-database.ts, loaded only then), with one warning line;
 * then the record is made again, once, taking an id above every id in use.
 *
 * Shared with `lore mcp` (src/mcp): `recordJson` (the `--json` object),
 * `uncommittedNote` (why a record exits 5, in one line) and
 * `repairBehindDatabase` (the repair and its warning).
 */
import { locateJournal, type JournalLayout } from "../journal/layout.js";
import { MissingFieldsError } from "../record/inputs.js";
import { persistRecord, type PersistedRecord, type RecordDraft } from "../txn/record-transaction.js";
import type { SessionOptions } from "../txn/session.js";
import { withJournalSession } from "../txn/journal-session.js";
import { awaitHandedOff } from "../txn/hand-off.js";
import { DatabaseBehindError } from "../txn/database-behind.js";
import { loadSyncAndHooks } from "./on-demand-parts.js";
import { warn } from "../base/warn.js";
import { IgnoredByGitError } from "../git/ignore-rules.js";
import { ExitCode, messageFor, type ExitCodeValue } from "../base/errors.js";
import { sessionOptionsFrom, type JournalArgs } from "./journal-options.js";

export interface RecordCommandSpec<Flags, Input> {
  kind: "failure" | "heuristic";
  flags: Flags;
  resolve(flags: Flags, env: NodeJS.ProcessEnv): Input;
  draft(layout: JournalLayout, input: Input, now: Date): RecordDraft;
  promptLabels: Record<string, string>;
  describe(record: PersistedRecord): string[];
}

async function resolveInput<Flags, Input>(spec: RecordCommandSpec<Flags, Input>): Promise<Input> {
  try {
    return spec.resolve(spec.flags, process.env);
  } catch (error) {
    if (!(error instanceof MissingFieldsError) || !process.stdin.isTTY) throw error;
    const { promptForMissing } = await import("./prompt.js");
    const answers = await promptForMissing(error.fields, spec.promptLabels);
    return spec.resolve({ ...spec.flags, ...answers }, process.env);
  }
}

/**
 * Repairs, in this process, a database a record found behind its journal (no
 * session of this process may be open), with the one warning line.
 */
export async function repairBehindDatabase(
  layout: JournalLayout,
  options: SessionOptions,
  error: DatabaseBehindError,
): Promise<void> {
  const repair = await loadSyncAndHooks().repairDatabase(layout, options);
  warn(`the database was behind the journal (${error.reason}); ${repair}`);
}

/** A record as `--json` shows it (and `lore mcp`'s record tools). */
export function recordJson(kind: "failure" | "heuristic", record: PersistedRecord): Record<string, unknown> {
  return { kind, id: record.id, loreId: record.loreId, file: record.file, path: record.path, commit: record.commit };
}

export async function runRecordCommand<Flags, Input>(
  args: JournalArgs,
  spec: RecordCommandSpec<Flags, Input>,
): Promise<ExitCodeValue> {
  const now = new Date();
  const input = await resolveInput(spec);
  const options = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  let warnedNoWorkTree = false;
  const persist = (repaired: boolean) =>
    withJournalSession(layout, options, async (session) => {
      if (!session.repo && !options.noCommit && !warnedNoWorkTree) {
        warnedNoWorkTree = true;
        warn(`${layout.base} is not inside a git work tree: recorded without a commit (--no-commit silences this)`);
      }
      return persistRecord(session, spec.draft(layout, input, now), { repaired });
    });
  let record: PersistedRecord;
  try {
    record = await persist(false);
  } catch (error) {
    if (!(error instanceof DatabaseBehindError)) throw error;
    await repairBehindDatabase(layout, options, error);
    record = await persist(true);
  }
  await awaitHandedOff(layout, options, [record]);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(recordJson(spec.kind, record))}\n`);
  } else {
    process.stdout.write(`${spec.describe(record).join("\n")}\n`);
  }
  const note = uncommittedNote(record);
  if (note === undefined) return ExitCode.Ok;
  process.stderr.write(`lore record-${spec.kind}: ${note}\n`);
  return ExitCode.CommitPending;
}

/** Why a record is not committed, and what to do, in one line (exit 5); undefined for a record committed or not meant to be. */
export function uncommittedNote(record: PersistedRecord): string | undefined {
  if (record.commitError instanceof IgnoredByGitError) {
    return (
      `recorded ${record.path} (id ${record.id}), but it is not committed: ` +
      `${messageFor(record.commitError)}; remove that rule (\`lore init\` does, where it is the journal's own), ` +
      "or record with --no-commit (do not record it again)"
    );
  }
  if (record.commitError) {
    return (
      `recorded ${record.path} (id ${record.id}), but the git commit failed: ` +
      `${messageFor(record.commitError)}; the next lore command commits it (do not record it again)`
    );
  }
  return undefined;
}
