/**
 * How a sub-agent's task ended, and the lessons its output wrote, from the
 * payload of Claude Code's PostToolUse hook for the sub-agent tool (`Agent`;
 * `Task` before 2.1.63), by the rules of ELF's post-tool hook (elf-loop
 * §4.4 and §4.5 step 6). Pure: no database, no files; nothing here throws.
 *
 *   const text = taskOutputText(payload);             // undefined: no output
 *   const { outcome, reason } = classifyTaskOutcome(text);
 *   if (outcome === "success" && text) lessons = learnedLines(text);
 *
 * The output (taskOutputText) is the first of `tool_response` (the current
 * protocol), `tool_output` and `output` (ELF's, elf-loop §4.1) that is
 * neither missing nor null, read in any shape Claude Code has documented
 * (docs/DESIGN.md#claude-code-hooks): a string; an object whose `content` is
 * a string (ELF's shape) or a list of `{ type: "text", text }` blocks, whose
 * texts are joined by newlines as ELF joins them (a block without a string
 * `text` is an empty line, an item that is no object is left out); or an
 * object whose `result` is a string (the Task tool's output as documented
 * in late 2025). An empty string or object, or a value of any other kind (a
 * number, a list), is no output (undefined). An object with no text in it is the empty text: the
 * Agent tool's answer to a sub-agent sent to the background (`status:
 * "async_launched"`) carries none, so such a task's outcome is "unknown".
 *
 * The outcome (classifyTaskOutcome), ELF §4.4, in this order:
 *   1. no output: unknown, "No output to analyze"; empty text: unknown,
 *      "Empty output";
 *   2. failure: FAILURE_PATTERNS in their order, against the text as it is;
 *      only each pattern's first match is tested, and it is discarded when the
 *      text from 30 characters before it to 30 after it matches one of
 *      FALSE_POSITIVE_PATTERNS ("added error handling", "fixed the error");
 *      the first match kept decides;
 *   3. success, the first that matches, against the lower-cased text
 *      (`## FINDINGS` aside, below): EXPLICIT_SUCCESS_PATTERNS, then
 *      ACTION_VERB_PATTERNS (a past-tense verb and a word: "created the
 *      file"), then REPORTING_PATTERNS ("here are the results", "summary:");
 *   4. more than 50 characters: success, "Substantial output without
 *      errors"; else unknown, "Could not determine outcome".
 * The reasons are ELF's. The patterns are ELF's Python regular expressions,
 * written as ELF wrote them and read with Python's meaning (pythonRegExp):
 * `\b` and `\w` by Unicode letters, digits and `_`, `.` anything but a
 * newline. Positions and lengths are counted in UTF-16 code units, where
 * ELF counted code points: they differ only for characters beyond U+FFFF
 * (emoji), which count twice here.
 *
 * Where lore departs from ELF, on purpose:
 *   - `## FINDINGS` is matched case-sensitively against the text as it is.
 *     ELF matched it against the lower-cased text, so it never matched.
 *   - "timeout" is a failure like "time out" and "timed out", as the
 *     comment beside ELF's pattern says it meant (its `\btimed?\s+out\b`
 *     needs the space); the false-positive windows apply to it as to every
 *     failure pattern ("fixed the timeout issue" is none). A bare mention
 *     ("set the timeout to 5 s") is a failure too, as ELF meant.
 * ELF's other oddities are kept: "I've finished" is no report (its pattern
 * wants "i " before "'ve"), and a failure word's second mention is never
 * tested when its first is a false positive.
 *
 * The lessons (learnedLines), ELF §4.5 step 6: every marker `[LEARN]`,
 * `[LEARNED]` or `[LEARNING]`, in any case, with an optional domain hint
 * after a `:` or a space (`[LEARNED:testing]`, `[LEARNED testing]`), and the
 * rest of its line, trimmed, as the lesson; a marker with nothing after it
 * on its line gives none. The hint, trimmed, is the domain; undefined when
 * there is none (ELF then used the first domain its pre-tool hook had
 * detected, else `general`: the caller's choice here). A lesson is a
 * heuristic when it holds one of the words always, never, should, must,
 * don't, avoid or prefer, as a whole word in any case (bounded as
 * pythonRegExp bounds `\b`, by Unicode letters, digits and `_`; should and
 * must also as shouldn't and mustn't; the apostrophe ' or ’); else an
 * observation. Where lore departs from ELF, on purpose:
 *   - ELF matched those words as substrings: "hallways" held "always",
 *     "shoulder" "should", "preferred" "prefer".
 *   - ELF's pattern let the lesson start on the next line when the marker
 *     ended its line, and read `[LEARNINGS]` and `[LEARNT]` as markers with
 *     the domains "S" and "T"; here a marker and its lesson share one line,
 *     and the marker's word ends at `:`, a space or `]`.
 *   - The same (domain, lesson) pair given twice in one output is returned
 *     once, at its first place; ELF recorded it as often as it appeared.
 */
