/**
 * One journal markdown file as sync sees it: its content id and the records
 * it holds, each with the row values the database should have for it.
 *
 *   const file = readJournalFile(layout, "memory/failures/20260101_x.md", "sha1");
 *   file.records   // FileRecord[] in file order (empty when file.problem is set)
 *   file.problem   // unparseable, or git conflict markers, with the line
 *
 *   const text = readSoundRecordFile(layout, relative);   // a file lore is about to rewrite
 *
 * `recordsOfBytes` is the one judgement of a record file's bytes that sync
 * (here), a record or write-back about to rewrite a file
 * (`readSoundRecordFile`) and the pre-commit check (hooks/staged-check.ts)
 * share: bytes that are not UTF-8 (its line is the first bad byte's), or that
 * the parsers cannot read as records (a block cut short among them), are
 * `unparseable`; git conflict markers are `conflict-markers`.
 * `readSoundRecordFile` throws `DamagedFileError` (exit 4) for either, naming
 * the file and line, so that lore never rewrites bytes it did not write.
 *
 * The content id is git's blob id of the bytes (`sha1` or `sha256`, as the
 * repository uses), so a file that git reports clean can be matched against
 * what sync verified before without reading it. The stat is taken before and
 * after the read; `settled` is false when the file changed meanwhile.
 *
 * Row values follow ELF's rules for reading files back (sync-db-markdown.sh):
 * a failure without a Domain line gets `unknown`, without a valid Severity 3,
 * and its row summary is its whole Summary as ELF's recorder stores it
 * (summary-column.ts: line breaks turned into spaces, control characters
 * removed); a heuristic's domain is its file name (or a YAML front matter's
 * `domain:`). Where ELF's recorder stored a shorter rendering of the same
 * summary (its `echo -e`), that value is in `alsoInSync`: a row holding it is
 * in sync, and sync never writes it. An observation (lore's
 * `memory/successes/obs_*.md`, observation-markdown.ts) is read as a failure
 * is, with type `observation` and severity 1 when its Severity line is
 * missing. Which files are record files is a matter of their path alone
 * (`isJournalFilePath`, RECORD_DIRECTORIES). Nothing here writes.
 */
import { isUtf8 } from "node:buffer";
import fs from "node:fs";
import { createRequire } from "node:module";
import { ExitCode, LoreError } from "../base/errors.js";
import { keptVersionId, readBytesIfPresent } from "../io/durable-file.js";
import type { JournalLayout } from "./layout.js";
import { journalAbsolutePath } from "./layout.js";
import { MarkdownParseError, parseFailure } from "./failure-markdown.js";
import { OBSERVATION_SEVERITY, OBSERVATION_TYPE, parseObservation } from "./observation-markdown.js";
import { elfRecorderSummary, summaryColumn } from "./summary-column.js";

/** ELF's table of each kind of record: failures in `learnings`, heuristics in `heuristics`. */
export type RecordTable = "learnings" | "heuristics";
import { parseHeuristicFile } from "./heuristic-markdown.js";

export type HashAlgorithm = "sha1" | "sha256";

export interface FileStat {
  size: number;
  mtimeMs: number;
  ino: string;
}

export interface FileRecord {
  table: RecordTable;
  /** The file, relative to the journal base, with `/`. */
  path: string;
  /** 1-based line of the record's heading. */
  line: number;
  loreId: string | undefined;
  /** A heuristic's `H-<id>`; undefined for failures and other heading styles. */
  headingId: number | undefined;
  /** The compared columns (schema.ts COMPARED_COLUMNS, lore_id aside), as the row should hold them. */
  columns: Record<string, string | number>;
  /** Values a new row gets that the file holds but sync does not compare (a heuristic's confidence). */
  insertOnly: Record<string, string | number>;
  /**
   * Other values of a compared column that count as in sync with the record
   * (what ELF's recorder stored for a failure's summary, where that differs
   * from `columns.summary`); never written to a row.
   */
  alsoInSync?: Record<string, string>;
}

export interface FileProblem {
  type: "unparseable" | "conflict-markers";
  line: number;
  message: string;
}

export interface JournalFileContent {
  path: string;
  stat: FileStat;
  contentId: string;
  /** False when the file changed while it was read: verify it again next time. */
  settled: boolean;
  records: FileRecord[];
  problem: FileProblem | undefined;
}

export const FAILURES_DIR = "memory/failures";
export const HEURISTICS_DIR = "memory/heuristics";
/** ELF's directory of successes; lore's files in it are its observations, named `obs_...`. */
export const SUCCESSES_DIR = "memory/successes";
export const OBSERVATION_FILE_PREFIX = "obs_";

/**
 * The directories that hold record files, each with how a record file's name
 * starts there: every `.md` file of `memory/failures` and
 * `memory/heuristics`, and only lore's observation files of
 * `memory/successes` (ELF's pattern files there, `<YYYYMMDD>_<slug>.md`, are
 * not lore's and never read).
 */
