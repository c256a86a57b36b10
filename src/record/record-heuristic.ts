/**
 * A heuristic record: `draftHeuristic(layout, input, now)` turns validated
 * input into a RecordDraft for persistRecord (txn/record-transaction.ts),
 * under a new lore id, or the one given (a call relayed between `lore mcp`
 * servers, which the id makes once: mcp/record-relay.ts); its file is the
 * domain's, whatever other drafts claim (records on one file are persisted
 * one after another). The
 * domain file is read here and replaced whole by persistRecord
 * (read-modify-write under the journal lock, never an append in place), so
 * ELF's race on the domain header cannot happen: a new domain file gets ELF's
 * header exactly once. A domain file that is damaged (not UTF-8, cut short,
 * not readable as records) is never built on: DamagedFileError (exit 4),
 * before anything is written.
 */
import path from "node:path";
import { randomUuid } from "../base/random.js";
import { journalRelativePath, type JournalLayout } from "../journal/layout.js";
import { renderDomainHeader, renderHeuristicBlock } from "../journal/heuristic-markdown.js";
import { readSoundRecordFile } from "../journal/journal-file.js";
import type { HeuristicInput } from "./inputs.js";
import type { DraftOptions, RecordDraft } from "../txn/record-transaction.js";
import { localDate } from "./local-date.js";
import { makeDirectory } from "../io/file-system.js";

export function draftHeuristic(
  layout: JournalLayout,
  input: HeuristicInput,
  now: Date,
  { loreId = randomUuid() }: DraftOptions = {},
): RecordDraft {
  makeDirectory(layout.heuristicsDir, { recursive: true });
  const target = path.join(layout.heuristicsDir, `${input.domain}.md`);
  const previous = readSoundRecordFile(layout, journalRelativePath(layout, target));
  const before = previous === undefined ? renderDomainHeader(input.domain) : previous.replace(/\n?$/, "\n");
  return {
    kind: "heuristic",
    table: "heuristics",
    loreId,
    target,
    previous,
    row: {
      domain: input.domain,
      rule: input.rule,
      explanation: input.explanation,
      source_type: input.source,
      confidence: input.confidence,
    },
    render: (id) =>
      before +
      renderHeuristicBlock({
        id,
        loreId,
        rule: input.rule,
        confidence: input.confidence,
        source: input.source,
        explanation: input.explanation,
        created: localDate(now).iso,
      }),
    commitMessage: `heuristic: ${input.rule}\n\nDomain: ${input.domain}`,
  };
}