import { isJsonObject, type JsonObject } from "./settings-file.js";

export type TaskOutcome = "success" | "failure" | "unknown";

export interface TaskOutcomeVerdict {
  outcome: TaskOutcome;
  /** Why, in a few words (ELF's): "Error detected", "Substantial output without errors". */
  reason: string;
}

export interface LearnedLine {
  /** The marker's domain hint, trimmed; undefined when it has none. */
  domain: string | undefined;
  text: string;
  kind: "heuristic" | "observation";
}

/** Python's `\w` on text: a Unicode letter or digit, or `_`. */
const WORD_CHAR = String.raw`[\p{L}\p{N}_]`;

const PYTHON_ESCAPES: Record<string, string> = {
  "\\b": `(?:(?<=${WORD_CHAR})(?!${WORD_CHAR})|(?<!${WORD_CHAR})(?=${WORD_CHAR}))`,
  "\\w": WORD_CHAR,
};

/**
 * A Python `re` pattern (with no inline flags) as a RegExp that means what
 * Python means by it: `\b` and `\w` by Unicode letters, digits and `_`
 * (JavaScript's are ASCII), `.` anything but `\n` (JavaScript's also stops
 * at `\r`, U+2028 and U+2029), and, with `multiline`, `^` and `$` at `\n`
 * only. Everything else these patterns use means the same in both.
 */
function pythonRegExp(source: string, options: { ignoreCase: boolean; multiline?: boolean }): RegExp {
  let translated = "";
  let inClass = false;
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === "\\") {
      const sequence = source.slice(at, at + 2);
      translated += inClass ? sequence : (PYTHON_ESCAPES[sequence] ?? sequence);
      at++;
    } else if (inClass) {
      inClass = char !== "]";
      translated += char;
    } else if (char === "[") {
      inClass = true;
      translated += char;
    } else if (char === ".") {
      translated += "[^\\n]";
    } else if (char === "^" && options.multiline) {
      translated += "(?<![^\\n])";
    } else if (char === "$" && options.multiline) {
      translated += "(?![^\\n])";
    } else {
      translated += char;
    }
  }
  return new RegExp(translated, options.ignoreCase ? "iu" : "u");
}

interface OutcomePattern {
  regex: RegExp;
  reason: string;
  /** Matched against the lower-cased text (else against the text as it is). */
  lowered?: true;
}

/** Matched in any case. */
function anyCase(source: string, reason: string): OutcomePattern {
  return { regex: pythonRegExp(source, { ignoreCase: true }), reason };
}

/** Matched case-sensitively against the text as it is. */
function asWritten(source: string, reason: string): OutcomePattern {
  return { regex: pythonRegExp(source, { ignoreCase: false }), reason };
}

/** Matched against the lower-cased text, as ELF matched its success patterns. */
function lowerCase(source: string, reason: string): OutcomePattern {
  return { regex: pythonRegExp(source, { ignoreCase: false }), reason, lowered: true };
}

