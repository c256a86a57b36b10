/**
 * A failure's `learnings.summary`: the row value of the Summary a failure file
 * holds, as ELF's record-failure.sh derives it.
 *
 *   summaryColumn("Pushed the wrong build.\nRolled back.\n")  // "Pushed the wrong build. Rolled back."
 *   elfRecorderSummary("line one\\nline two\\n")              // "line one"
 *
 * `summaryColumn(summary)` is what lore stores and what `lore sync` expects:
 * the whole summary, with ANSI colour sequences (`ESC [ digits-and-; one of
 * mGKHF`) and the control characters other than tab and newline removed, the
 * newlines at its end dropped and every other newline turned into one space.
 * Nothing else is trimmed: leading newlines become spaces, and spaces and tabs
 * stay. This is ELF's own sanitising of the value, so for the summaries ELF's
 * recorder was given as flags or variables (real line breaks) it is exactly
 * the row ELF inserted.
 *
 * `elfRecorderSummary(summary)` is the row ELF's recorder inserted when it
 * differs from that: ELF then passes the value through bash's `echo -e` and
 * keeps its first line, so backslash escapes in the text are interpreted
 * (`\n` ends the value, `\t` becomes a tab, `\c` cuts it, `\\` is one
 * backslash, ...), and a value that reads as an echo option (`-n`, `-e`) is
 * lost. Its interactive prompt joins the lines of a summary with a literal
 * `\n`, so there the row holds the first line only. lore never writes this
 * rendering (it can be shorter than the text); sync accepts it as in sync.
 * undefined when it is the same as `summaryColumn`.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: ELF removes terminal colour sequences
const ANSI_SEQUENCE = /\u001b\[[0-9;]*[mGKHF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ELF removes these control characters (bytes 0-8, 11-31, 127)
const REMOVED_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: any control character, newline included, or an escape's start
const NEEDS_SANITISING = /[\u0000-\u001f\u007f]/;
const TRAILING_NEWLINES = /\n+$/;
/** An argument bash's `echo` takes as its options rather than as text. */
const ECHO_OPTIONS = /^-[neE]+$/;

export function summaryColumn(summary: string): string {
  if (!NEEDS_SANITISING.test(summary)) return summary;
  // ELF's three steps, each in a command substitution that drops the newlines at the end.
  const withoutSequences = summary.replace(ANSI_SEQUENCE, "").replace(TRAILING_NEWLINES, "");
  const withoutControls = withoutSequences.replace(REMOVED_CONTROL, "").replace(TRAILING_NEWLINES, "");
  return withoutControls.replace(/\n/g, " ");
}

/** The one-byte escapes of bash's `echo -e`. */
const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  e: 27,
  E: 27,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
};

/** The bytes bash's `echo -e` prints for `text`, its newline included unless `\c` cut the output. */
function echoE(text: string): Buffer {
  if (ECHO_OPTIONS.test(text)) return Buffer.from(text.includes("n") ? "" : "\n");
  const chars = [...text];
  const parts: Buffer[] = [];
  let plain = "";
  const emit = (bytes: number[] | string) => {
    if (typeof bytes === "string") {
      plain += bytes;
      return;
    }
    parts.push(Buffer.from(plain, "utf8"), Buffer.from(bytes));
    plain = "";
  };
  let at = 0;
  const digits = (pattern: RegExp, max: number): string => {
    let taken = "";
    while (taken.length < max && at < chars.length && pattern.test(chars[at])) taken += chars[at++];
    return taken;
  };
  let cut = false;
  while (at < chars.length && !cut) {
    const char = chars[at++];
    if (char !== "\\" || at === chars.length) {
      emit(char);
      continue;
    }
    const kind = chars[at++];
    if (kind === "c") {
      cut = true;
    } else if (Object.hasOwn(SIMPLE_ESCAPES, kind)) {
      emit([SIMPLE_ESCAPES[kind]]);
    } else if (kind === "0") {
      emit([Number.parseInt(`0${digits(/[0-7]/, 3)}`, 8) & 0xff]);
    } else if (kind === "x") {
      const hex = digits(/[0-9A-Fa-f]/, 2);
      emit(hex === "" ? "\\x" : [Number.parseInt(hex, 16)]);
    } else if (kind === "u" || kind === "U") {
      const hex = digits(/[0-9A-Fa-f]/, kind === "u" ? 4 : 8);
      const codePoint = Number.parseInt(hex, 16);
      if (hex === "") emit(`\\${kind}`);
      else if (codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff))
        emit(String.fromCodePoint(codePoint));
    } else {
      emit(`\\${kind}`);
    }
  }
  parts.push(Buffer.from(cut ? plain : `${plain}\n`, "utf8"));
  return Buffer.concat(parts);
}

/** The text of `$(... | head -n 1)` over these bytes: up to the first newline, NUL bytes dropped. */
function firstLine(bytes: Buffer): string {
  const end = bytes.indexOf(10);
  const line = [...(end < 0 ? bytes : bytes.subarray(0, end))].filter((byte) => byte !== 0);
  return Buffer.from(line).toString("utf8");
}

export function elfRecorderSummary(summary: string): string | undefined {
  const column = summaryColumn(summary);
  if (!column.includes("\\") && !column.startsWith("-")) return undefined;
  const first = firstLine(echoE(column));
  // ELF's SQL quoting then passes the line through a plain `echo`.
  const stored = ECHO_OPTIONS.test(first) ? "" : first;
  return stored === column ? undefined : stored;
}