export const RECORD_DIRECTORIES: ReadonlyArray<{ directory: string; namePrefix: string }> = [
  { directory: FAILURES_DIR, namePrefix: "" },
  { directory: HEURISTICS_DIR, namePrefix: "" },
  { directory: SUCCESSES_DIR, namePrefix: OBSERVATION_FILE_PREFIX },
];

/** ELF's sync skips these names in both record directories. */
const NOT_RECORDS = new Set(["TEMPLATE.md"]);

/** The record directory of a path (relative, with `/`) and its file name; the directory undefined when none. */
function inRecordDirectory(relative: string): { namePrefix: string | undefined; name: string } {
  const slash = relative.lastIndexOf("/");
  const directory = relative.slice(0, slash);
  const name = relative.slice(slash + 1);
  return { namePrefix: RECORD_DIRECTORIES.find((entry) => entry.directory === directory)?.namePrefix, name };
}

/** Whether a path (relative, with `/`) names a journal record file. */
export function isJournalFilePath(relative: string): boolean {
  const { namePrefix, name } = inRecordDirectory(relative);
  return namePrefix !== undefined && name.startsWith(namePrefix) && name.endsWith(".md") && !NOT_RECORDS.has(name);
}

/**
 * A temp file write-file-atomic leaves behind (`<name>.md.<digits>`) beside a
 * record file, or a version a transaction kept there (`.<name>.md.<id>.kept`,
 * io/durable-file.ts).
 */
export function isRecordTempPath(relative: string): boolean {
  const { namePrefix, name } = inRecordDirectory(relative);
  return (
    namePrefix !== undefined &&
    name.replace(/^\./, "").startsWith(namePrefix) &&
    (/\.md\.\d+$/.test(relative) || keptVersionId(relative) !== undefined)
  );
}

export function statFile(file: string): FileStat | undefined {
  const stats = fs.statSync(file, { throwIfNoEntry: false });
  if (!stats?.isFile()) return undefined;
  return { size: stats.size, mtimeMs: stats.mtimeMs, ino: String(stats.ino) };
}

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** node:crypto, loaded when a blob id is first asked for: a record never asks, and its start-up stays without it. */
let crypto: typeof import("node:crypto") | undefined;

/** git's object id of a blob with these bytes. */
export function blobId(bytes: Buffer, algorithm: HashAlgorithm): string {
  crypto ??= createRequire(import.meta.filename)("node:crypto") as typeof import("node:crypto");
  return crypto.createHash(algorithm).update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** The 1-based number of the first line that starts with `prefix`, or 0 (lines end at `\n`). */
function firstLineStartingWith(text: string, prefix: string): number {
  for (let start = 0, line = 1; ; line++) {
    if (text.startsWith(prefix, start)) return line;
    const end = text.indexOf("\n", start);
    if (end < 0) return 0;
    start = end + 1;
  }
}

/** A failure's or an observation's record: the one record of its file, a `learnings` row. */
function learningRecord(relative: string, text: string, type: "failure" | typeof OBSERVATION_TYPE): FileRecord {
  const parsed = type === "failure" ? parseFailure(text) : parseObservation(text);
  const summary = summaryColumn(parsed.summary);
  // ELF's recorder wrote failures only: an observation's row is lore's own rendering.
  const recorded = type === "failure" ? elfRecorderSummary(parsed.summary) : undefined;
  const titleLine = firstLineStartingWith(text, "# ");
  return {
    table: "learnings",
    path: relative,
    line: titleLine,
    loreId: parsed.loreId,
    headingId: undefined,
    columns: {
      type,
      filepath: relative,
      title: parsed.title,
      summary,
      tags: parsed.tags,
      domain: parsed.domain === "" ? "unknown" : parsed.domain,
      severity: parsed.severity ?? (type === "failure" ? 3 : OBSERVATION_SEVERITY),
    },
    insertOnly: {},
    ...(recorded === undefined ? {} : { alsoInSync: { summary: recorded } }),
  };
}

function heuristicRecords(relative: string, text: string): FileRecord[] {
  const fileDomain = relative.slice(relative.lastIndexOf("/") + 1, -".md".length);
  return parseHeuristicFile(text).map((block) => ({
    table: "heuristics",
    path: relative,
    line: block.line,
    loreId: block.loreId,
    headingId: block.id,
    columns: {
      domain: block.domain ?? fileDomain,
      rule: block.rule,
      explanation: block.explanation,
      source_type: block.source,
    },
    insertOnly: { confidence: block.confidence },
  }));
}

const CONFLICT_START = /^<{7}(?: |$)/;
const CONFLICT_MIDDLE = /^={7}$/;
const CONFLICT_END = /^>{7}(?: |$)/;

/** The line of a git conflict (`<<<<<<<`, `=======`, `>>>>>>>` in order), or undefined. */
export function conflictMarkerLine(text: string): number | undefined {
  // No line can start a conflict: the common case, without splitting the text.
  if (!text.includes("<<<<<<<")) return undefined;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const start = lines.findIndex((line) => CONFLICT_START.test(line));
  if (start < 0) return undefined;
  const middle = lines.findIndex((line, at) => at > start && CONFLICT_MIDDLE.test(line));
  if (middle < 0) return undefined;
  return lines.some((line, at) => at > middle && CONFLICT_END.test(line)) ? start + 1 : undefined;
}

/** The records of a file's text; throws MarkdownParseError when it cannot be read as a record file. */
export function recordsOf(relative: string, text: string): FileRecord[] {
  if (relative.startsWith(`${FAILURES_DIR}/`)) return [learningRecord(relative, text, "failure")];
  if (relative.startsWith(`${SUCCESSES_DIR}/`)) return [learningRecord(relative, text, OBSERVATION_TYPE)];
  return heuristicRecords(relative, text);
}

/** The 1-based line of the first byte of `bytes` that is not UTF-8, or undefined when they all are. */
export function firstNonUtf8Line(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  // A newline byte is never part of a multi-byte character: some line holds the bad byte.
  for (let start = 0, line = 1; ; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end)) || newline < 0) return line;
    start = newline + 1;
  }
}

