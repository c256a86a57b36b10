/**
 * sync's findings about feedback events (feedback/feedback-journal.ts): the
 * counters another tool changed in the database alone, to record in the
 * journal, and the journal's events the database has not applied.
 *
 *   const findings = feedbackFindings(db, layout, now);   // [] when all agree
 *
 * `feedback-db-only`: heuristics whose counters, confidence or golden flag
 * differ from what lore last left them at (ELF's post-tool hook, its
 * dashboard); the fix (`record-feedback`) adds an `adjusted` event for each
 * to the month's feedback file, committed with the fix's other write-backs,
 * so that the change is never reverted and survives a rebuild.
 * `feedback-unapplied`: events the journal holds that this database lacks (a
 * pull brought them, or the database was rebuilt without the old one); the
 * fix (`apply-feedback`) applies each once, after the first finding's fix.
 * Events whose heuristic has no row stay unapplied, and are reported again.
 * Reads only; a feedback file lore cannot read is FeedbackFileError (exit 4).
 */
import type Database from "better-sqlite3";
import { databaseOnlyChanges, journalFeedback, unappliedFeedback } from "../feedback/feedback-journal.js";
import type { JournalLayout } from "../journal/layout.js";
import { FEEDBACK_DIR } from "../journal/feedback-events.js";
import type { Finding } from "./match.js";

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function feedbackFindings(db: Database.Database, layout: JournalLayout, now: Date): Finding[] {
  const findings: Finding[] = [];
  const changes = databaseOnlyChanges(db, now);
  const recorded = changes.filter((change) => change.event !== undefined);
  if (changes.length > 0) {
    const named = recorded
      .slice(0, 3)
      .map(({ row }) => `H-${row.id}`)
      .join(", ");
    findings.push({
      type: "feedback-db-only",
      path: "memory/index.db",
      detail:
        recorded.length > 0
          ? `${counted(recorded.length, "heuristic's standing was", "heuristics' standings were")} changed in the database alone (${named}${recorded.length > 3 ? ", ..." : ""})`
          : `${counted(changes.length, "heuristic has", "heuristics have")} no feedback base`,
      action: { kind: "record-feedback", changes },
    });
  }
  const waiting = unappliedFeedback(db, journalFeedback(layout));
  if (waiting.length > 0) {
    findings.push({
      type: "feedback-unapplied",
      path: FEEDBACK_DIR,
      detail: `${counted(waiting.length, "feedback event is", "feedback events are")} not applied to the database`,
      action: { kind: "apply-feedback", events: waiting },
    });
  }
  return findings;
}
