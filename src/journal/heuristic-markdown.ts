/**
 * A heuristic domain file (`memory/heuristics/<domain-slug>.md`), in ELF's format.
 *
 * `renderDomainHeader(slug)` is ELF's header for a new domain file.
 * `highestHeadingId(text)` is the highest `H-<id>` its headings show.
 * `renderHeuristicBlock(heuristic)` is one `## H-<id>: <rule>` block, followed
 * by lore's stable id comment, the Confidence, Source and Created lines, the
 * explanation (escaped by block-text.ts, so it cannot fake a heading, an
 * `H-<id>` line or the `---` separator) and the `---` separator.
 *
 * `parseHeuristicFile(text)` returns the blocks with their line numbers; it is
 * exact for what lore writes and also reads what ELF wrote or read:
 *   - `## H-<id>: <rule>` blocks without a lore id (duplicate `H-0` included);
 *   - `## <n>. <rule>` headings, and `## H-<id>` with no rule, where (as ELF's
 *     sync did) a rule shorter than 30 characters is replaced by a `> quoted`
 *     line within the next three lines; these carry no row id (`id` undefined)
 *     and a missing Confidence reads as ELF's 0.7;
 *   - a file that is one heuristic in YAML front matter (`rule:`, and
 *     optionally `domain:`, `explanation:`, `source_type:`, `confidence:`).
 * CRLF line ends read as LF. A block with a malformed field throws
 * `MarkdownParseError` with its line. So does a block lore wrote (with a lore
 * id and an `H-<id>`) that lacks its Confidence, Source or Created line, or
 * that ends the file without its `---` line, and a lore id line cut short: a
 * file cut in the middle of a block is damage, never a shorter record (only a
 * cut within the last heading, or right after it, leaves what looks like a
 * block ELF wrote).
 */
import { readBlockLines, renderBlockText } from "./block-text.js";
import { LORE_ID_LINE, loreIdLine, MarkdownParseError } from "./failure-markdown.js";

export interface HeuristicRecord {
  id: number;
  loreId: string;
  rule: string;
  confidence: number;
  source: string;
  explanation: string;
  /** YYYY-MM-DD, local time. */
  created: string;
}

export interface ParsedHeuristic extends Omit<HeuristicRecord, "loreId" | "id"> {
  /** The row id in the heading (`H-<id>`); undefined for other heading styles. */
  id: number | undefined;
  loreId: string | undefined;
  /** 1-based line of the block's heading (or of `rule:` in YAML front matter). */
  line: number;
  /** The domain a YAML front matter names, overriding the file's name. */
  domain?: string;
}

/** ELF's confidence when a block gives none. */
const ELF_DEFAULT_CONFIDENCE = 0.7;

export function renderDomainHeader(domain: string): string {
  return (
    `# Heuristics: ${domain}\n\n` +
    `Generated from failures, successes, and observations in the **${domain}** domain.\n\n` +
    `---\n\n`
  );
}

export function renderHeuristicBlock(heuristic: HeuristicRecord): string {
  return (
    `## H-${heuristic.id}: ${heuristic.rule}\n` +
    `${loreIdLine(heuristic.loreId)}\n\n` +
    `**Confidence**: ${heuristic.confidence}\n` +
    `**Source**: ${heuristic.source}\n` +
    `**Created**: ${heuristic.created}\n` +
    renderBlockText(heuristic.explanation) +
    `---\n\n`
  );
}

const HEADING = /^## (?:H-(\d+)(?::? ?(.*))?|(\d+)\. ?(.*))$/;

