/**
 * The draft of a learning that is a file of its own: a failure
 * (record-failure.ts) or an observation (record-observation.ts). Both make a
 * RecordDraft for persistRecord (txn/record-transaction.ts) the same way:
 *
 *   const draft = draftLearning(layout, "failure", input, now, renderFailure);
 *
 * A new file, the first free name of its stem (journal/learning-file-names.ts:
 * `YYYYMMDD_<slug>.md`, local date, or `-2`, `-3`, ... when the name is
 * taken, as ELF did, instead of overwriting, or claimed by a draft to be
 * written with it), so call it inside a journal session: the name is unique
 * only while the journal lock is held. Its
 * `learnings` row of the kind's type, whose summary is the whole summary as
 * ELF stores it, line breaks turned into spaces (journal/summary-column.ts).
 * The commit message is `<type>: <title>` with a `Domain:` line. Throws
 * nothing of its own (what making the directory throws).
 */
import fs from "node:fs";
import { randomUuid } from "../base/random.js";
import { makeDirectory } from "../io/file-system.js";
import type { FailureRecord } from "../journal/failure-markdown.js";
import { firstFreeFile, learningFileStem, type LearningType } from "../journal/learning-file-names.js";
import { journalAbsolutePath, type JournalLayout } from "../journal/layout.js";
import { summaryColumn } from "../journal/summary-column.js";
import type { DraftOptions, RecordDraft } from "../txn/record-transaction.js";
import type { FailureInput } from "./inputs.js";
import { localDate } from "./local-date.js";

/** A new file of its own for a failure or an observation: the first free name of its stem. */
function newLearningFile(
  layout: JournalLayout,
  type: LearningType,
  compactDate: string,
  title: string,
  claimed: ReadonlySet<string>,
): string {
  return firstFreeFile(learningFileStem(type, compactDate, title), (relative) => {
    const file = journalAbsolutePath(layout, relative);
    return claimed.has(file) || fs.existsSync(file);
  });
}

export function draftLearning(
  layout: JournalLayout,
  type: LearningType,
  input: FailureInput,
  now: Date,
  render: (record: FailureRecord) => string,
  { loreId = randomUuid(), claimed = new Set() }: DraftOptions = {},
): RecordDraft {
  const date = localDate(now);
  makeDirectory(type === "failure" ? layout.failuresDir : layout.successesDir, { recursive: true });
  const filepath = newLearningFile(layout, type, date.compact, input.title, claimed);
  return {
    kind: type,
    table: "learnings",
    loreId,
    target: journalAbsolutePath(layout, filepath),
    previous: undefined,
    row: {
      type,
      filepath,
      title: input.title,
      summary: summaryColumn(input.summary),
      tags: input.tags,
      domain: input.domain,
      severity: input.severity,
    },
    render: () => render({ ...input, loreId, date: date.iso }),
    commitMessage: `${type}: ${input.title}\n\nDomain: ${input.domain}`,
  };
}
