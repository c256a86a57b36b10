/**
 * An observation record's markdown file: what a task learned that is no rule
 * (a `[LEARNED]` line without a rule's words), in the format of ELF's one
 * writer of `memory/successes/`, integrate-proposal.py's `pattern` type.
 *
 *   renderObservation(record)   // the file's whole text
 *   parseObservation(text)      // its fields back (parseFailure's reading)
 *
 * `renderObservation` writes `# Pattern: <title>`, the `**Domain**:`,
 * `**Severity**:`, `**Tags**:` and `**Date**:` lines, the Summary section
 * (escaped by block-text.ts, so it cannot fake a heading), the Details
 * section ELF's pattern file has (a placeholder, as a failure file's other
 * sections are), then lore's id line (`<!-- lore:id=... -->`), which makes
 * the file lore's. `parseObservation` reads such a file exactly:
 * `parseObservation(renderObservation(r))` gives `r` back field by field. It
 * reads it as parseFailure reads a failure (field names in any case, CRLF
 * as LF), and takes one `Pattern: ` off the heading, where there is one; a
 * file with no title heading throws MarkdownParseError with the line number.
 */
import { renderBlockText } from "./block-text.js";
import { type FailureRecord, loreIdLine, type ParsedFailure, parseFailure } from "./failure-markdown.js";

/** An observation has a failure's fields; its severity is ELF's pattern's, OBSERVATION_SEVERITY. */
export type ObservationRecord = FailureRecord;
export type ParsedObservation = ParsedFailure;

/** The row type and severity ELF's integrate-proposal.py gives a pattern. */
export const OBSERVATION_TYPE = "observation";
export const OBSERVATION_SEVERITY = 1;

const HEADING_PREFIX = "Pattern: ";

const DETAILS_TEMPLATE = `## Details

[Describe the pattern in detail]
`;

export function renderObservation(record: ObservationRecord): string {
  return (
    `# ${HEADING_PREFIX}${record.title}\n\n` +
    `**Domain**: ${record.domain}\n` +
    `**Severity**: ${record.severity}\n` +
    `**Tags**: ${record.tags}\n` +
    `**Date**: ${record.date}\n\n` +
    `## Summary\n${renderBlockText(record.summary)}` +
    `${DETAILS_TEMPLATE}\n${loreIdLine(record.loreId)}\n`
  );
}

export function parseObservation(text: string): ParsedObservation {
  const parsed = parseFailure(text);
  return parsed.title.startsWith(HEADING_PREFIX)
    ? { ...parsed, title: parsed.title.slice(HEADING_PREFIX.length) }
    : parsed;
}
