/**
 * A heuristic's standing in the database, and the feedback events applied to
 * it (journal/feedback-events.ts).
 *
 *   const row = heuristicByReference(db, "H-12");        // 12, H-12 or a lore id; undefined if none
 *   applyFeedbackEvent(db, row, event);                  // inside the write transaction
 *   feedbackApplied(db, event.id)                        // whether this database has it
 *
 * `applyFeedbackEvent` makes the event's change to the row (standingAfter,
 * the same arithmetic as ELF's post-tool hook), writes ELF's `metrics` row
 * for it (elf-loop.md §4.6; a demotion, which ELF never makes, as
 * `golden_rule_demotion`), notes the event's id in `lore_feedback_applied`,
 * so that no event is ever applied twice (a pull brings events this database
 * has and events it has not), and notes the row's new standing in
 * `lore_feedback_base`: what lore last left it at, so that `lore sync` can
 * tell a change another tool made to the counters alone (ELF's hooks, its
 * dashboard) and fold it into the journal as an `adjusted` event. All of it
 * in the caller's write transaction: the row, its metrics row and the notes
 * commit together or not at all.
 *
 * So that sync need not compare every row with its base, a trigger marks, in
 * `lore_feedback_touched`, each row whose standing changes, whoever changes
 * it (ELF's raw SQL included); noting a row's base clears its mark, in the
 * same transaction, when the row stands at that base (a change made since
 * stays marked). A mark only ever makes sync look at a row again: a row
 * marked and at its base is found unchanged.
 */
import type Database from "better-sqlite3";
import { type FeedbackEvent, type HeuristicKey, type Standing, standingAfter } from "../journal/feedback-events.js";
import { prepared } from "./prepared.js";

/**
 * The tables of the feedback events (schema version 7), and the triggers
 * that keep a row's base, whoever writes the row (ELF's tools included): a
 * row inserted starts with a base of what it was inserted with (a record's
 * standing; a row brought back from the archive, its old standing, whose
 * events the journal already holds), a row's new id takes its base along,
 * and a row deleted takes its base with it. Version 8 adds the marks of the
 * rows whose standing changed (`lore_feedback_touched`) and their triggers:
 * a changed standing or a new id marks the row; a row deleted takes its mark
 * with it. Plain SQL that ELF's Python sqlite3 (SQLite 3.40) runs as well.
 */
/** The trigger that marks a row whose standing changed: while it is missing, no mark can be trusted. */
export const TOUCHED_TRIGGER = "lore_feedback_touched_update";

export const FEEDBACK_TABLES = `
CREATE TABLE IF NOT EXISTS lore_feedback_applied (
  id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lore_feedback_base (
  heuristic_id INTEGER PRIMARY KEY,
  times_validated INTEGER NOT NULL,
  times_violated INTEGER NOT NULL,
  confidence REAL NOT NULL,
  is_golden INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS lore_feedback_base_insert AFTER INSERT ON heuristics
BEGIN
  INSERT OR REPLACE INTO lore_feedback_base(heuristic_id, times_validated, times_violated, confidence, is_golden)
  VALUES (NEW.id, ifnull(NEW.times_validated, 0), ifnull(NEW.times_violated, 0), ifnull(NEW.confidence, 0.5),
    ifnull(NEW.is_golden, 0));
END;
CREATE TRIGGER IF NOT EXISTS lore_feedback_base_renumber AFTER UPDATE OF id ON heuristics WHEN NEW.id != OLD.id
BEGIN
  UPDATE lore_feedback_base SET heuristic_id = NEW.id WHERE heuristic_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS lore_feedback_base_delete AFTER DELETE ON heuristics
BEGIN
  DELETE FROM lore_feedback_base WHERE heuristic_id = OLD.id;
END;
CREATE TABLE IF NOT EXISTS lore_feedback_touched (
  heuristic_id INTEGER PRIMARY KEY
);
CREATE TRIGGER IF NOT EXISTS ${TOUCHED_TRIGGER} AFTER UPDATE OF times_validated, times_violated, confidence, is_golden
  ON heuristics
  WHEN OLD.times_validated IS NOT NEW.times_validated OR OLD.times_violated IS NOT NEW.times_violated
    OR OLD.confidence IS NOT NEW.confidence OR OLD.is_golden IS NOT NEW.is_golden
BEGIN
  INSERT OR IGNORE INTO lore_feedback_touched(heuristic_id) VALUES (NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS lore_feedback_touched_renumber AFTER UPDATE OF id ON heuristics WHEN NEW.id != OLD.id
BEGIN
  DELETE FROM lore_feedback_touched WHERE heuristic_id = OLD.id;
  INSERT OR IGNORE INTO lore_feedback_touched(heuristic_id) VALUES (NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS lore_feedback_touched_delete AFTER DELETE ON heuristics
BEGIN
  DELETE FROM lore_feedback_touched WHERE heuristic_id = OLD.id;
END;
`;

