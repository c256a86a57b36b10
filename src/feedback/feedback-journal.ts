/**
 * The journal's feedback events against the database: what `lore sync` and
 * `lore sync --rebuild` make of them, so that every acknowledged validation,
 * violation, promotion and demotion is counted once, in every clone, and a
 * change another tool made to the counters alone is kept.
 *
 *   const events = journalFeedback(layout);                     // every event, in order
 *   const files = listFeedbackFiles(layout);                    // or file by file:
 *   const some = readFeedbackFile(layout, files[0]);            //   one file's events, as written
 *   const found = databaseOnlyChanges(db, now, { everyRow });   // step 1: ELF's hooks' changes, as events
 *   const waiting = unappliedFeedback(db, events);              // step 2: events this database lacks
 *   recordDatabaseOnlyChanges(db, found); applyFeedbackEvents(db, waiting)   // inside sync's fix transaction
 *   resetFeedbackBase(db, events)                               // after a rebuild: the base from the files
 *
 * The rule (three-way, on each heuristic's standing): `lore_feedback_base`
 * holds what lore last left the row at (db/feedback-rows.ts). A row that
 * differs from it was changed by another tool alone (ELF's post-tool hook,
 * its dashboard): the difference becomes an `adjusted` event in the journal
 * (never reverted), and the base moves to the row. Then every event of the
 * journal this database has not applied (`lore_feedback_applied`: one pulled
 * from another clone, or all of them in a database rebuilt without the old
 * one) is applied to its row, and to the base, once. A row inserted (by any
 * tool) starts with a base of its record's standing: no validations, not
 * golden, the confidence it was inserted with (schema.ts's trigger).
 *
 * Step 1 compares only the rows a trigger marked as changed
 * (`lore_feedback_touched`), unless a row may lack its base or a change may
 * have gone unmarked: when the heuristics and their bases differ in number
 * (a row inserted, or deleted, while lore's triggers were dropped), when the
 * marking trigger is missing, or with `everyRow` (`lore sync --full`), it
 * compares every row, and also finds the bases whose row is gone, for the
 * fix to drop, so that the two counts agree again.
 *
 * An event whose heuristic the database has no row for (its record not yet
 * synced, or gone) stays unapplied, and `unmatched` says so. Reading a
 * feedback file lore cannot read is FeedbackFileError (exit 4).
 */
import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import { randomUuid } from "../base/random.js";
import {
  applyFeedbackEvent,
  feedbackApplied,
  heuristicOfEvent,
  type HeuristicStanding,
  MARK_ROWS_OFF_THEIR_BASE,
  noteFeedbackBase,
  OFF_ITS_BASE,
  type StandingRow,
  standingOf,
  TOUCHED_TRIGGER,
} from "../db/feedback-rows.js";
import { prepared } from "../db/prepared.js";
import {
  FEEDBACK_DIR,
  type FeedbackEvent,
  feedbackEvent,
  inFeedbackOrder,
  parseFeedbackFile,
  type Standing,
  standingAfter,
} from "../journal/feedback-events.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";

/** The journal's feedback files (relative, with `/`), in name order; none when the folder is missing. */
export function listFeedbackFiles(layout: JournalLayout): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(layout.base, FEEDBACK_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .map((name) => `${FEEDBACK_DIR}/${name}`);
}

/** The events of one feedback file (relative), in the order they stand in it. */
export function readFeedbackFile(layout: JournalLayout, file: string): FeedbackEvent[] {
  return parseFeedbackFile(fs.readFileSync(journalAbsolutePath(layout, file), "utf8"), file);
}

/** Every event of the journal's feedback files, in the order they apply. */
export function journalFeedback(layout: JournalLayout): FeedbackEvent[] {
  return inFeedbackOrder(listFeedbackFiles(layout).flatMap((file) => readFeedbackFile(layout, file)));
}

export interface DatabaseOnlyChange {
  row: HeuristicStanding;
  /** The `adjusted` event that records it; none for a row that only lacks its base. */
  event?: FeedbackEvent;
}

interface BaseRow extends StandingRow {
  baseValidated: number | null;
  baseViolated: number | null;
  baseConfidence: number | null;
  baseGolden: number | null;
}

export interface DatabaseOnlyChanges {
  changes: DatabaseOnlyChange[];
  /** Ids of bases whose heuristic row is gone: found only when every row was compared. */
  orphanBases: number[];
}

const STANDING_AND_BASE = `h.id, h.lore_id AS loreId, h.domain, h.rule, h.confidence,
  h.times_validated AS timesValidated, h.times_violated AS timesViolated, h.is_golden AS isGolden,
  b.times_validated AS baseValidated, b.times_violated AS baseViolated, b.confidence AS baseConfidence,
  b.is_golden AS baseGolden`;

/** Whether the marks can be trusted to name every row whose standing changed, and every row has a base. */
function marksSuffice(db: Database.Database): boolean {
  const found = prepared(
    db,
    `SELECT (SELECT count(*) FROM heuristics) AS heuristics, (SELECT count(*) FROM lore_feedback_base) AS bases,
       (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?) AS marking`,
  ).get(TOUCHED_TRIGGER) as { heuristics: number; bases: number; marking: number };
  return found.heuristics === found.bases && found.marking === 1;
}

/**
 * The rows whose standing differs from their base, each with the `adjusted`
 * event that records the difference, and the rows without a base (a trigger
 * dropped by hand): among the marked rows, or among all (see the header).
 * Reads only.
 */