/** The highest `H-<id>` a domain file's headings show; 0 when none does. */
export function highestHeadingId(text: string): number {
  let highest = 0;
  for (const match of text.matchAll(/^## H-(\d+)/gm)) highest = Math.max(highest, Number(match[1]));
  return highest;
}

/** Where the block whose heading is at `headingIndex` ends: the index of the next heading, or the end. */
export function heuristicBlockEnd(lines: string[], headingIndex: number): number {
  const next = lines.findIndex((line, index) => index > headingIndex && HEADING.test(line));
  return next < 0 ? lines.length : next;
}
const FIELD = /^\*\*(Confidence|Source|Created)\*\*: ?(.*)$/;
/** The fields every block lore writes has. */
const LORE_FIELDS = ["Confidence", "Source", "Created"];
const LORE_ID_START = "<!-- lore:id=";

/** A line under a heading that starts a lore id line, or is the start of one cut short. */
function looksLikeLoreIdLine(line: string): boolean {
  return line !== "" && (line.startsWith(LORE_ID_START) || LORE_ID_START.startsWith(line));
}
const QUOTED_RULE = /^> ?(.*)$/;

function parseConfidence(value: string, line: number, label: string): number {
  const confidence = Number(value);
  if (value.trim() === "" || !Number.isFinite(confidence)) {
    throw new MarkdownParseError(line, `${label}: confidence "${value}" is not a number`);
  }
  return confidence;
}

/** ELF's sync: a short heading may only name the rule that a `> quoted` line then gives. */
function quotedRule(lines: string[], headingIndex: number, rule: string): string {
  if (rule.length >= 30) return rule;
  for (const line of lines.slice(headingIndex + 1, headingIndex + 4)) {
    const quoted = QUOTED_RULE.exec(line);
    if (quoted) return quoted[1];
  }
  return rule;
}

function unquoteYaml(value: string): string {
  const trimmed = value.trim();
  const quote = trimmed[0];
  if ((quote === '"' || quote === "'") && trimmed.length >= 2 && trimmed.endsWith(quote)) return trimmed.slice(1, -1);
  return trimmed;
}

function parseFrontMatterHeuristic(lines: string[]): ParsedHeuristic | undefined {
  if (lines[0] !== "---") return undefined;
  const end = lines.indexOf("---", 1);
  if (end < 0) return undefined;
  const fields = new Map<string, { value: string; line: number }>();
  for (let at = 1; at < end; at++) {
    const match = /^([a-z_]+):(.*)$/.exec(lines[at]);
    if (match && !fields.has(match[1])) fields.set(match[1], { value: unquoteYaml(match[2]), line: at + 1 });
  }
  const rule = fields.get("rule");
  if (!rule) return undefined;
  if (rule.value === "") throw new MarkdownParseError(rule.line, "front matter: `rule:` is empty");
  const confidence = fields.get("confidence");
  return {
    id: undefined,
    loreId: undefined,
    rule: rule.value,
    confidence: confidence
      ? parseConfidence(confidence.value, confidence.line, "front matter")
      : ELF_DEFAULT_CONFIDENCE,
    source: fields.get("source_type")?.value || "observation",
    explanation: fields.get("explanation")?.value ?? "",
    created: "",
    line: rule.line,
    ...(fields.get("domain")?.value ? { domain: fields.get("domain")?.value } : {}),
  };
}

/** The index of the first heading at or after `from`, or -1. */
function nextHeading(lines: string[], from: number): number {
  for (let at = from; at < lines.length; at++) if (HEADING.test(lines[at])) return at;
  return -1;
}

export function parseHeuristicFile(text: string): ParsedHeuristic[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const frontMatter = parseFrontMatterHeuristic(lines);
  if (frontMatter) return [frontMatter];
  const blocks: ParsedHeuristic[] = [];
  let index = nextHeading(lines, 0);
  while (index >= 0 && index < lines.length) {
    const heading = HEADING.exec(lines[index]) as RegExpExecArray;
    const id = heading[1] === undefined ? undefined : Number(heading[1]);
    const headingRule = heading[1] === undefined ? heading[4] : (heading[2] ?? "");
    const label = id === undefined ? `heading "${lines[index]}"` : `H-${id}`;
    const block: ParsedHeuristic = {
      id,
      loreId: undefined,
      rule: id === undefined || headingRule === "" ? quotedRule(lines, index, headingRule) : headingRule,
      confidence: Number.NaN,
      source: "",
      explanation: "",
      created: "",
      line: index + 1,
    };
    if (block.rule.trim() === "") throw new MarkdownParseError(index + 1, `${label}: the heading gives no rule`);
    let at = index + 1;
    const idMatch = LORE_ID_LINE.exec(lines[at] ?? "");
    if (idMatch) {
      block.loreId = idMatch[1];
      at++;
    } else if (looksLikeLoreIdLine(lines[at] ?? "")) {
      throw new MarkdownParseError(at + 1, `${label}: its lore id line is cut short or malformed`);
    }
    const writtenByLore = id !== undefined && block.loreId !== undefined;
    while (lines[at] === "") at++;
    let lastField = at - 1;
    const fields = new Set<string>();
    for (let field = FIELD.exec(lines[at] ?? ""); field; field = FIELD.exec(lines[++at] ?? "")) {
      lastField = at;
      fields.add(field[1]);
      if (field[1] === "Confidence") block.confidence = parseConfidence(field[2], at + 1, label);
      else if (field[1] === "Source") block.source = field[2];
      else block.created = field[2];
    }
    if (writtenByLore) {
      const missing = LORE_FIELDS.find((name) => !fields.has(name));
      if (missing) throw new MarkdownParseError(index + 1, `${label}: no **${missing}** line`);
    }
    if (Number.isNaN(block.confidence)) block.confidence = ELF_DEFAULT_CONFIDENCE;
    while (at < lines.length && lines[at] !== "---" && !HEADING.test(lines[at])) at++;
    if (writtenByLore && at === lines.length) {
      throw new MarkdownParseError(index + 1, `${label}: no \`---\` line ends the block (the file is cut short)`);
    }
    block.explanation = readBlockLines(lines.slice(lastField + 1, at));
    blocks.push(block);
    index = nextHeading(lines, at);
  }
  return blocks;
}