const FAILURE_PATTERNS: readonly OutcomePattern[] = [
  anyCase(String.raw`\berror\b[:\s]`, "Error detected"),
  anyCase(String.raw`\bexception\b[:\s]`, "Exception raised"),
  anyCase(String.raw`\bfailed\b[:\s]`, "Operation failed"),
  anyCase(String.raw`\bcould not\b`, "Could not complete"),
  anyCase(String.raw`\bunable to\b`, "Unable to complete"),
  asWritten(String.raw`\[BLOCKER\]`, "Blocker encountered"),
  anyCase(String.raw`\btraceback\b`, "Exception traceback"),
  anyCase(String.raw`\bpermission denied\b`, "Permission denied"),
  anyCase(String.raw`\b(?:timed?\s+out|timeout)\b`, "Timeout occurred"),
  {
    regex: pythonRegExp(String.raw`^.*\bnot found\s*$`, { ignoreCase: true, multiline: true }),
    reason: "Resource not found",
  },
];

const FALSE_POSITIVE_PATTERNS: readonly RegExp[] = [
  "was not found to be",
  String.raw`\berror handling\b`,
  String.raw`\bno errors?\b`,
  String.raw`\bwithout errors?\b`,
  String.raw`\berror.?free\b`,
  String.raw`\b(fixed|resolved|corrected|repaired)\b.*\b(error|failure|bug|issue|exception)`,
  String.raw`\b(error|failure|bug|issue|exception)\b.*(fixed|resolved|corrected|repaired)`,
  String.raw`\binvestigated.*\b(failed|error|failure)`,
  String.raw`\banalyzed.*\b(error|failure|failed)`,
  String.raw`\bhandl(e|es|ed|ing).*\b(error|failure|exception)`,
  String.raw`\b(error|failure|exception)\s+handl`,
  String.raw`resolved.*\b(error|failure|exception)`,
].map((source) => pythonRegExp(source, { ignoreCase: true }));

/** The characters on each side of a failure pattern's match that a false positive is looked for in. */
const FALSE_POSITIVE_WINDOW = 30;

const EXPLICIT_SUCCESS_PATTERNS: readonly OutcomePattern[] = [
  lowerCase(String.raw`\bsuccessfully\s+\w+`, "Successfully completed action"),
  lowerCase(String.raw`\btask\s+complete`, "Task completed"),
  lowerCase(String.raw`\b(work|task) is (done|finished|complete)`, "Work is done"),
  lowerCase(String.raw`\ball tests pass`, "Tests passed"),
  lowerCase(String.raw`\[success\]`, "Success marker found"),
  asWritten("## FINDINGS", "Findings reported"),
  lowerCase(String.raw`\bcompleted\s+successfully`, "Completed successfully"),
];

const ACTION_VERB_PATTERNS: readonly OutcomePattern[] = [
  lowerCase(String.raw`\b(created|generated|built|made)\b\s+\w+`, "Created something"),
  lowerCase(String.raw`\b(fixed|resolved|corrected|repaired)\b\s+\w+`, "Fixed something"),
  lowerCase(String.raw`\b(updated|modified|changed|revised)\b\s+\w+`, "Updated something"),
  lowerCase(String.raw`\b(implemented|added|introduced)\b\s+\w+`, "Implemented something"),
  lowerCase(String.raw`\b(analyzed|examined|reviewed|investigated)\b\s+\w+`, "Analyzed something"),
  lowerCase(String.raw`\b(identified|found|discovered|located)\b\s+\w+`, "Identified something"),
  lowerCase(String.raw`\b(removed|deleted|cleaned)\b\s+\w+`, "Removed something"),
  lowerCase(String.raw`\b(refactored|reorganized|restructured)\b\s+\w+`, "Refactored something"),
  lowerCase(String.raw`\b(tested|validated|verified)\b\s+\w+`, "Tested something"),
  lowerCase(String.raw`\b(deployed|released|published)\b\s+\w+`, "Deployed something"),
];