export type RecordBytes =
  | { text: string; records: FileRecord[]; problem?: undefined }
  | { problem: FileProblem; text?: undefined; records?: undefined };

/** A record file's bytes read as records, or what stops that (see the header). */
export function recordsOfBytes(relative: string, bytes: Buffer): RecordBytes {
  const badLine = firstNonUtf8Line(bytes);
  if (badLine !== undefined) return { problem: { type: "unparseable", line: badLine, message: "not valid UTF-8" } };
  const text = bytes.toString("utf8");
  const conflictLine = conflictMarkerLine(text);
  if (conflictLine !== undefined) {
    return { problem: { type: "conflict-markers", line: conflictLine, message: "git conflict markers" } };
  }
  try {
    return { text, records: recordsOf(relative, text) };
  } catch (error) {
    if (!(error instanceof MarkdownParseError)) throw error;
    return { problem: { type: "unparseable", line: error.line, message: error.message.replace(/^line \d+: /, "") } };
  }
}

/** A record file lore would rewrite is damaged: nothing was written. */
export class DamagedFileError extends LoreError {
  readonly exitCode = ExitCode.Damaged;
  constructor(
    readonly path: string,
    readonly problem: FileProblem,
  ) {
    super(
      `refusing to write into ${path}:${problem.line}: ${problem.message}; nothing was written ` +
        "(repair the file by hand or from git; `lore sync` lists such files)",
    );
  }
}

/**
 * The text of the record file `relative`, which a writer is about to rewrite
 * whole, or undefined when there is none; DamagedFileError when its bytes are
 * not sound records (recordsOfBytes).
 */
export function readSoundRecordFile(layout: JournalLayout, relative: string): string | undefined {
  const bytes = readBytesIfPresent(journalAbsolutePath(layout, relative));
  if (bytes === undefined) return undefined;
  const read = recordsOfBytes(relative, bytes);
  if (read.problem) throw new DamagedFileError(relative, read.problem);
  return read.text;
}

/**
 * A copy of `text` that does not keep its source alive. V8 makes substrings
 * as views into the whole string they were cut from, so a record's title
 * would otherwise hold its whole file in memory; a sync that reads 100,000
 * files would hold them all.
 */
function detached(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

function detachRecord(record: FileRecord): FileRecord {
  const copy = (values: Record<string, string | number>) =>
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? detached(value) : value]),
    );
  return {
    ...record,
    loreId: record.loreId === undefined ? undefined : detached(record.loreId),
    columns: copy(record.columns),
    insertOnly: copy(record.insertOnly),
    ...(record.alsoInSync === undefined ? {} : { alsoInSync: copy(record.alsoInSync) as Record<string, string> }),
  };
}

/**
 * One buffer, reused for every file read: reading 100,000 files into buffers
 * of their own would leave their bytes to the garbage collector, and a
 * rebuild's peak memory would grow with the journal.
 */
let readBuffer = Buffer.alloc(64 * 1024);

/** The file's bytes, in `readBuffer` (valid until the next call); undefined when it is gone. */
function readIntoBuffer(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === readBuffer.length) {
        const larger = Buffer.alloc(readBuffer.length * 2);
        readBuffer.copy(larger);
        readBuffer = larger;
      }
      const read = fs.readSync(fd, readBuffer, length, readBuffer.length - length, null);
      if (read === 0) return readBuffer.subarray(0, length);
      length += read;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads and parses one journal file. Returns undefined when the file is gone
 * (deleted since it was listed).
 */
export function readJournalFile(
  layout: JournalLayout,
  relative: string,
  algorithm: HashAlgorithm,
): JournalFileContent | undefined {
  const absolute = journalAbsolutePath(layout, relative);
  const before = statFile(absolute);
  if (!before) return undefined;
  const bytes = readIntoBuffer(absolute);
  if (!bytes) return undefined;
  const after = statFile(absolute);
  const content: JournalFileContent = {
    path: relative,
    stat: before,
    contentId: blobId(bytes, algorithm),
    settled: after !== undefined && sameStat(before, after) && bytes.length === before.size,
    records: [],
    problem: undefined,
  };
  const read = recordsOfBytes(relative, bytes);
  if (read.problem) content.problem = read.problem;
  else content.records = read.records.map(detachRecord);
  return content;
}
