/**
 * The journal's feedback events: each validation, violation, promotion and
 * demotion of a heuristic, one JSON line in `memory/feedback/<YYYY-MM>.jsonl`
 * (the month of the event, UTC), committed to git with the change it made.
 *
 *   const event = feedbackEvent("validated", heuristic, now);
 *   const text = appendFeedbackLine(previousText, event);     // the file's new text
 *   const events = parseFeedbackFile(text, relativePath);    // FeedbackFileError on a bad line
 *   const after = standingAfter(before, event);              // ELF's update (elf-loop.md §4.5)
 *
 * What the database holds only as counters (`times_validated`,
 * `times_violated`, `confidence`, `is_golden`) the journal holds as events,
 * so a lost or rebuilt `index.db`, or a fresh clone, gets every count and
 * golden flag back: a heuristic's standing is its record's (the confidence
 * its block was written with, no validations, not golden) with its events
 * applied in order of time (`at`, then `id`). The files only grow by whole
 * lines at their end, and `.gitattributes` gives them git's union merge
 * (UNION_MERGE_ENTRIES), so two clones that both added events to one month's
 * file merge without a conflict, each event once (its `id` is unique).
 *
 * The update (elf-loop.md §4.5 step 3, as ELF's post-tool hook makes it):
 *   validated: times_validated + 1, confidence = min(1, confidence + 0.01)
 *   violated:  times_violated + 1,  confidence = max(0, confidence - 0.02)
 *   promoted / demoted: is_golden = 1 / 0
 *   adjusted:  what another tool changed in the database alone (ELF's hooks
 *              or dashboard), folded in by `lore sync`: the differences of
 *              the counters and of the confidence, and the golden flag
 * in JavaScript numbers, the same IEEE doubles as SQLite's REAL, so that the
 * database's `confidence + 0.01` and the fold give the same value.
 *
 * A line names its heuristic by lore id, and also by domain and rule: a
 * heuristic ELF wrote has no lore id, and its row id differs between clones.
 */
import { LoreError, ExitCode } from "../base/errors.js";

export const FEEDBACK_DIR = "memory/feedback";

/** ELF's steps (elf-loop.md §4.5). */
export const VALIDATION_STEP = 0.01;
export const VIOLATION_STEP = 0.02;

export type FeedbackKind = "validated" | "violated" | "promoted" | "demoted" | "adjusted";
const KINDS: readonly FeedbackKind[] = ["validated", "violated", "promoted", "demoted", "adjusted"];

/** How an event names its heuristic. */
export interface HeuristicKey {
  loreId: string | null;
  domain: string;
  rule: string;
}

export interface FeedbackEvent {
  /** When, UTC, ISO 8601 with milliseconds. */
  at: string;
  /** A random UUID: the event's identity across clones. */
  id: string;
  kind: FeedbackKind;
  heuristic: HeuristicKey;
  /** `adjusted` only: what changed. */
  validated?: number;
  violated?: number;
  confidence?: number;
  golden?: boolean;
}

/** A heuristic's standing: the database's counters and golden flag. */
export interface Standing {
  timesValidated: number;
  timesViolated: number;
  confidence: number;
  isGolden: boolean;
}

export class FeedbackFileError extends LoreError {
  readonly exitCode = ExitCode.Damaged;
}

/** The file (relative to the journal) that holds an event made at `at`. */
export function feedbackFileOf(at: string): string {
  return `${FEEDBACK_DIR}/${at.slice(0, 7)}.jsonl`;
}

export function feedbackEvent(
  kind: FeedbackKind,
  heuristic: HeuristicKey,
  id: string,
  now: Date,
  adjustment: Pick<FeedbackEvent, "validated" | "violated" | "confidence" | "golden"> = {},
): FeedbackEvent {
  return { at: now.toISOString(), id, kind, heuristic, ...adjustment };
}