const REPORTING_PATTERNS: readonly OutcomePattern[] = [
  lowerCase(String.raw`\bhere (is|are) (the |my )?(\w+\s+)?(findings|results|analysis|summary)`, "Presented findings"),
  lowerCase(String.raw`\bi (have |'ve )?(completed|finished|done)`, "Agent reported completion"),
  lowerCase(String.raw`\bthe (task|work|analysis|fix|implementation) is (complete|done|finished)`, "Work is complete"),
  lowerCase(String.raw`^\s*(finished|completed|done)\s+\w+`, "Started with completion verb"),
  lowerCase(String.raw`\b(summary|conclusion):`, "Provided summary"),
  lowerCase(String.raw`\brecommend(ations|s)?:`, "Provided recommendations"),
];

/** More characters than this, with no failure found, is a success. */
const SUBSTANTIAL_LENGTH = 50;

/** The text of one item of a `content` list; undefined for an item that is no object. */
function blockText(item: unknown): string | undefined {
  if (!isJsonObject(item)) return undefined;
  return typeof item.text === "string" ? item.text : "";
}

function objectText(output: JsonObject): string {
  const { content, result } = output;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map(blockText)
      .filter((text) => text !== undefined)
      .join("\n");
  }
  return typeof result === "string" ? result : "";
}

export function taskOutputText(payload: unknown): string | undefined {
  if (!isJsonObject(payload)) return undefined;
  const output = payload.tool_response ?? payload.tool_output ?? payload.output;
  if (typeof output === "string") return output === "" ? undefined : output;
  if (isJsonObject(output) && Object.keys(output).length > 0) return objectText(output);
  return undefined;
}

function isFalsePositive(subject: string, match: RegExpExecArray): boolean {
  const window = subject.slice(
    Math.max(0, match.index - FALSE_POSITIVE_WINDOW),
    match.index + match[0].length + FALSE_POSITIVE_WINDOW,
  );
  return FALSE_POSITIVE_PATTERNS.some((pattern) => pattern.test(window));
}

export function classifyTaskOutcome(text: string | undefined): TaskOutcomeVerdict {
  if (text === undefined) return { outcome: "unknown", reason: "No output to analyze" };
  if (text === "") return { outcome: "unknown", reason: "Empty output" };
  const lowered = text.toLowerCase();
  const subjectOf = (pattern: OutcomePattern) => (pattern.lowered ? lowered : text);
  for (const pattern of FAILURE_PATTERNS) {
    const subject = subjectOf(pattern);
    const match = pattern.regex.exec(subject);
    if (match && !isFalsePositive(subject, match)) return { outcome: "failure", reason: pattern.reason };
  }
  for (const pattern of [...EXPLICIT_SUCCESS_PATTERNS, ...ACTION_VERB_PATTERNS, ...REPORTING_PATTERNS]) {
    if (pattern.regex.test(subjectOf(pattern))) return { outcome: "success", reason: pattern.reason };
  }
  return text.length > SUBSTANTIAL_LENGTH
    ? { outcome: "success", reason: "Substantial output without errors" }
    : { outcome: "unknown", reason: "Could not determine outcome" };
}

/** A marker, its domain hint (after `:` or a space other than a newline), and the rest of its line. */
const LEARNED_MARKER = /\[LEARN(?:ED|ING)?(?:(?::|[^\S\n])([^\]\n]*))?\]([^\n]*)/giu;

const HEURISTIC_WORDS = pythonRegExp(
  String.raw`\b(always|never|should(n['’]t)?|must(n['’]t)?|don['’]t|avoid|prefer)\b`,
  { ignoreCase: true },
);

export function learnedLines(text: string): LearnedLine[] {
  const lines: LearnedLine[] = [];
  const seen = new Set<string>();
  for (const [, hint, rest] of text.matchAll(LEARNED_MARKER)) {
    const lesson = rest.trim();
    const domain = hint?.trim() || undefined;
    const key = JSON.stringify([domain ?? null, lesson]);
    if (lesson === "" || seen.has(key)) continue;
    seen.add(key);
    lines.push({ domain, text: lesson, kind: HEURISTIC_WORDS.test(lesson) ? "heuristic" : "observation" });
  }
  return lines;
}
