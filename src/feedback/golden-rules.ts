/**
 * Golden rules: which heuristics are golden, which qualify, and a promotion
 * or demotion as one journal transaction of its own.
 *
 *   const { golden, candidates } = goldenStandings(db);         // reads only
 *   const change = await changeGolden(session, "promoted", "H-12", now);
 *   const changes = await promoteCandidates(session, now);      // `lore golden --auto`
 *
 * ELF's criteria (elf-loop.md §4.5 step 4): confidence at least 0.9, at least
 * 10 validations, and no violation or more than 10 validations per violation.
 * ELF divides in SQLite's integers (`times_validated / times_violated > 10`,
 * so in effect 11 validations per violation); lore divides exactly, as the
 * rule reads: 21 validations and 2 violations qualify in lore, not in ELF.
 * A confidence is compared with 0.9 less 1e-9: 40 steps of +0.01 from 0.5 in
 * floating point land a hair below 0.9, which ELF's own test would miss.
 *
 * A change (`changeGolden`), inside the journal lock, in writeRowsAndFiles
 * (txn/files-transaction.ts): the heuristic is resolved (InvalidFieldError,
 * exit 2, for an id naming none, before anything is written); one already as
 * asked is left alone (`changed: false`, nothing written). Otherwise its
 * `promoted` or `demoted` event is applied with ELF's metrics row
 * (db/feedback-rows.ts) and added to the month's feedback file, and
 * `memory/golden-rules.md` gets the rule (journal/golden-rules-file.ts:
 * format B, which record-violation.sh reads, lore's id comment in it) or
 * loses it (only a rule lore wrote; one ELF or a person wrote stays, and
 * the change says so). Then COMMIT and a git commit of its own, `golden:
 * <rule>` or `golden: demote <rule>`, so every promotion is a change to
 * review in history. `promoteCandidates` makes one such change per candidate.
 * A heuristic ELF wrote has no lore id: its rule in golden-rules.md carries
 * an id made from its domain and rule (the same in every clone).
 */
import { InvalidFieldError, quoted } from "../base/errors.js";
import { randomUuid } from "../base/random.js";
import {
  applyFeedbackEvent,
  heuristicByReference,
  type HeuristicStanding,
  heuristicStandings,
} from "../db/feedback-rows.js";
import { prepared } from "../db/prepared.js";
import { readFileIfPresent } from "../io/durable-file.js";
import { feedbackEvent, type HeuristicKey } from "../journal/feedback-events.js";
import { withGoldenRule, withoutGoldenRule } from "../journal/golden-rules-file.js";
import { hexHash } from "../journal/record-fingerprint.js";
import { journalRelativePath } from "../journal/layout.js";
import { localDate } from "../record/local-date.js";
import { writeRowsAndFiles } from "../txn/files-transaction.js";
import type { JournalSession } from "../txn/session.js";
import type Database from "better-sqlite3";
import { feedbackFiles } from "./record-feedback.js";

export const GOLDEN_CRITERIA = { confidence: 0.9, validations: 10, validationsPerViolation: 10 } as const;
const CONFIDENCE_SLACK = 1e-9;

export function qualifiesAsGolden(standing: HeuristicStanding): boolean {
  const { timesValidated, timesViolated, confidence } = standing;
  return (
    confidence >= GOLDEN_CRITERIA.confidence - CONFIDENCE_SLACK &&
    timesValidated >= GOLDEN_CRITERIA.validations &&
    (timesViolated === 0 || timesValidated / timesViolated > GOLDEN_CRITERIA.validationsPerViolation)
  );
}

/** The golden heuristics, and those that qualify and are not golden; each by confidence, then validations. */
export function goldenStandings(db: Database.Database): {
  golden: HeuristicStanding[];
  candidates: HeuristicStanding[];
} {
  const order = "ORDER BY confidence DESC, times_validated DESC, id";
  const golden = heuristicStandings(db, `WHERE is_golden = 1 ${order}`);
  const candidates = heuristicStandings(
    db,
    `WHERE ifnull(is_golden, 0) != 1 AND confidence >= ? AND times_validated >= ? ${order}`,
    GOLDEN_CRITERIA.confidence - CONFIDENCE_SLACK,
    GOLDEN_CRITERIA.validations,
  ).filter(qualifiesAsGolden);
  return { golden, candidates };
}