/** One event as its line: keys in a fixed order, the heuristic's lore id, domain and rule inline. */
export function feedbackLine(event: FeedbackEvent): string {
  const { heuristic } = event;
  return JSON.stringify({
    at: event.at,
    id: event.id,
    event: event.kind,
    heuristic: heuristic.loreId,
    domain: heuristic.domain,
    rule: heuristic.rule,
    ...(event.validated !== undefined ? { validated: event.validated } : {}),
    ...(event.violated !== undefined ? { violated: event.violated } : {}),
    ...(event.confidence !== undefined ? { confidence: event.confidence } : {}),
    ...(event.golden !== undefined ? { golden: event.golden } : {}),
  });
}

/** The file's text with `events` added at its end (a missing final newline is added first). */
export function appendFeedbackLines(previous: string | undefined, events: FeedbackEvent[]): string {
  const before = previous === undefined || previous === "" ? "" : previous.replace(/\n?$/, "\n");
  return `${before}${events.map((event) => `${feedbackLine(event)}\n`).join("")}`;
}

function fail(file: string, line: number, rule: string): never {
  throw new FeedbackFileError(`${file}:${line}: ${rule}`);
}

function finiteOrAbsent(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === "number" && Number.isFinite(value));
}

/** The events of a feedback file, in file order; FeedbackFileError (exit 4) naming the line that is not one. */
export function parseFeedbackFile(text: string, file: string): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      fail(file, index + 1, "is not a JSON object");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(file, index + 1, "is not an object");
    const { at, id, event, heuristic, domain, rule } = value;
    if (typeof at !== "string" || Number.isNaN(Date.parse(at))) fail(file, index + 1, "at: must be an ISO time");
    if (typeof id !== "string" || id === "") fail(file, index + 1, "id: must be a non-empty string");
    if (!KINDS.includes(event as FeedbackKind)) fail(file, index + 1, `event: must be one of ${KINDS.join(", ")}`);
    if (heuristic !== null && typeof heuristic !== "string")
      fail(file, index + 1, "heuristic: must be a lore id or null");
    if (typeof domain !== "string" || typeof rule !== "string") {
      fail(file, index + 1, "domain and rule: must be strings");
    }
    if (!finiteOrAbsent(value.validated) || !finiteOrAbsent(value.violated) || !finiteOrAbsent(value.confidence)) {
      fail(file, index + 1, "validated, violated and confidence: must be numbers");
    }
    if (value.golden !== undefined && typeof value.golden !== "boolean") {
      fail(file, index + 1, "golden: must be true or false");
    }
    events.push({
      at,
      id,
      kind: event as FeedbackKind,
      heuristic: { loreId: heuristic, domain, rule },
      ...(value.validated !== undefined ? { validated: value.validated as number } : {}),
      ...(value.violated !== undefined ? { violated: value.violated as number } : {}),
      ...(value.confidence !== undefined ? { confidence: value.confidence as number } : {}),
      ...(value.golden !== undefined ? { golden: value.golden as boolean } : {}),
    });
  });
  return events;
}

/** Events in the order they apply: by time, then by id. */
export function inFeedbackOrder(events: FeedbackEvent[]): FeedbackEvent[] {
  return [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const clamp = (confidence: number) => Math.min(1, Math.max(0, confidence));

/** The standing after `event` (see the header). */
export function standingAfter(before: Standing, event: FeedbackEvent): Standing {
  switch (event.kind) {
    case "validated":
      return {
        ...before,
        timesValidated: before.timesValidated + 1,
        confidence: Math.min(1, before.confidence + VALIDATION_STEP),
      };
    case "violated":
      return {
        ...before,
        timesViolated: before.timesViolated + 1,
        confidence: Math.max(0, before.confidence - VIOLATION_STEP),
      };
    case "promoted":
      return { ...before, isGolden: true };
    case "demoted":
      return { ...before, isGolden: false };
    case "adjusted":
      return {
        timesValidated: before.timesValidated + (event.validated ?? 0),
        timesViolated: before.timesViolated + (event.violated ?? 0),
        confidence: clamp(before.confidence + (event.confidence ?? 0)),
        isGolden: event.golden ?? before.isGolden,
      };
  }
}