/**
 * An SQL condition on `h` (heuristics) and `b` (its lore_feedback_base row,
 * joined): the row's standing differs from its base.
 */
export const OFF_ITS_BASE = `(ifnull(h.times_validated, 0) != b.times_validated
  OR ifnull(h.times_violated, 0) != b.times_violated OR ifnull(h.confidence, 0.5) != b.confidence
  OR ifnull(h.is_golden, 0) != b.is_golden)`;

/**
 * Marks every row whose standing differs from its base: where rows may have
 * changed with no trigger to mark them (before version 8; a base made anew
 * by a rebuild). Inside the caller's write transaction.
 */
export const MARK_ROWS_OFF_THEIR_BASE = `
INSERT OR IGNORE INTO lore_feedback_touched(heuristic_id)
SELECT h.id FROM heuristics h JOIN lore_feedback_base b ON b.heuristic_id = h.id WHERE ${OFF_ITS_BASE}`;

/**
 * The base of the rows there before version 7: their record's standing at
 * the confidence they have (no validations, not golden), so that the first
 * sync records what ELF's hooks counted as events. Inside the migration.
 */
export const FEEDBACK_BASE_OF_EXISTING_ROWS = `
INSERT OR IGNORE INTO lore_feedback_base(heuristic_id, times_validated, times_violated, confidence, is_golden)
SELECT id, 0, 0, ifnull(confidence, 0.5), 0 FROM heuristics`;

export interface HeuristicStanding extends Standing {
  id: number;
  key: HeuristicKey;
}

/** A heuristic's standing as STANDING_COLUMNS read it. */
export interface StandingRow {
  id: number;
  loreId: string | null;
  domain: string;
  rule: string;
  confidence: number | null;
  timesValidated: number | null;
  timesViolated: number | null;
  isGolden: number | null;
}

export const STANDING_COLUMNS = `id, lore_id AS loreId, domain, rule, confidence, times_validated AS timesValidated,
  times_violated AS timesViolated, is_golden AS isGolden`;

/** ELF's defaults where a row has NULL (its columns' defaults: 0.5, 0, 0, 0). */
export function standingOf(row: StandingRow): HeuristicStanding {
  return {
    id: row.id,
    key: { loreId: row.loreId, domain: row.domain, rule: row.rule },
    confidence: row.confidence ?? 0.5,
    timesValidated: row.timesValidated ?? 0,
    timesViolated: row.timesViolated ?? 0,
    isGolden: row.isGolden === 1,
  };
}

/** The heuristic a reference names: its row id (`12`), its heading's `H-12`, or its lore id. */
export function heuristicByReference(db: Database.Database, reference: string): HeuristicStanding | undefined {
  const rowId = /^(?:H-)?([1-9]\d{0,15})$/i.exec(reference.trim())?.[1];
  const row = (
    rowId !== undefined
      ? prepared(db, `SELECT ${STANDING_COLUMNS} FROM heuristics WHERE id = ?`).get(Number(rowId))
      : prepared(db, `SELECT ${STANDING_COLUMNS} FROM heuristics WHERE lore_id = ? ORDER BY id LIMIT 1`).get(
          reference.trim(),
        )
  ) as StandingRow | undefined;
  return row && standingOf(row);
}

