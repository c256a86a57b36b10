/**
 * The journal's `memory/golden-rules.md` as text: its rules read, a rule
 * added or removed. Pure: no file is read or written here, no git, no
 * database; the caller reads the file, calls these, and writes the result
 * inside its journal transaction.
 *
 *   const { rules, sections } = parseGoldenRules(text);
 *   const added = withGoldenRule(text, rule);        // text undefined: no file yet
 *   const removed = withoutGoldenRule(added, rule.loreId);   // undefined: no rule has that id
 *   goldenRuleName(text, 17);    // what record-violation.sh records for rule 17
 *   goldenRuleListing(text);     // the rule lines its usage prints
 *
 * The file has two formats (ELF's init.sh writes A, its template, which
 * install.sh copies, is B). A rule starts at a heading of either:
 *   A  `## Rule <N>: <Title>` (also `## Rule <N>.` and `## <N>:`), a body of
 *      Confidence, Source, Domain, a paragraph, Validated, Violations;
 *   B  `## <N>. <Title>`, the next line `> <statement>`, then `**Why:**`,
 *      `**Promoted:**`, `**Validations:**`.
 * A rule runs to its closing `---` line, or, when it has none, to the next
 * heading of level 1 or 2 (`# How Rules Become Golden`, a rule's) or the end,
 * its trailing blank lines left out. The rest (the preamble, the template's
 * `# How Rules Become Golden` between its rules 6 and 7, init.sh's italic
 * footer) are `sections`, never rules, and never changed.
 *
 * The rule lore writes is format B, the one record-violation.sh reads:
 *
 *   ## <N>. <Title>
 *   > <statement>
 *
 *   **Why:** <why>
 *   **Promoted:** <YYYY-MM-DD> (from the <domain> heuristics, confidence <c>)
 *   **Validations:** <count>
 *   <!-- lore:id=<loreId> -->
 *
 *   ---
 *
 * N is one more than the highest rule number of either format. The rule goes
 * after the last rule, so before whatever follows it (init.sh's footer);
 * with no rule, at the end. Where the last rule has no closing `---` (the
 * template's last rule), lore's rule comes after a `---` of its own and
 * keeps the file's style: it is the one without a closing `---`. Every other
 * byte stays as it was, format A rules included; the file's line end (CRLF
 * or LF, from its first line) is the rule's. A file whose last line has no
 * line end gets one: the only byte lore adds outside its rule. A rule whose
 * lore id a rule of the file already carries leaves the text as it is, so a
 * promotion run twice adds one rule. Title, statement and domain are
 * written trimmed.
 *
 * `withoutGoldenRule` takes out exactly what `withGoldenRule` put in: the
 * rule's heading through its closing `---` and the blank lines after it, or,
 * for a rule without a closing `---`, the `---` and blank lines above it
 * through its last line. Adding a rule then removing it gives back the same
 * bytes; so does removing two added rules, in either order. A copy of the
 * rule (a hand edit) goes too. Only a rule carrying lore's id comment is
 * ever removed, and no other rule is renumbered: record-violation.sh, its
 * `violations` rows and people refer to a rule by its number, which must
 * keep meaning the same rule; a gap in the numbers is harmless (the next
 * rule still takes the highest plus one).
 *
 * Text lore writes never fakes the structure: the title and the statement
 * must each be one line (a line break or another control character but tab
 * is refused, since a heading and record-violation.sh's rule name are one
 * line), and `why` may hold line breaks, its lines escaped by block-text.ts
 * (a line starting `#`, `---` or `<!--` gets a backslash). The lore id must
 * be hex digits and dashes, `promoted` a calendar date, `validations` a whole
 * number 0 or more, `confidence` 0 to 1. Bad input throws
 * `InvalidFieldError` (exit 2) naming the field and its rule; the file is
 * never the cause of an error: any text parses.
 */
import { InvalidFieldError, quoted } from "../base/errors.js";
import { escapeBlockText } from "./block-text.js";
import { LORE_ID_LINE, loreIdLine } from "./failure-markdown.js";

export type GoldenRuleFormat = "A" | "B";

export interface ParsedGoldenRule {
  number: number;
  title: string;
  /** Format B: the `> ` line right after the heading (else the title); format A: the title. */
  statement: string;
  /** The id in lore's `<!-- lore:id=... -->` line within the rule; undefined for a rule lore did not write. */
  loreId: string | undefined;
  format: GoldenRuleFormat;
  /** 1-based line of the heading. */
  start: number;
  /** 1-based line of its closing `---`, or, without one, of its last line that is not blank. */
  end: number;
}

/** A run of lines outside every rule (blank lines at its ends left out). */
export interface GoldenRulesSection {
  start: number;
  end: number;
  /** Its lines, with their line ends. */
  text: string;
}

export interface GoldenRulesFile {
  rules: ParsedGoldenRule[];
  sections: GoldenRulesSection[];
}

export interface GoldenRuleInput {
  loreId: string;
  title: string;
  statement: string;
  why: string;
  /** YYYY-MM-DD. */
  promoted: string;
  validations: number;
  confidence: number;
  domain: string;
}

