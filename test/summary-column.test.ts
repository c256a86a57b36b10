// A failure's `learnings.summary` (src/journal/summary-column.ts), checked
// against the real thing: for every summary below, a real bash child process
// derives the column the way ELF's record-failure.sh does (sed strips colour
// sequences, tr strips control characters and turns line breaks into spaces,
// each step in a command substitution; then `echo -e`, `head -n 1` and a
// plain `echo`), and lore's reading of the same summary must give exactly that
// value: `summaryColumn` where ELF kept the whole text, `elfRecorderSummary`
// where its `echo -e` made it shorter. Then sync's comparison (editedColumns)
// takes either as in sync, and a failure file read back (recordsOf) carries
// both.
import { describe, expect, it } from "vitest";
import { recordsOf } from "../src/journal/journal-file.js";
import { elfRecorderSummary, summaryColumn } from "../src/journal/summary-column.js";
import { editedColumns } from "../src/sync/match.js";
import { ELF_FAILURE_SECTIONS, elfSummaryColumn } from "./support/elf-format.js";

/** Summaries with real line breaks, as flags and variables give them, and other text ELF kept whole. */
const WHOLE = [
  "one line",
  "Pushed the wrong build.\nRolled back.\n",
  "\n\nstarts after blank lines",
  "ends with blank lines\n\n\n",
  "  indented\n\t\ttabbed  \n",
  "blank\n\n\nlines inside",
  "crlf\r\nline ends\r\n",
  "lone\rreturn",
  "\u001b[31mred\u001b[0m and \u001b[1;4mbold\u001b[m\nnext line",
  "bell\u0007, erase \u001b[2Jscreen, \u001b[?25lcursor",
  "form\ffeed, vertical\vtab, delete\u007f",
  "C1 control \u0085 and line separator \u2028 are kept",
  "Résumé: 💥\nשורה שנייה بالعربية\ne\u0301 (combining)\n\tend 🧪",
  "- a list\n- of steps",
  "-",
  "--",
  "-x",
  "a trailing backslash stays\\",
  "\\😀 an emoji after a backslash stays",
  "unknown escapes stay: \\q \\' \\\" \\? \\d",
  "   ",
  "",
];

/** Summaries that ELF's `echo -e` cut or changed: backslash escapes, echo's own options, the prompt's literal \n. */
const SHORTENED = [
  "line one\\nline two\\n",
  "C:\\new\\table",
  "tab\\there",
  "cut\\chere",
  "back\\\\slash",
  "\\x41\\0101\\101 \\x \\xZZ",
  "\\0 nul and \\x00 too",
  "u\\u00e9 \\U0001F600 \\u",
  "\\a\\b\\e\\E\\f\\r\\v",
  "-n",
  "-e",
  "-E",
  "-neE",
  "real\nbreak then \\n escape",
];

describe("summaryColumn and elfRecorderSummary: the row ELF's recorder inserts", () => {
  it("keeps the whole text, line breaks as spaces, where ELF did: exactly bash's result", () => {
    for (const summary of WHOLE) {
      expect([summaryColumn(summary), elfRecorderSummary(summary)], JSON.stringify(summary)).toEqual([
        elfSummaryColumn(summary),
        undefined,
      ]);
    }
  });

  it("gives ELF's other rendering where its echo -e changed the text: exactly bash's result", () => {
    for (const summary of SHORTENED) {
      const elf = elfSummaryColumn(summary);
      expect(elfRecorderSummary(summary), JSON.stringify(summary)).toBe(elf);
      expect(summaryColumn(summary), JSON.stringify(summary)).not.toBe(elf);
    }
  });

  it("examples: what lore stores, and what ELF's interactive prompt left", () => {
    expect(summaryColumn("Pushed the wrong build.\nRolled back.\n")).toBe("Pushed the wrong build. Rolled back.");
    expect(summaryColumn("\nfirst\n\n\tsecond  \nthird\n\n")).toBe(" first  \tsecond   third");
    expect(summaryColumn("a\r\nb\u001b[31mc")).toBe("a bc");
    // The prompt joins the lines with a literal \n: the row holds the first line only.
    expect(summaryColumn("line one\\nline two\\n")).toBe("line one\\nline two\\n");
    expect(elfRecorderSummary("line one\\nline two\\n")).toBe("line one");
    expect(elfRecorderSummary("C:\\new")).toBe("C:");
  });

  it("costs nothing extra for a plain one-line summary (the same string back)", () => {
    const summary = "x".repeat(1000);
    expect(summaryColumn(summary)).toBe(summary);
    expect(elfRecorderSummary(summary)).toBeUndefined();
  });
});

function elfFailureFile(summary: string): string {
  return [
    "# Lock race",
    "",
    "**Domain**: concurrency",
    "**Severity**: 4",
    "**Tags**: lock",
    "**Date**: 2025-12-01  # TIME-FIX-3: Use consistent captured date",
    "",
    "## Summary",
    "",
    summary,
    "",
    ...ELF_FAILURE_SECTIONS,
    "",
  ].join("\n");
}

describe("a failure file read back, and sync's comparison", () => {
  const path = "memory/failures/20251201_lock-race.md";
  const rowWith = (summary: string | null) => ({
    table: "learnings" as const,
    id: 1,
    loreId: null,
    values: {
      id: 1,
      type: "failure",
      filepath: path,
      title: "Lock race",
      summary,
      tags: "lock",
      domain: "concurrency",
      severity: 4,
    },
  });

  it("a multi-line summary: the row must hold all of it; its first line alone is an edit", () => {
    const [record] = recordsOf(path, elfFailureFile("Two writers.\nOne lost.\n\nBoth retried."));
    expect(record.columns.summary).toBe("Two writers. One lost.  Both retried.");
    expect(record.alsoInSync).toBeUndefined();
    expect(editedColumns(record, rowWith("Two writers. One lost.  Both retried."), false)).toEqual([]);
    expect(editedColumns(record, rowWith("Two writers."), false)).toEqual(["summary"]);
    expect(editedColumns(record, rowWith("Two writers.\nOne lost.\n\nBoth retried."), false)).toEqual(["summary"]);
  });

  it("a summary ELF's echo -e shortened: ELF's row is in sync, and the whole text stays what lore writes", () => {
    const [record] = recordsOf(path, elfFailureFile("line one\\nline two\\n"));
    expect(record.columns.summary).toBe("line one\\nline two\\n");
    expect(record.alsoInSync).toEqual({ summary: "line one" });
    expect(editedColumns(record, rowWith("line one"), false)).toEqual([]);
    expect(editedColumns(record, rowWith("line one\\nline two\\n"), false)).toEqual([]);
    expect(editedColumns(record, rowWith("line"), false)).toEqual(["summary"]);
  });

  it("CRLF files read as LF: the same column", () => {
    const [record] = recordsOf(path, elfFailureFile("a\nb").replace(/\n/g, "\r\n"));
    expect(record.columns.summary).toBe("a b");
  });
});
