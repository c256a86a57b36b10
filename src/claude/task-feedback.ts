/**
 * What lore learns from a sub-agent's task when it ends: the verdict on the
 * heuristics its prompt was given, golden rules, and the lessons its output
 * wrote, as ELF's post-tool hook did (elf-loop §4.5), each written as lore's
 * own commands write it. Runs inside a journal session (under the lock).
 *
 *   const feedback = await recordTaskFeedback(session, { payload, note }, now);
 *   await awaitHandedOff(layout, options, [...feedback.recorded, ...feedback.observed]);
 *
 * In this order:
 *   1. The verdict: classifyTaskOutcome(taskOutputText(payload))
 *      (task-outcome.ts). success: each heuristic of the call's note
 *      (task-notes.ts) is validated, as `lore validate` does it; failure:
 *      violated, as `lore violate`; unknown: nothing. A note's id that names
 *      no heuristic any more (deleted, or the database rebuilt without it) is
 *      skipped, not an error; with no note there is nothing to judge.
 *   2. Golden rules: every heuristic that qualifies is promoted, as `lore
 *      golden --auto` does it (ELF, too, checked after every task).
 *   3. Lessons, only on success (as ELF): each `[LEARNED:<domain>] ...` line
 *      (task-outcome.ts learnedLines). A heuristic is recorded as `lore
 *      record-heuristic` records it (the same input rules, draft and journal
 *      transaction), with ELF's values: the domain of the line's hint, else
 *      the first the briefing found in the task, else `general`; explanation
 *      `Auto-extracted from task output`; source `auto`; confidence 0.5.
 *      An observation (a lesson without a rule's words) is recorded as an
 *      observation record (record/record-observation.ts: its own file in
 *      `memory/successes/`, its `learnings` row, the same journal
 *      transaction), where ELF inserted a row pointing at a file it never
 *      wrote: title the text's first 100 characters (ELF's), summary the
 *      whole text, the domain as a heuristic's, tags `pattern,auto` (ELF's
 *      pattern tag; `auto` as a heuristic's source), severity 1 (ELF's
 *      pattern). A lesson its domain already has (a heuristic's exact rule,
 *      an observation's exact text) is not recorded again (`known`,
 *      `knownObservations`): ELF recorded a lesson as often as tasks wrote
 *      it. A line whose lesson breaks a field rule (a rule over 500
 *      characters, a hint with no letter or digit) is `rejected` with the
 *      rule's message, the others are recorded all the same.
 *
 * Each write is its own journal transaction and git commit, as the command
 * makes it. Errors: what those throw (DatabaseBehindError, DamagedFileError,
 * LockLostError, ...) is thrown, and what was written before it stands; a
 * failed git commit is not thrown but listed in `commitErrors` (the next lore
 * command commits it), and a lesson's commit handed off to a writer queued
 * behind is the caller's to await (`handedOff` of `recorded[]` and
 * `observed[]`).
 */
import { InvalidFieldError, messageFor } from "../base/errors.js";
import type { HeuristicStanding } from "../db/feedback-rows.js";
import { heuristicByReference } from "../db/feedback-rows.js";
import { prepared } from "../db/prepared.js";
import { promoteCandidates } from "../feedback/golden-rules.js";
import { recordFeedback } from "../feedback/record-feedback.js";
import { summaryColumn } from "../journal/summary-column.js";
import { resolveHeuristicInput, resolveObservationInput } from "../record/inputs.js";
import { draftHeuristic } from "../record/record-heuristic.js";
import { draftObservation } from "../record/record-observation.js";
import { type PersistedRecord, persistRecord, type RecordDraft } from "../txn/record-transaction.js";
import type { JournalSession } from "../txn/session.js";
import type { JsonObject } from "./settings-file.js";
import {
  classifyTaskOutcome,
  type LearnedLine,
  learnedLines,
  type TaskOutcomeVerdict,
  taskOutputText,
} from "./task-outcome.js";
import type { TaskNote } from "./task-notes.js";

/** ELF's values for a heuristic a task's output taught (elf-loop §4.5 step 6). */
export const LEARNED_HEURISTIC = {
  explanation: "Auto-extracted from task output",
  source: "auto",
  confidence: "0.5",
  fallbackDomain: "general",
} as const;

/** The values of an observation a task's output taught: ELF's title length, the pattern's tag, and `auto`. */
export const LEARNED_OBSERVATION = {
  titleCharacters: 100,
  tags: "pattern,auto",
} as const;

