/**
 * A failure record: `draftFailure(layout, input, now)` turns validated input
 * into a RecordDraft for persistRecord (txn/record-transaction.ts). Call it
 * inside a journal session: the file name it picks (`YYYYMMDD_<slug>.md`,
 * local date; `newLearningFile`, which the observation's draft shares) is
 * unique only while the journal lock is held. The same title
 * on the same day gets `-2`, `-3`, ... instead of overwriting, as ELF did.
 * The row's summary is the whole summary as ELF stores it, line breaks turned
 * into spaces (journal/summary-column.ts).
 */
import fs from "node:fs";
import { randomUuid } from "../base/random.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { renderFailure } from "../journal/failure-markdown.js";
import { firstFreeFile, learningFileStem, type LearningType } from "../journal/learning-file-names.js";
import { summaryColumn } from "../journal/summary-column.js";
import type { FailureInput } from "./inputs.js";
import type { RecordDraft } from "../txn/record-transaction.js";
import { localDate } from "./local-date.js";
import { makeDirectory } from "../io/file-system.js";

/** A new file of its own for a failure or an observation: the first free name of its stem (learning-file-names.ts). */
export function newLearningFile(layout: JournalLayout, type: LearningType, compactDate: string, title: string): string {
  return firstFreeFile(learningFileStem(type, compactDate, title), (relative) =>
    fs.existsSync(journalAbsolutePath(layout, relative)),
  );
}

export function draftFailure(layout: JournalLayout, input: FailureInput, now: Date): RecordDraft {
  const date = localDate(now);
  makeDirectory(layout.failuresDir, { recursive: true });
  const filepath = newLearningFile(layout, "failure", date.compact, input.title);
  const loreId = randomUuid();
  return {
    kind: "failure",
    table: "learnings",
    loreId,
    target: journalAbsolutePath(layout, filepath),
    previous: undefined,
    row: {
      type: "failure",
      filepath,
      title: input.title,
      summary: summaryColumn(input.summary),
      tags: input.tags,
      domain: input.domain,
      severity: input.severity,
    },
    render: () => renderFailure({ ...input, loreId, date: date.iso }),
    commitMessage: `failure: ${input.title}\n\nDomain: ${input.domain}`,
  };
}