export function databaseOnlyChanges(
  db: Database.Database,
  now: Date,
  options: { everyRow: boolean },
): DatabaseOnlyChanges {
  const everyRow = options.everyRow || !marksSuffice(db);
  const rows = prepared(
    db,
    everyRow
      ? `SELECT ${STANDING_AND_BASE} FROM heuristics h LEFT JOIN lore_feedback_base b ON b.heuristic_id = h.id
         WHERE b.heuristic_id IS NULL OR ${OFF_ITS_BASE}`
      : `SELECT ${STANDING_AND_BASE} FROM lore_feedback_touched t JOIN heuristics h ON h.id = t.heuristic_id
         LEFT JOIN lore_feedback_base b ON b.heuristic_id = h.id WHERE b.heuristic_id IS NULL OR ${OFF_ITS_BASE}`,
  ).all() as BaseRow[];
  const orphanBases = everyRow
    ? (prepared(
        db,
        "SELECT heuristic_id FROM lore_feedback_base b WHERE NOT EXISTS (SELECT 1 FROM heuristics WHERE id = b.heuristic_id)",
      )
        .pluck()
        .all() as number[])
    : [];
  return { changes: rows.map((found) => changeOf(found, now)), orphanBases };
}

function changeOf(found: BaseRow, now: Date): DatabaseOnlyChange {
  const row = standingOf(found);
  // No base (a row from before the base was kept): its record's standing, at the confidence it has.
  const base: Standing = {
    timesValidated: found.baseValidated ?? 0,
    timesViolated: found.baseViolated ?? 0,
    confidence: found.baseConfidence ?? row.confidence,
    isGolden: found.baseGolden === 1,
  };
  const adjustment = {
    validated: row.timesValidated - base.timesValidated,
    violated: row.timesViolated - base.timesViolated,
    confidence: row.confidence - base.confidence,
    golden: row.isGolden,
  };
  const unchanged =
    adjustment.validated === 0 &&
    adjustment.violated === 0 &&
    adjustment.confidence === 0 &&
    row.isGolden === base.isGolden;
  return unchanged ? { row } : { row, event: feedbackEvent("adjusted", row.key, randomUuid(), now, adjustment) };
}

/**
 * Notes each change's event as applied and its row's standing as the base,
 * and drops the orphan bases. Inside the fix's write transaction.
 */
export function recordDatabaseOnlyChanges(db: Database.Database, found: DatabaseOnlyChanges): void {
  for (const { row, event } of found.changes) {
    if (event) prepared(db, "INSERT OR IGNORE INTO lore_feedback_applied(id) VALUES (?)").run(event.id);
    noteFeedbackBase(db, row);
  }
  for (const id of found.orphanBases) {
    // Gone still: a row that came back meanwhile (by id) keeps the base it came back with.
    prepared(
      db,
      "DELETE FROM lore_feedback_base WHERE heuristic_id = @id AND NOT EXISTS (SELECT 1 FROM heuristics WHERE id = @id)",
    ).run({ id });
  }
}

/** The events of `events` this database has not applied. */
export function unappliedFeedback(db: Database.Database, events: FeedbackEvent[]): FeedbackEvent[] {
  return events.filter((event) => !feedbackApplied(db, event.id));
}

/** Applies each event to its heuristic's row; returns those whose heuristic has no row. Inside a write transaction. */
export function applyFeedbackEvents(db: Database.Database, events: FeedbackEvent[]): FeedbackEvent[] {
  const unmatched: FeedbackEvent[] = [];
  for (const event of events) {
    const row = heuristicOfEvent(db, event.heuristic);
    if (row) applyFeedbackEvent(db, row, event);
    else unmatched.push(event);
  }
  return unmatched;
}

/**
 * After a rebuild: each heuristic's base made anew from the events the
 * database had applied (`lore_feedback_applied`, carried over from the old
 * database where it could be read), counted from none, at the confidence
 * the row has. The old database's counters that no event holds (ELF's
 * hooks' changes, carried over with the row) then show as changes to
 * record (those rows are marked), and the events it had not applied get
 * applied. Inside the rebuild's transaction, once every row is in.
 */
export function resetFeedbackBase(db: Database.Database, events: FeedbackEvent[]): void {
  prepared(db, "DELETE FROM lore_feedback_base").run();
  const rows = prepared(db, "SELECT id, lore_id AS loreId, domain, rule, confidence FROM heuristics").all() as Array<{
    id: number;
    loreId: string | null;
    domain: string;
    rule: string;
    confidence: number | null;
  }>;
  const standings = new Map<number, HeuristicStanding>(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        key: { loreId: row.loreId, domain: row.domain, rule: row.rule },
        timesValidated: 0,
        timesViolated: 0,
        confidence: row.confidence ?? 0.5,
        isGolden: false,
      },
    ]),
  );
  for (const event of events) {
    if (!feedbackApplied(db, event.id)) continue;
    const row = heuristicOfEvent(db, event.heuristic);
    const standing = row && standings.get(row.id);
    if (standing) {
      const after = standingAfter(standing, event);
      standings.set(row.id, { ...standing, ...after, confidence: standing.confidence });
    }
  }
  for (const standing of standings.values()) noteFeedbackBase(db, standing);
  // The rows whose carried-over standing differs from the base: no trigger marked them.
  db.exec(MARK_ROWS_OFF_THEIR_BASE);
}
