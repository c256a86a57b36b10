/**
 * `lore validate` and `lore violate`: ELF's update of a heuristic's standing
 * after a task that succeeded or failed, as one journal transaction.
 *
 *   const request = feedbackRequest("validated", ["H-12"]);   // InvalidFieldError (ID) when none is named
 *   const result = await recordFeedback(session, request, new Date());
 *   // result.heuristics: each heuristic's new standing; result.commit / result.commitError
 *
 * Inside the journal lock, in txn/files-transaction.ts's writeRowsAndFiles
 * (the one transaction every writer of rows and files goes through):
 *   1. each reference is resolved (a row id, `H-<id>` or a lore id; the same
 *      heuristic named twice counts once): one naming no heuristic is
 *      InvalidFieldError (exit 2, `ID: "..." names no heuristic ...`), thrown
 *      before anything is written;
 *   2. for each heuristic, an event (journal/feedback-events.ts) is applied to
 *      its row with ELF's `metrics` row (db/feedback-rows.ts);
 *   3. the events are added to the month's feedback file, and the
 *      `.gitattributes` entries that give feedback files git's union merge
 *      are added where missing, both written durably with an intent;
 *   4. COMMIT, then one git commit of those files (`validate: <rule>`,
 *      `violate: <rule>`): the journal holds every acknowledged validation, so a
 *      rebuilt database or a fresh clone counts it too (sync applies events
 *      it has not applied, once each).
 * Errors and a kill at any point are writeRowsAndFiles's: before COMMIT
 * nothing stays; after it, a failed git commit is `commitError` (exit 5) and
 * the next lore command commits the files.
 */
import { InvalidFieldError, quoted } from "../base/errors.js";
import { randomUuid } from "../base/random.js";
import { applyFeedbackEvent, heuristicByReference, type HeuristicStanding } from "../db/feedback-rows.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { appendFeedbackLines, type FeedbackEvent, feedbackEvent, feedbackFileOf } from "../journal/feedback-events.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { GITATTRIBUTES, withUnionMerge } from "../journal/union-merge.js";
import { writeRowsAndFiles } from "../txn/files-transaction.js";
import type { JournalSession } from "../txn/session.js";

export type FeedbackVerdict = "validated" | "violated";

export interface FeedbackRequest {
  kind: FeedbackVerdict;
  /** Row ids, `H-<id>`s or lore ids. */
  references: string[];
}

export interface FeedbackResult {
  /** Each heuristic's standing after the change, in the order first named. */
  heuristics: HeuristicStanding[];
  events: FeedbackEvent[];
  commit: string | null;
  commitError?: Error;
}

/** The request of `lore validate` or `lore violate` with these references; InvalidFieldError (`ID`) when there is none. */
export function feedbackRequest(kind: FeedbackVerdict, references: string[]): FeedbackRequest {
  if (references.length === 0)
    throw new InvalidFieldError("ID", "name at least one heuristic (a row id, H-<id> or lore id)");
  return { kind, references };
}

/** The heuristics `references` name, each once, in the order first named; InvalidFieldError for one naming none. */
function heuristicsNamed(session: JournalSession, references: string[]): HeuristicStanding[] {
  const found = new Map<number, HeuristicStanding>();
  for (const reference of references) {
    const row = heuristicByReference(session.db.sqlite, reference);
    if (!row) {
      throw new InvalidFieldError(
        "ID",
        `${quoted(reference)} names no heuristic (a row id, H-<id> or lore id of one in ${session.layout.dbFile})`,
      );
    }
    if (!found.has(row.id)) found.set(row.id, row);
  }
  return [...found.values()];
}

/** The files to write: the month's feedback file with `events` added, and `.gitattributes` where it lacks an entry. */
export function feedbackFiles(session: JournalSession, events: FeedbackEvent[], now: Date): Map<string, string> {
  const files = new Map<string, string>();
  const feedbackFile = feedbackFileOf(now.toISOString());
  const previous = readFileIfPresent(journalAbsolutePath(session.layout, feedbackFile));
  files.set(feedbackFile, appendFeedbackLines(previous, events));
  const attributes = withUnionMerge(readFileIfPresent(journalAbsolutePath(session.layout, GITATTRIBUTES)) ?? "");
  if (attributes !== undefined) files.set(GITATTRIBUTES, attributes);
  return files;
}

/** The commit message of events: the subject names the rule, or the count. */
export function feedbackMessage(verb: string, heuristics: HeuristicStanding[]): string {
  const subject =
    heuristics.length === 1 ? `${verb}: ${heuristics[0].key.rule}` : `${verb}: ${heuristics.length} heuristics`;
  const body = heuristics.map((row) => `- H-${row.id} [${row.key.domain}] ${row.key.rule}`).join("\n");
  return `${subject}\n\n${body}`;
}

export async function recordFeedback(
  session: JournalSession,
  request: FeedbackRequest,
  now: Date,
): Promise<FeedbackResult> {
  let heuristics: HeuristicStanding[] = [];
  let events: FeedbackEvent[] = [];
  const written = await writeRowsAndFiles(session, () => {
    const named = heuristicsNamed(session, request.references);
    events = named.map((row) => feedbackEvent(request.kind, row.key, randomUuid(), now));
    heuristics = named.map((row, index) => applyFeedbackEvent(session.db.sqlite, row, events[index]));
    return {
      files: feedbackFiles(session, events, now),
      message: feedbackMessage(request.kind === "validated" ? "validate" : "violate", heuristics),
    };
  });
  return {
    heuristics,
    events,
    commit: written.commit,
    ...(written.commitError ? { commitError: written.commitError } : {}),
  };
}
