/**
 * An observation record: `draftObservation(layout, input, now)` turns
 * validated input (inputs.ts resolveObservationInput) into a RecordDraft for
 * persistRecord (txn/record-transaction.ts), as draftFailure does a failure
 * (learning-draft.ts: call it inside a journal session): a file of its own,
 * `memory/successes/obs_<YYYYMMDD>_<slug>.md`, in ELF's pattern format
 * (journal/observation-markdown.ts), and its `learnings` row of type
 * `observation`. The commit message is `observation: <title>` with a
 * `Domain:` line. Throws nothing of its own.
 */
import type { JournalLayout } from "../journal/layout.js";
import { renderObservation } from "../journal/observation-markdown.js";
import type { RecordDraft } from "../txn/record-transaction.js";
import type { ObservationInput } from "./inputs.js";
import { draftLearning } from "./learning-draft.js";

export function draftObservation(layout: JournalLayout, input: ObservationInput, now: Date): RecordDraft {
  return draftLearning(layout, "observation", input, now, renderObservation);
}