/** ELF's templates/golden-rules.md up to its first rule: the file lore starts where there is none. */
export const ELF_TEMPLATE_HEADER =
  "# Golden Rules\n\nThese are proven principles with high confidence. They are ALWAYS loaded into context.\n\n---\n\n";

/** A rule heading of either format; format B is `## <N>.`, the one record-violation.sh finds. */
const RULE_HEADING = /^## (Rule )?(\d+)([.:])([\s\S]*)$/;
/** A heading of level 1 or 2: it ends a rule that has no closing `---`. */
const SECTION_HEADING = /^##?(?:[ \t]|$)/;
const STATEMENT = /^> ?([\s\S]*)$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a title and a statement are one line
const NOT_ONE_LINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: `why` may hold newlines, no other control character
const NOT_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** The lines of `text`, each with its line end (the last may have none). */
function linesOf(text: string): string[] {
  return text === "" ? [] : text.split(/(?<=\n)/);
}

/** A line without its line end. */
function bare(line: string): string {
  return line.replace(/\r?\n?$/, "");
}

function isBlank(line: string): boolean {
  return bare(line).trim() === "";
}

function isSeparator(line: string): boolean {
  return bare(line).trimEnd() === "---";
}

/** The index of the first line at or after `from` that is not blank, or the number of lines. */
function nextNonBlank(lines: string[], from: number): number {
  let at = from;
  while (at < lines.length && isBlank(lines[at])) at++;
  return at;
}

/** Where one rule is, by line index. */
interface RuleSpan {
  heading: number;
  /** Its last line that is not blank, before its closing `---` or the heading that ends it. */
  last: number;
  separator: number | undefined;
}

function ruleSpans(lines: string[]): RuleSpan[] {
  const spans: RuleSpan[] = [];
  let at = 0;
  while (at < lines.length) {
    if (!RULE_HEADING.test(bare(lines[at]))) {
      at++;
      continue;
    }
    const span: RuleSpan = { heading: at, last: at, separator: undefined };
    for (at++; at < lines.length; at++) {
      if (isSeparator(lines[at])) {
        span.separator = at++;
        break;
      }
      if (SECTION_HEADING.test(bare(lines[at]))) break;
      if (!isBlank(lines[at])) span.last = at;
    }
    spans.push(span);
  }
  return spans;
}

function loreIdIn(lines: string[], span: RuleSpan): string | undefined {
  for (let at = span.heading + 1; at <= span.last; at++) {
    const match = LORE_ID_LINE.exec(bare(lines[at]));
    if (match) return match[1];
  }
  return undefined;
}

function ruleOf(lines: string[], span: RuleSpan): ParsedGoldenRule {
  const heading = RULE_HEADING.exec(bare(lines[span.heading])) as RegExpExecArray;
  const format: GoldenRuleFormat = heading[1] === undefined && heading[3] === "." ? "B" : "A";
  const title = heading[4].trim();
  const quotedLine = span.last > span.heading ? STATEMENT.exec(bare(lines[span.heading + 1])) : null;
  return {
    number: Number(heading[2]),
    title,
    statement: format === "B" && quotedLine ? quotedLine[1].trim() : title,
    loreId: loreIdIn(lines, span),
    format,
    start: span.heading + 1,
    end: (span.separator ?? span.last) + 1,
  };
}

export function parseGoldenRules(text: string): GoldenRulesFile {
  const lines = linesOf(text);
  const spans = ruleSpans(lines);
  const sections: GoldenRulesSection[] = [];
  const addSection = (from: number, to: number) => {
    const start = nextNonBlank(lines, from);
    let end = to;
    while (end > start && isBlank(lines[end - 1])) end--;
    if (start < end) sections.push({ start: start + 1, end, text: lines.slice(start, end).join("") });
  };
  let from = 0;
  for (const span of spans) {
    addSection(from, span.heading);
    from = (span.separator ?? span.last) + 1;
  }
  addSection(from, lines.length);
  return { rules: spans.map((span) => ruleOf(lines, span)), sections };
}

function oneLine(field: string, value: string): string {
  const bad = NOT_ONE_LINE.exec(value);
  if (bad) {
    throw new InvalidFieldError(field, `must be one line without control characters (found ${described(bad)})`);
  }
  const trimmed = value.trim();
  if (trimmed === "") throw new InvalidFieldError(field, "must not be empty");
  return trimmed;
}

