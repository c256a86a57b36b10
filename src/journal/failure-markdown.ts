/**
 * A failure record's markdown file, in ELF's format.
 *
 * `renderFailure(record)` writes ELF's layout: the title heading, the
 * `**Domain**:`, `**Severity**:`, `**Tags**:` and `**Date**:` lines, the
 * Summary section and ELF's other section headings, then lore's stable id as
 * an HTML comment (`<!-- lore:id=... -->`, invisible when rendered).
 *
 * `parseFailure(text)` reads such a file back. It is exact for what lore
 * writes: `parseFailure(renderFailure(r))` gives `r` back field by field (the
 * summary is escaped by block-text.ts so it cannot fake a heading). It also
 * reads ELF's own files: field names in any case, with or without `**`, and the
 * `# TIME-FIX-3` comment ELF leaves on the Date line; CRLF line ends read as
 * LF. A file with no title heading throws `MarkdownParseError` with the line
 * number.
 */
import { readBlockLines, renderBlockText } from "./block-text.js";
import { ExitCode, LoreError } from "../base/errors.js";

export interface FailureRecord {
  loreId: string;
  title: string;
  domain: string;
  severity: number;
  tags: string;
  summary: string;
  /** YYYY-MM-DD, local time. */
  date: string;
}

export type ParsedFailure = Omit<FailureRecord, "loreId" | "severity"> & {
  loreId: string | undefined;
  severity: number | undefined;
};

export class MarkdownParseError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export const LORE_ID_LINE = /^<!-- lore:id=([0-9a-f-]+) -->$/;

export function loreIdLine(loreId: string): string {
  return `<!-- lore:id=${loreId} -->`;
}

const SECTION_TEMPLATE = `## What Happened

[Describe the failure in detail]

## Root Cause

[What was the underlying issue?]

## Impact

[What were the consequences?]

## Prevention

[What heuristic or practice would prevent this?]

## Related

- **Experiments**:
- **Heuristics**:
- **Similar Failures**:
`;

export function renderFailure(record: FailureRecord): string {
  return (
    `# ${record.title}\n\n` +
    `**Domain**: ${record.domain}\n` +
    `**Severity**: ${record.severity}\n` +
    `**Tags**: ${record.tags}\n` +
    `**Date**: ${record.date}\n\n` +
    `## Summary\n${renderBlockText(record.summary)}` +
    `${SECTION_TEMPLATE}\n${loreIdLine(record.loreId)}\n`
  );
}

const SEVERITY_WORDS: Record<string, number> = { low: 2, medium: 3, high: 4, critical: 5 };

/** ELF's severity: `1`-`5`, or low, medium, high, critical (2-5); undefined otherwise. */
export function severityFromText(value: string): number | undefined {
  const word = value.trim().toLowerCase();
  if (/^[1-5]$/.test(word)) return Number(word);
  return Object.hasOwn(SEVERITY_WORDS, word) ? SEVERITY_WORDS[word] : undefined;
}

function headerField(line: string): { name: string; value: string } | undefined {
  const match = /^(?:\*\*([A-Za-z]+)\*\*|([A-Za-z]+)):[ \t]?(.*)$/.exec(line);
  if (!match) return undefined;
  return { name: (match[1] ?? match[2]).toLowerCase(), value: match[3] };
}

export function parseFailure(text: string): ParsedFailure {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const titleIndex = lines.findIndex((line) => line.startsWith("# "));
  if (titleIndex < 0) throw new MarkdownParseError(1, "no `# <title>` heading");
  const parsed: ParsedFailure = {
    loreId: undefined,
    title: lines[titleIndex].slice(2),
    domain: "",
    severity: undefined,
    tags: "",
    summary: "",
    date: "",
  };
  let index = titleIndex + 1;
  for (; index < lines.length && !lines[index].startsWith("## "); index++) {
    const field = headerField(lines[index]);
    if (!field) continue;
    if (field.name === "domain") parsed.domain = field.value;
    else if (field.name === "severity") parsed.severity = severityFromText(field.value);
    else if (field.name === "tags") parsed.tags = field.value;
    else if (field.name === "date") parsed.date = field.value.replace(/\s+#.*$/, "");
  }
  if (lines[index] === "## Summary") {
    const end = lines.findIndex((line, at) => at > index && line.startsWith("## "));
    parsed.summary = readBlockLines(lines.slice(index + 1, end < 0 ? lines.length : end));
  }
  for (let at = lines.length - 1; at > titleIndex; at--) {
    const match = LORE_ID_LINE.exec(lines[at]);
    if (match) {
      parsed.loreId = match[1];
      break;
    }
  }
  return parsed;
}
