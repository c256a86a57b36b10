/**
 * The journal's feedback events against the database: what `lore sync` and
 * `lore sync --rebuild` make of them, so that every acknowledged validation,
 * violation, promotion and demotion is counted once, in every clone, and a
 * change another tool made to the counters alone is kept.
 *
 *   const events = journalFeedback(layout);                     // every event, in order
 *   const changed = databaseOnlyChanges(db, now);              // step 1: ELF's hooks' changes, as events
 *   const waiting = unappliedFeedback(db, events);              // step 2: events this database lacks
 *   applyFeedbackEvents(db, waiting)                            // inside sync's fix transaction
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
  noteFeedbackBase,
  type StandingRow,
  standingOf,
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
import type { JournalLayout } from "../journal/layout.js";

/** Every event of the journal's feedback files, in the order they apply. */
export function journalFeedback(layout: JournalLayout): FeedbackEvent[] {
  const dir = path.join(layout.base, FEEDBACK_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith(".jsonl"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const events = names
    .sort()
    .flatMap((name) => parseFeedbackFile(fs.readFileSync(path.join(dir, name), "utf8"), `${FEEDBACK_DIR}/${name}`));
  return inFeedbackOrder(events);
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

/**
 * The rows whose standing differs from their base, each with the `adjusted`
 * event that records the difference, and the rows without a base (a trigger
 * dropped by hand). Reads only.
 */
export function databaseOnlyChanges(db: Database.Database, now: Date): DatabaseOnlyChange[] {
  const rows = prepared(
    db,
    `SELECT h.id, h.lore_id AS loreId, h.domain, h.rule, h.confidence, h.times_validated AS timesValidated,
       h.times_violated AS timesViolated, h.is_golden AS isGolden, b.times_validated AS baseValidated,
       b.times_violated AS baseViolated, b.confidence AS baseConfidence, b.is_golden AS baseGolden
     FROM heuristics h LEFT JOIN lore_feedback_base b ON b.heuristic_id = h.id
     WHERE b.heuristic_id IS NULL OR ifnull(h.times_validated, 0) != b.times_validated
       OR ifnull(h.times_violated, 0) != b.times_violated OR ifnull(h.confidence, 0.5) != b.confidence
       OR ifnull(h.is_golden, 0) != b.is_golden`,
  ).all() as BaseRow[];
  const changes: DatabaseOnlyChange[] = [];
  for (const found of rows) {
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
    changes.push(
      unchanged ? { row } : { row, event: feedbackEvent("adjusted", row.key, randomUuid(), now, adjustment) },
    );
  }
  return changes;
}

/** Notes each change's event as applied and its row's standing as the base. Inside the fix's write transaction. */
export function recordDatabaseOnlyChanges(db: Database.Database, changes: DatabaseOnlyChange[]): void {
  for (const { row, event } of changes) {
    if (event) prepared(db, "INSERT OR IGNORE INTO lore_feedback_applied(id) VALUES (?)").run(event.id);
    noteFeedbackBase(db, row);
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
 * record, and the events it had not applied get applied. Inside the
 * rebuild's transaction, once every row is in.
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
}