export type GoldenVerdict = "promoted" | "demoted";

export interface GoldenChange {
  verdict: GoldenVerdict;
  heuristic: HeuristicStanding;
  /** False when the heuristic already was as asked: nothing was written. */
  changed: boolean;
  /** Whether golden-rules.md changed: a demoted rule lore did not write stays in it. */
  rulesFileChanged: boolean;
  commit: string | null;
  commitError?: Error;
}

/** The id of a heuristic's rule in golden-rules.md: its lore id, else one made from its domain and rule. */
export function goldenRuleId(key: HeuristicKey): string {
  if (key.loreId !== null) return key.loreId;
  const hex = hexHash(`${key.domain}\n${key.rule}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function rulesFileText(session: JournalSession, row: HeuristicStanding, verdict: GoldenVerdict, now: Date) {
  const previous = readFileIfPresent(session.layout.goldenRulesFile);
  if (verdict === "demoted")
    return previous === undefined ? undefined : withoutGoldenRule(previous, goldenRuleId(row.key));
  const explanation = prepared(session.db.sqlite, "SELECT explanation FROM heuristics WHERE id = ?")
    .pluck()
    .get(row.id) as string | null;
  return withGoldenRule(previous, {
    loreId: goldenRuleId(row.key),
    title: row.key.rule,
    statement: row.key.rule,
    why: explanation ?? "",
    promoted: localDate(now).iso,
    validations: row.timesValidated,
    // Shown as a person reads it: 0.95, not the 0.9500000000000001 of ten steps of 0.01.
    confidence: Number(row.confidence.toFixed(4)),
    domain: row.key.domain,
  });
}

export async function changeGolden(
  session: JournalSession,
  verdict: GoldenVerdict,
  reference: string,
  now: Date,
): Promise<GoldenChange> {
  let change: Omit<GoldenChange, "commit"> | undefined;
  const resolve = () => {
    const row = heuristicByReference(session.db.sqlite, reference);
    if (!row) {
      throw new InvalidFieldError("ID", `${quoted(reference)} names no heuristic (a row id, H-<id> or lore id)`);
    }
    return row;
  };
  // Looked at first under the lock: a heuristic already as asked needs no transaction, and no commit.
  const current = resolve();
  if (current.isGolden === (verdict === "promoted")) {
    return { verdict, heuristic: current, changed: false, rulesFileChanged: false, commit: null };
  }
  const written = await writeRowsAndFiles(session, () => {
    const row = resolve();
    const event = feedbackEvent(verdict, row.key, randomUuid(), now);
    const after = applyFeedbackEvent(session.db.sqlite, row, event);
    const files = feedbackFiles(session, [event], now);
    const rules = rulesFileText(session, verdict === "promoted" ? after : row, verdict, now);
    if (rules !== undefined) files.set(journalRelativePath(session.layout, session.layout.goldenRulesFile), rules);
    change = { verdict, heuristic: after, changed: true, rulesFileChanged: rules !== undefined };
    const subject = verdict === "promoted" ? `golden: ${row.key.rule}` : `golden: demote ${row.key.rule}`;
    const body =
      `H-${row.id} [${row.key.domain}], confidence ${Number(row.confidence.toFixed(4))}, ` +
      `validated ${row.timesValidated}x, violated ${row.timesViolated}x`;
    return { files, message: `${subject}\n\n${body}` };
  });
  return {
    ...(change as Omit<GoldenChange, "commit">),
    commit: written.commit,
    ...(written.commitError ? { commitError: written.commitError } : {}),
  };
}

/** `lore golden --auto`: every candidate promoted, each in its own transaction and commit, best first. */
export async function promoteCandidates(session: JournalSession, now: Date): Promise<GoldenChange[]> {
  const changes: GoldenChange[] = [];
  for (const candidate of goldenStandings(session.db.sqlite).candidates) {
    changes.push(await changeGolden(session, "promoted", String(candidate.id), now));
  }
  return changes;
}
