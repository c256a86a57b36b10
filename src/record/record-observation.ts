/**
 * An observation record: `draftObservation(layout, input, now)` turns
 * validated input (inputs.ts resolveObservationInput) into a RecordDraft for
 * persistRecord (txn/record-transaction.ts), as draftFailure does a failure:
 * a file of its own, `memory/successes/obs_<YYYYMMDD>_<slug>.md` (local
 * date; `-2`, `-3`, ... when the name is taken, so call it inside a journal
 * session: the name is unique only while the journal lock is held), in ELF's
 * pattern format (journal/observation-markdown.ts), and its `learnings` row
 * of type `observation`, whose summary is the whole summary as a failure's
 * is (journal/summary-column.ts). The commit message is
 * `observation: <title>` with a `Domain:` line. Throws nothing of its own.
 */
import { randomUuid } from "../base/random.js";
import { makeDirectory } from "../io/file-system.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { OBSERVATION_TYPE, renderObservation } from "../journal/observation-markdown.js";
import { summaryColumn } from "../journal/summary-column.js";
import type { RecordDraft } from "../txn/record-transaction.js";
import type { ObservationInput } from "./inputs.js";
import { localDate } from "./local-date.js";
import { newLearningFile } from "./record-failure.js";

export function draftObservation(layout: JournalLayout, input: ObservationInput, now: Date): RecordDraft {
  const date = localDate(now);
  makeDirectory(layout.successesDir, { recursive: true });
  const filepath = newLearningFile(layout, OBSERVATION_TYPE, date.compact, input.title);
  const loreId = randomUuid();
  return {
    kind: "observation",
    table: "learnings",
    loreId,
    target: journalAbsolutePath(layout, filepath),
    previous: undefined,
    row: {
      type: OBSERVATION_TYPE,
      filepath,
      title: input.title,
      summary: summaryColumn(input.summary),
      tags: input.tags,
      domain: input.domain,
      severity: input.severity,
    },
    render: () => renderObservation({ ...input, loreId, date: date.iso }),
    commitMessage: `observation: ${input.title}\n\nDomain: ${input.domain}`,
  };
}
