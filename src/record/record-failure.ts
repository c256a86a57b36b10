/**
 * A failure record: `draftFailure(layout, input, now)` turns validated input
 * into a RecordDraft for persistRecord (txn/record-transaction.ts). Call it
 * inside a journal session: the file name it picks (`YYYYMMDD_<slug>.md`,
 * local date) is unique only while the journal lock is held. The same title
 * on the same day gets `-2`, `-3`, ... instead of overwriting, as ELF did.
 * The row's summary is the whole summary as ELF stores it, line breaks turned
 * into spaces (journal/summary-column.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { randomUuid } from "../base/random.js";
import type { JournalLayout } from "../journal/layout.js";
import { renderFailure } from "../journal/failure-markdown.js";
import { failureSlug } from "../journal/slug.js";
import { summaryColumn } from "../journal/summary-column.js";
import type { FailureInput } from "./inputs.js";
import type { RecordDraft } from "../txn/record-transaction.js";
import { localDate } from "./local-date.js";
import { makeDirectory } from "../io/file-system.js";

function uniqueFailureFile(directory: string, stem: string): string {
  for (let suffix = 1; ; suffix++) {
    const name = suffix === 1 ? `${stem}.md` : `${stem}-${suffix}.md`;
    if (!fs.existsSync(path.join(directory, name))) return path.join(directory, name);
  }
}

export function draftFailure(layout: JournalLayout, input: FailureInput, now: Date): RecordDraft {
  const date = localDate(now);
  makeDirectory(layout.failuresDir, { recursive: true });
  const target = uniqueFailureFile(layout.failuresDir, `${date.compact}_${failureSlug(input.title)}`);
  const loreId = randomUuid();
  return {
    kind: "failure",
    table: "learnings",
    loreId,
    target,
    previous: undefined,
    row: {
      type: "failure",
      filepath: `memory/failures/${path.basename(target)}`,
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
