/**
 * Crash recovery: resolves the pending intents a killed lore left behind.
 *
 * Runs at the start of every journal session, under the journal lock, before
 * the command's own work. Its cost is one readdir when nothing is pending, and
 * otherwise proportional to the number of interrupted records: it reads only
 * their files (and, for a record killed before its temp file was reported, the
 * directory listing of that file), never the rest of the journal. Its git
 * commits cost what any commit costs in that repository. For each intent:
 *   - its temp files are removed;
 *   - if the markdown file holds the record (its lore id line is there), the
 *     record is completed: the row is inserted if the transaction never
 *     committed (with the id already written in the markdown), and the file is
 *     committed to git if it is not yet;
 *   - otherwise the record never reached its file: any row is removed;
 *   - then the intent is removed.
 * A git commit that fails again leaves the intent for the next run, with a
 * warning; the rest of the session goes on.
 */
import { deleteRecordRow, findRecordRowId, insertRecordRow } from "../db/record-rows.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { commitPaths } from "../git/commit.js";
import { warn } from "../io/warn.js";
import { readFileIfPresent, removeIfPresent } from "../io/durable-file.js";
import { loreIdLine } from "../journal/failure-markdown.js";
import { PendingIntent } from "./pending-intent.js";
import { commitOptions, type JournalSession } from "./session.js";

function fileHoldsRecord(file: string, loreId: string): boolean {
  return readFileIfPresent(file)?.split("\n").includes(loreIdLine(loreId)) ?? false;
}

function settleRow(session: JournalSession, intent: PendingIntent, present: boolean): void {
  const { table, loreId, row } = intent.record;
  const transaction = session.db.beginWrite(session.journalKey);
  try {
    const existing = findRecordRowId(session.db.sqlite, table, loreId);
    if (present && existing === undefined) {
      try {
        insertRecordRow(session.db.sqlite, table, row);
      } catch {
        // The id was taken meanwhile by a writer outside lore: keep the record under a new id.
        const { id: _taken, ...withoutId } = row;
        insertRecordRow(session.db.sqlite, table, withoutId);
      }
    } else if (!present && existing !== undefined) {
      deleteRecordRow(session.db.sqlite, table, loreId);
    }
    transaction.commit();
  } catch (error) {
    transaction.rollback();
    throw error;
  }
}

export async function recoverPending(session: JournalSession): Promise<void> {
  const intents = PendingIntent.list(session.layout);
  for (const intent of intents) {
    if (!(intent instanceof PendingIntent)) {
      // Cut short while being written: the record never reached its file.
      removeIfPresent(intent.path);
      continue;
    }
    const file = journalAbsolutePath(session.layout, intent.record.file);
    intent.removeTempFiles(file);
    const present = fileHoldsRecord(file, intent.record.loreId);
    settleRow(session, intent, present);
    if (present && session.repo) {
      try {
        session.lock.assertHeld();
        await commitPaths(
          session.repo,
          { files: [file], message: intent.record.commitMessage, skipIfCommitted: true },
          commitOptions(session),
        );
      } catch (error) {
        warn(`could not commit ${intent.record.file} of an interrupted record: ${(error as Error).message}`);
        continue;
      }
    }
    intent.remove();
  }
}
