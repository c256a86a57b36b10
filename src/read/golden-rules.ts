/**
 * The journal's `memory/golden-rules.md`, as `lore query --golden-rules`
 * prints it and a briefing cuts it.
 *
 *   const text = readGoldenRules(layout);            // the file, or ELF's stand-in
 *   const cut = goldenRulesWithin(text, maxChars);   // { text, shown, leftOut }
 *
 * `readGoldenRules` returns the file as it is on disk, never parsed (as ELF's
 * query.py); where there is none, ELF's two-line stand-in. Reading a file
 * that is there and cannot be read throws the file system's error.
 *
 * `goldenRulesWithin` cuts at a rule boundary only. A rule starts at a
 * heading of either of ELF's formats, `## Rule <N>: <Title>` (init.sh's) or
 * `## <N>. <Title>` (the template's), and runs to the next one; what comes
 * before the first is the preamble. The whole file when it fits; else the
 * preamble and as many whole rules as fit, then one line saying how many
 * were left out and how to see them all, the whole within `maxChars`. A
 * file without rule headings is one piece: whole, or left out with that
 * line alone. With no room even for the line, nothing.
 */
import fs from "node:fs";
import type { JournalLayout } from "../journal/layout.js";

/** What query.py prints when there is no golden-rules.md. */
const NO_GOLDEN_RULES = "# Golden Rules\n\nNo golden rules have been established yet.\n";

const RULE_HEADING = /^## (?:Rule )?\d+[.:]/;

export function readGoldenRules(layout: JournalLayout): string {
  try {
    return fs.readFileSync(layout.goldenRulesFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return NO_GOLDEN_RULES;
    throw error;
  }
}

/** The file in pieces: the preamble, then one piece per rule (each with its line ends). */
function piecesOf(text: string): { preamble: string; rules: string[] } {
  const lines = text.split(/(?<=\n)/);
  const rules: string[] = [];
  let preamble = "";
  for (const line of lines) {
    if (RULE_HEADING.test(line)) rules.push(line);
    else if (rules.length > 0) rules[rules.length - 1] += line;
    else preamble += line;
  }
  return { preamble, rules };
}

export interface GoldenRulesCut {
  text: string;
  /** Rules shown whole (0 for a file without rule headings, shown or not). */
  shown: number;
  leftOut: number;
  /** Whether the whole file is in `text`. */
  whole: boolean;
}

function leftOutLine(count: number): string {
  const what = count === 0 ? "golden-rules.md was" : `${count} golden rule${count === 1 ? " was" : "s were"}`;
  return `_(${what} left out for the token budget: \`lore query --golden-rules\` prints them all.)_\n`;
}

export function goldenRulesWithin(text: string, maxChars: number): GoldenRulesCut {
  const { preamble, rules } = piecesOf(text);
  if (text.length <= maxChars) return { text, shown: rules.length, leftOut: 0, whole: true };
  const withBreak = (kept: string) => (kept === "" || kept.endsWith("\n") ? kept : `${kept}\n`);
  const fits = (kept: string, leftOut: number) => withBreak(kept).length + leftOutLine(leftOut).length <= maxChars;
  if (rules.length === 0 || !fits(preamble, rules.length)) {
    const line = leftOutLine(rules.length);
    return { text: line.length <= maxChars ? line : "", shown: 0, leftOut: rules.length, whole: false };
  }
  let kept = preamble;
  let shown = 0;
  while (shown < rules.length && fits(kept + rules[shown], rules.length - shown - 1)) {
    kept += rules[shown];
    shown++;
  }
  const leftOut = rules.length - shown;
  return { text: withBreak(kept) + leftOutLine(leftOut), shown, leftOut, whole: false };
}
