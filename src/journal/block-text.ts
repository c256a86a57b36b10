/**
 * Free text inside a record (a failure's summary, a heuristic's explanation),
 * escaped so that it can never fake the structure around it.
 *
 * A line of the text that starts with `#` (a heading, `## H-<id>:`), `---` (the
 * block separator or YAML front matter) or `<!--` (lore's id comment) is
 * written with one more leading backslash; a line that already starts with
 * backslashes before such a marker gets one more too, so
 * `unescapeBlockText(escapeBlockText(t)) === t` for every `t`. In rendered
 * markdown `\#` shows as `#`, so the escape reads naturally.
 *
 * `readBlockLines(lines)` recovers a text from the lines between its framing
 * blank lines, as `renderBlockText` wrote them.
 */
const STRUCTURAL_LINE = /^\\*(?:#|---|<!--)/;

export function escapeBlockText(text: string): string {
  return text
    .split("\n")
    .map((line) => (STRUCTURAL_LINE.test(line) ? `\\${line}` : line))
    .join("\n");
}

export function unescapeBlockText(text: string): string {
  return text
    .split("\n")
    .map((line) => (line.startsWith("\\") && STRUCTURAL_LINE.test(line) ? line.slice(1) : line))
    .join("\n");
}

/** `text` escaped and framed by one blank line on each side. */
export function renderBlockText(text: string): string {
  return `\n${escapeBlockText(text)}\n\n`;
}

/** The inverse of renderBlockText, given the lines it produced. */
export function readBlockLines(lines: string[]): string {
  const inner = lines.slice(lines[0] === "" ? 1 : 0);
  if (inner.length > 0 && inner[inner.length - 1] === "") inner.pop();
  return unescapeBlockText(inner.join("\n"));
}