/** The heuristic an event names: by lore id, else by domain and rule (the first such row). */
export function heuristicOfEvent(db: Database.Database, key: HeuristicKey): HeuristicStanding | undefined {
  const row = (
    key.loreId !== null
      ? prepared(db, `SELECT ${STANDING_COLUMNS} FROM heuristics WHERE lore_id = ? ORDER BY id LIMIT 1`).get(key.loreId)
      : prepared(
          db,
          `SELECT ${STANDING_COLUMNS} FROM heuristics WHERE domain = ? AND rule = ? AND lore_id IS NULL ORDER BY id LIMIT 1`,
        ).get(key.domain, key.rule)
  ) as StandingRow | undefined;
  return row && standingOf(row);
}

/** The standings of the heuristics `condition` (an SQL condition on `heuristics`, then its ORDER BY) selects. */
export function heuristicStandings(
  db: Database.Database,
  condition: string,
  ...values: Array<string | number>
): HeuristicStanding[] {
  return (prepared(db, `SELECT ${STANDING_COLUMNS} FROM heuristics ${condition}`).all(...values) as StandingRow[]).map(
    standingOf,
  );
}

export function feedbackApplied(db: Database.Database, id: string): boolean {
  return prepared(db, "SELECT 1 FROM lore_feedback_applied WHERE id = ?").get(id) !== undefined;
}

/** ELF's metrics row of an event (elf-loop.md §4.6): type, name, value, tags, context. */
function metricsOf(row: HeuristicStanding, event: FeedbackEvent): [string, string, number, string, string] | undefined {
  const heuristicTag = `heuristic_id:${row.id}`;
  switch (event.kind) {
    case "validated":
      return ["heuristic_validated", "validation", 1, heuristicTag, "success"];
    case "violated":
      return ["heuristic_violated", "violation", 1, heuristicTag, "failure"];
    case "promoted":
      return ["golden_rule_promotion", "promotion", row.id, `domain:${row.key.domain}`, row.key.rule.slice(0, 100)];
    case "demoted":
      return ["golden_rule_demotion", "demotion", row.id, `domain:${row.key.domain}`, row.key.rule.slice(0, 100)];
    case "adjusted":
      return undefined;
  }
}

/** Applies `event` to `row` (see the header); returns the row's new standing. Inside a write transaction. */
export function applyFeedbackEvent(
  db: Database.Database,
  row: HeuristicStanding,
  event: FeedbackEvent,
): HeuristicStanding {
  const after = { ...row, ...standingAfter(row, event) };
  prepared(
    db,
    `UPDATE heuristics SET times_validated = ?, times_violated = ?, confidence = ?, is_golden = ?,
       updated_at = CURRENT_TIMESTAMP WHERE id = ?`,
  ).run(after.timesValidated, after.timesViolated, after.confidence, after.isGolden ? 1 : 0, row.id);
  const metrics = metricsOf(row, event);
  if (metrics) {
    prepared(
      db,
      "INSERT INTO metrics(metric_type, metric_name, metric_value, tags, context) VALUES (?, ?, ?, ?, ?)",
    ).run(...metrics);
  }
  prepared(db, "INSERT OR IGNORE INTO lore_feedback_applied(id) VALUES (?)").run(event.id);
  noteFeedbackBase(db, after);
  return after;
}

/**
 * Notes `standing` as what lore last left the row at, if the row is there
 * (a row taken out since it was read gets no base), and clears the row's
 * mark if the row stands there (a change made since it was read stays marked).
 */
export function noteFeedbackBase(db: Database.Database, standing: HeuristicStanding): void {
  prepared(
    db,
    `INSERT OR REPLACE INTO lore_feedback_base(heuristic_id, times_validated, times_violated, confidence, is_golden)
     SELECT @id, @validated, @violated, @confidence, @golden WHERE EXISTS (SELECT 1 FROM heuristics WHERE id = @id)`,
  ).run({
    id: standing.id,
    validated: standing.timesValidated,
    violated: standing.timesViolated,
    confidence: standing.confidence,
    golden: standing.isGolden ? 1 : 0,
  });
  prepared(
    db,
    `DELETE FROM lore_feedback_touched WHERE heuristic_id = @id AND NOT EXISTS (SELECT 1 FROM heuristics h
       JOIN lore_feedback_base b ON b.heuristic_id = h.id WHERE h.id = @id AND ${OFF_ITS_BASE})`,
  ).run({ id: standing.id });
}