function described(match: RegExpExecArray): string {
  const codePoint = (match[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
  return `U+${codePoint} at position ${match.index + 1}`;
}

/** A calendar date, YYYY-MM-DD (2025-02-30 is not one). */
function isDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The rule's lines as lore writes them (without line ends), every field checked. */
function ruleLines(number: number, rule: GoldenRuleInput): string[] {
  if (!/^[0-9a-f-]+$/.test(rule.loreId)) {
    throw new InvalidFieldError("loreId", `must be lower-case hex digits and dashes (got ${quoted(rule.loreId)})`);
  }
  const title = oneLine("title", rule.title);
  const statement = oneLine("statement", rule.statement);
  const domain = oneLine("domain", rule.domain);
  const badWhy = NOT_TEXT.exec(rule.why);
  if (badWhy) {
    throw new InvalidFieldError(
      "why",
      `must not contain control characters other than newline and tab (found ${described(badWhy)})`,
    );
  }
  if (!isDate(rule.promoted)) {
    throw new InvalidFieldError("promoted", `must be a date, YYYY-MM-DD (got ${quoted(rule.promoted)})`);
  }
  if (!Number.isSafeInteger(rule.validations) || rule.validations < 0) {
    throw new InvalidFieldError("validations", `must be a whole number, 0 or more (got ${rule.validations})`);
  }
  if (!Number.isFinite(rule.confidence) || rule.confidence < 0 || rule.confidence > 1) {
    throw new InvalidFieldError("confidence", `must be a number from 0 to 1 (got ${rule.confidence})`);
  }
  const why = escapeBlockText(rule.why).split("\n");
  why[0] = why[0] === "" ? "**Why:**" : `**Why:** ${why[0]}`;
  return [
    `## ${number}. ${title}`,
    `> ${statement}`,
    "",
    ...why,
    `**Promoted:** ${rule.promoted} (from the ${domain} heuristics, confidence ${rule.confidence})`,
    `**Validations:** ${rule.validations}`,
    loreIdLine(rule.loreId),
  ];
}

export function withGoldenRule(text: string | undefined, rule: GoldenRuleInput): string {
  if (text === undefined) return withGoldenRule(ELF_TEMPLATE_HEADER, rule);
  const lines = linesOf(text);
  const spans = ruleSpans(lines);
  const rules = spans.map((span) => ruleOf(lines, span));
  const highest = rules.reduce((most, each) => Math.max(most, each.number), 0);
  const written = ruleLines(highest + 1, rule);
  if (rules.some((each) => each.loreId === rule.loreId)) return text;
  const last = spans.at(-1);
  let at: number;
  let inserted: string[];
  if (last === undefined || last.separator !== undefined) {
    at = last === undefined ? lines.length : nextNonBlank(lines, (last.separator as number) + 1);
    inserted = [...written, "", "---", ""];
  } else {
    at = last.last + 1;
    inserted = ["", "---", "", ...written];
  }
  const lineEnd = /\r?\n/.exec(text)?.[0] ?? "\n";
  const before = lines.slice(0, at);
  if (at > 0 && !before[at - 1].endsWith("\n")) before[at - 1] += lineEnd;
  return before.join("") + inserted.map((line) => line + lineEnd).join("") + lines.slice(at).join("");
}

/** The index where the blank lines, `---` and blank lines right above line `heading` start. */
function separatorAbove(lines: string[], heading: number): number {
  let at = heading;
  while (at > 0 && isBlank(lines[at - 1])) at--;
  if (at > 0 && isSeparator(lines[at - 1])) {
    at--;
    while (at > 0 && isBlank(lines[at - 1])) at--;
  }
  return at;
}

export function withoutGoldenRule(text: string, loreId: string): string | undefined {
  let lines = linesOf(text);
  let found = false;
  for (;;) {
    const span = ruleSpans(lines).find((each) => loreIdIn(lines, each) === loreId);
    if (span === undefined) return found ? lines.join("") : undefined;
    found = true;
    const [from, to] =
      span.separator === undefined
        ? [separatorAbove(lines, span.heading), span.last + 1]
        : [span.heading, nextNonBlank(lines, span.separator + 1)];
    lines = [...lines.slice(0, from), ...lines.slice(to)];
  }
}

/**
 * The rule name record-violation.sh records for rule `number`:
 * `grep -A1 "^## $N\." | tail -1 | sed 's/^> //'`, so the line after the last
 * `## <N>.` heading (the heading itself when it is the file's last line), a
 * leading `> ` taken off; undefined where ELF records `Unknown Rule`: no such
 * heading (a number only format A has), or a number that is not a whole
 * number 0 or more. A CRLF line end is not part of the name (ELF keeps the CR).
 */
export function goldenRuleName(text: string, number: number): string | undefined {
  if (!Number.isSafeInteger(number) || number < 0) return undefined;
  const lines = linesOf(text).map(bare);
  const heading = `## ${number}.`;
  let lastMatch = -1;
  for (let at = 0; at < lines.length; at++) if (lines[at].startsWith(heading)) lastMatch = at;
  if (lastMatch < 0) return undefined;
  const line = lines[Math.min(lastMatch + 1, lines.length - 1)];
  return line.startsWith("> ") ? line.slice(2) : line;
}

/** The lines record-violation.sh's usage lists as the rules: the first 10 matching `^## [0-9]`, without line ends. */
export function goldenRuleListing(text: string): string[] {
  return linesOf(text)
    .map(bare)
    .filter((line) => /^## [0-9]/.test(line))
    .slice(0, 10);
}
