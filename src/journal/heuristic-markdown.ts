/**
 * A heuristic domain file (`memory/heuristics/<domain-slug>.md`), in ELF's format.
 *
 * `renderDomainHeader(slug)` is ELF's header for a new domain file.
 * `renderHeuristicBlock(heuristic)` is one `## H-<id>: <rule>` block, followed
 * by lore's stable id comment, the Confidence, Source and Created lines, the
 * explanation (escaped by block-text.ts, so it cannot fake a heading, an
 * `H-<id>` line or the `---` separator) and the `---` separator.
 *
 * `parseHeuristicFile(text)` returns the blocks with their line numbers; it is
 * exact for what lore writes and also reads ELF-written blocks, which have no
 * lore id. A block with a malformed field throws `MarkdownParseError`.
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

export interface ParsedHeuristic extends Omit<HeuristicRecord, "loreId"> {
  loreId: string | undefined;
  /** 1-based line of the `## H-<id>:` heading. */
  line: number;
}

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

const HEADING = /^## H-(\d+): ?(.*)$/;
const FIELD = /^\*\*(Confidence|Source|Created)\*\*: ?(.*)$/;

export function parseHeuristicFile(text: string): ParsedHeuristic[] {
  const lines = text.split("\n");
  const blocks: ParsedHeuristic[] = [];
  let index = lines.findIndex((line) => HEADING.test(line));
  while (index >= 0 && index < lines.length) {
    const heading = HEADING.exec(lines[index]) as RegExpExecArray;
    const block: ParsedHeuristic = {
      id: Number(heading[1]),
      loreId: undefined,
      rule: heading[2],
      confidence: Number.NaN,
      source: "",
      explanation: "",
      created: "",
      line: index + 1,
    };
    let at = index + 1;
    const idMatch = LORE_ID_LINE.exec(lines[at] ?? "");
    if (idMatch) {
      block.loreId = idMatch[1];
      at++;
    }
    while (lines[at] === "") at++;
    let lastField = at - 1;
    for (let field = FIELD.exec(lines[at] ?? ""); field; field = FIELD.exec(lines[++at] ?? "")) {
      lastField = at;
      if (field[1] === "Confidence") {
        block.confidence = Number(field[2]);
        if (field[2].trim() === "" || !Number.isFinite(block.confidence)) {
          throw new MarkdownParseError(at + 1, `H-${block.id}: confidence "${field[2]}" is not a number`);
        }
      } else if (field[1] === "Source") block.source = field[2];
      else block.created = field[2];
    }
    while (at < lines.length && lines[at] !== "---" && !HEADING.test(lines[at])) at++;
    block.explanation = readBlockLines(lines.slice(lastField + 1, at));
    blocks.push(block);
    index = lines.findIndex((line, position) => position >= at && HEADING.test(line));
  }
  return blocks;
}
