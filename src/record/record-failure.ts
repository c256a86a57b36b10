/**
 * A failure record: `draftFailure(layout, input, now)` turns validated input
 * into a RecordDraft for persistRecord (txn/record-transaction.ts): a file of
 * its own, `memory/failures/YYYYMMDD_<slug>.md`, and its `learnings` row
 * (learning-draft.ts, which the observation's draft shares: call it inside a
 * journal session), under a new lore id or the one given (as
 * record-heuristic.ts), its name none of the `claimed` targets. Throws
 * nothing of its own.
 */
import { renderFailure } from "../journal/failure-markdown.js";
import type { JournalLayout } from "../journal/layout.js";
import type { DraftOptions, RecordDraft } from "../txn/record-transaction.js";
import type { FailureInput } from "./inputs.js";
import { draftLearning } from "./learning-draft.js";

export function draftFailure(
  layout: JournalLayout,
  input: FailureInput,
  now: Date,
  options: DraftOptions = {},
): RecordDraft {
  return draftLearning(layout, "failure", input, now, renderFailure, options);
}