export interface TaskFeedback {
  verdict: TaskOutcomeVerdict;
  /** The note's heuristics after their validation or violation; none for unknown. */
  judged: HeuristicStanding[];
  /** The note's ids that name no heuristic. */
  skipped: string[];
  /** The heuristics promoted to golden rules. */
  promoted: HeuristicStanding[];
  /** The lessons recorded as heuristics. */
  recorded: PersistedRecord[];
  /** The lessons recorded as observations. */
  observed: PersistedRecord[];
  /** Heuristic lessons whose domain already has the rule. */
  known: LearnedLine[];
  /** Observation lessons whose domain already has the text. */
  knownObservations: LearnedLine[];
  /** Lessons a field rule refused: the rule's message. */
  rejected: string[];
  commitErrors: Error[];
}

function hasRule(session: JournalSession, domain: string, rule: string): boolean {
  return (
    prepared(session.db.sqlite, "SELECT 1 FROM heuristics WHERE domain = ? AND rule = ? LIMIT 1").get(domain, rule) !==
    undefined
  );
}

function hasObservation(session: JournalSession, domain: string, summary: string): boolean {
  return (
    prepared(
      session.db.sqlite,
      "SELECT 1 FROM learnings WHERE type = 'observation' AND domain = ? AND summary = ? LIMIT 1",
    ).get(domain, summaryColumn(summary)) !== undefined
  );
}

/**
 * The draft of a lesson's record, or undefined when its domain has the lesson
 * already; throws InvalidFieldError for a lesson that breaks a field rule.
 */
function lessonDraft(session: JournalSession, lesson: LearnedLine, domain: string, now: Date): RecordDraft | undefined {
  if (lesson.kind === "observation") {
    const input = resolveObservationInput({
      title: [...lesson.text].slice(0, LEARNED_OBSERVATION.titleCharacters).join(""),
      domain,
      tags: LEARNED_OBSERVATION.tags,
      summary: lesson.text,
    });
    return hasObservation(session, input.domain, input.summary)
      ? undefined
      : draftObservation(session.layout, input, now);
  }
  const input = resolveHeuristicInput(
    {
      domain,
      rule: lesson.text,
      explanation: LEARNED_HEURISTIC.explanation,
      source: LEARNED_HEURISTIC.source,
      confidence: LEARNED_HEURISTIC.confidence,
    },
    {},
  );
  return hasRule(session, input.domain, input.rule) ? undefined : draftHeuristic(session.layout, input, now);
}

async function recordLessons(
  session: JournalSession,
  lessons: LearnedLine[],
  domains: readonly string[],
  now: Date,
  feedback: TaskFeedback,
): Promise<void> {
  for (const lesson of lessons) {
    const heuristic = lesson.kind === "heuristic";
    let draft: RecordDraft | undefined;
    try {
      draft = lessonDraft(session, lesson, lesson.domain ?? domains[0] ?? LEARNED_HEURISTIC.fallbackDomain, now);
    } catch (error) {
      if (!(error instanceof InvalidFieldError)) throw error;
      feedback.rejected.push(messageFor(error));
      continue;
    }
    if (draft === undefined) {
      (heuristic ? feedback.known : feedback.knownObservations).push(lesson);
      continue;
    }
    const record = await persistRecord(session, draft);
    (heuristic ? feedback.recorded : feedback.observed).push(record);
    if (record.commitError) feedback.commitErrors.push(record.commitError);
  }
}

export async function recordTaskFeedback(
  session: JournalSession,
  task: { payload: JsonObject; note: TaskNote | undefined },
  now: Date,
): Promise<TaskFeedback> {
  const text = taskOutputText(task.payload);
  const feedback: TaskFeedback = {
    verdict: classifyTaskOutcome(text),
    judged: [],
    skipped: [],
    promoted: [],
    recorded: [],
    observed: [],
    known: [],
    knownObservations: [],
    rejected: [],
    commitErrors: [],
  };
  const { outcome } = feedback.verdict;
  if (outcome !== "unknown" && task.note !== undefined) {
    const named = task.note.heuristics.filter((reference) => {
      const found = heuristicByReference(session.db.sqlite, reference) !== undefined;
      if (!found) feedback.skipped.push(reference);
      return found;
    });
    if (named.length > 0) {
      const result = await recordFeedback(
        session,
        { kind: outcome === "success" ? "validated" : "violated", references: named },
        now,
      );
      feedback.judged = result.heuristics;
      if (result.commitError) feedback.commitErrors.push(result.commitError);
    }
  }
  for (const change of await promoteCandidates(session, now)) {
    feedback.promoted.push(change.heuristic);
    if (change.commitError) feedback.commitErrors.push(change.commitError);
  }
  if (outcome === "success" && text !== undefined) {
    await recordLessons(session, learnedLines(text), task.note?.domains ?? [], now, feedback);
  }
  return feedback;
}
