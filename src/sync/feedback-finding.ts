/**
 * sync's findings about feedback events (feedback/feedback-journal.ts): the
 * counters another tool changed in the database alone, to record in the
 * journal, and the journal's events the database has not applied.
 *
 *   const scan = scanFeedback(db, layout, cache, { full, now });   // scan.findings: [] when all agree
 *   ...                                                            // the fix, if any
 *   recordFeedbackVerified(db, cache, scan, startedAtMs);          // inside the verification's write
 *
 * `feedback-db-only`: heuristics whose counters, confidence or golden flag
 * differ from what lore last left them at (ELF's post-tool hook, its
 * dashboard), among the rows a trigger marked as changed (every row when
 * the marks cannot be trusted, and with `full`); the fix
 * (`record-feedback`) adds an `adjusted` event for each to the month's
 * feedback file, committed with the fix's other write-backs, so that the
 * change is never reverted and survives a rebuild.
 * `feedback-unapplied`: events the journal holds that this database lacks (a
 * pull brought them, or the database was rebuilt without the old one); the
 * fix (`apply-feedback`) applies each once, after the first finding's fix.
 *
 * Only the feedback files that may have changed since a sync verified them
 * are read: a file whose size, mtime and inode are as verified (and that was
 * older than file-changes.ts's RACY_MS then) is skipped; with `full`, or in
 * a database that has verified none (a rebuilt one), every file is read. A
 * file is recorded as verified, with its stat from before it was read, only
 * once the database has applied every event in it: events whose heuristic
 * has no row stay unapplied, and their file is read, and they are reported,
 * again on every sync. A pull that appends to a file (or git's union merge
 * that rewrites it) changes its stat, so the file is read whole again.
 * `scanFeedback` reads only; a feedback file lore cannot read is
 * FeedbackFileError (exit 4). `recordFeedbackVerified` writes, inside the
 * caller's write transaction.
 */
import type Database from "better-sqlite3";
import {
  databaseOnlyChanges,
  listFeedbackFiles,
  readFeedbackFile,
  unappliedFeedback,
} from "../feedback/feedback-journal.js";
import { feedbackApplied } from "../db/feedback-rows.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { FEEDBACK_DIR, type FeedbackEvent, inFeedbackOrder } from "../journal/feedback-events.js";
import { type FileStat, statFile } from "../journal/journal-file.js";
import { unchangedByStat } from "./file-changes.js";
import type { Finding } from "./match.js";
import type { StatVerified, SyncCache } from "./sync-cache.js";

/** A feedback file this sync read: its stat from before the read, and its events' ids. */
export interface FeedbackFileRead {
  path: string;
  stat: FileStat;
  eventIds: string[];
}

export interface FeedbackScan {
  findings: Finding[];
  /** The feedback files read (the others were as a sync verified them). */
  read: FeedbackFileRead[];
  /** Every feedback file there is. */
  present: string[];
}

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function databaseOnlyFinding(db: Database.Database, now: Date, full: boolean): Finding | undefined {
  const found = databaseOnlyChanges(db, now, { everyRow: full });
  const { changes, orphanBases } = found;
  if (changes.length === 0 && orphanBases.length === 0) return undefined;
  const recorded = changes.filter((change) => change.event !== undefined);
  const named = recorded
    .slice(0, 3)
    .map(({ row }) => `H-${row.id}`)
    .join(", ");
  const details = [
    recorded.length > 0
      ? `${counted(recorded.length, "heuristic's standing was", "heuristics' standings were")} changed in the database alone (${named}${recorded.length > 3 ? ", ..." : ""})`
      : undefined,
    changes.length > recorded.length
      ? `${counted(changes.length - recorded.length, "heuristic has", "heuristics have")} no feedback base`
      : undefined,
    orphanBases.length > 0
      ? `${counted(orphanBases.length, "feedback base names a heuristic", "feedback bases name heuristics")} no longer there`
      : undefined,
  ];
  return {
    type: "feedback-db-only",
    path: "memory/index.db",
    detail: details.filter((detail) => detail !== undefined).join("; "),
    action: { kind: "record-feedback", found },
  };
}

export function scanFeedback(
  db: Database.Database,
  layout: JournalLayout,
  cache: SyncCache,
  options: { full: boolean; now: Date },
): FeedbackScan {
  const findings: Finding[] = [];
  const databaseOnly = databaseOnlyFinding(db, options.now, options.full);
  if (databaseOnly) findings.push(databaseOnly);
  const present = listFeedbackFiles(layout);
  const verified = options.full ? new Map<string, StatVerified>() : cache.feedbackFiles();
  const read: FeedbackFileRead[] = [];
  const events: FeedbackEvent[] = [];
  for (const file of present) {
    const absolute = journalAbsolutePath(layout, file);
    if (unchangedByStat(verified.get(file), absolute)) continue;
    const stat = statFile(absolute);
    if (!stat) continue;
    const inFile = readFeedbackFile(layout, file);
    read.push({ path: file, stat, eventIds: inFile.map((event) => event.id) });
    events.push(...inFile);
  }
  const waiting = unappliedFeedback(db, inFeedbackOrder(events));
  if (waiting.length > 0) {
    findings.push({
      type: "feedback-unapplied",
      path: FEEDBACK_DIR,
      detail: `${counted(waiting.length, "feedback event is", "feedback events are")} not applied to the database`,
      action: { kind: "apply-feedback", events: waiting },
    });
  }
  return { findings, read, present };
}

/** Records the files `scan` read whose every event the database has applied now. Inside a write transaction. */
export function recordFeedbackVerified(
  db: Database.Database,
  cache: SyncCache,
  scan: FeedbackScan,
  verifiedAtMs: number,
): void {
  const verified = scan.read.filter((file) => file.eventIds.every((id) => feedbackApplied(db, id)));
  cache.recordFeedbackFiles(verified, scan.present, verifiedAtMs);
}
