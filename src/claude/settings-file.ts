/**
 * A Claude Code settings file (`settings.json`) read as JSON and written back
 * in its own layout.
 *
 *   const settings = readSettingsFile(file);     // SettingsFileError (exit 2) for a file that is not a JSON object
 *   const earlier = parseSettings(file, bytes);  // the same for bytes read before (a backup); undefined: missing
 *   settings.value                               // the parsed object; undefined when the file is missing
 *   const text = renderSettings(value, settings.layout);
 *
 * `readSettingsFile` reads the file's bytes once and parses them. A file that
 * is not valid JSON is refused with one line naming the file and the line and
 * column where parsing stopped (an empty file included: it is not JSON); a
 * value that is not an object is refused too. Nothing is ever written here.
 *
 * The layout is what `renderSettings` keeps of the file when it writes a new
 * value: the indentation of its first indented line (a tab or that many
 * spaces; two spaces when no line is indented), its line ending (`\r\n` when
 * it has one, else `\n`) and whether it ends with one. A missing file gets two
 * spaces, `\n` and a final newline. Key order is the parsed object's, which is
 * the file's (JSON.parse keeps it; integer-like keys, which no setting has,
 * would move first). A file written in exactly this form reads back to the same
 * bytes; any other spacing (a one-line array, aligned values) is rewritten
 * with the indentation above.
 *
 * Errors: SettingsFileError (exit 2); the file system's, as they come.
 */
import fs from "node:fs";
import { ExitCode, LoreError } from "../base/errors.js";
import { readBytesIfPresent } from "../io/durable-file.js";

export type JsonObject = { [key: string]: unknown };

export interface SettingsLayout {
  indent: string;
  eol: "\n" | "\r\n";
  finalNewline: boolean;
}

export interface SettingsFile {
  file: string;
  /** The file's bytes as read; undefined when it does not exist. */
  bytes: Buffer | undefined;
  /** The parsed settings; undefined when the file does not exist. */
  value: JsonObject | undefined;
  layout: SettingsLayout;
}

export class SettingsFileError extends LoreError {
  readonly exitCode = ExitCode.Invalid;
}

const NEW_FILE_LAYOUT: SettingsLayout = { indent: "  ", eol: "\n", finalNewline: true };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Line and column (1-based) of `offset` in `text`. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Where JSON.parse stopped, from its message (`at position N`), else the end of the text. */
function parseErrorPlace(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  const { line, column } = lineAndColumn(text, position ? Number(position[1]) : text.length);
  return `line ${line}, column ${column}`;
}

function layoutOf(text: string): SettingsLayout {
  const indented = /^([ \t]+)\S/m.exec(text);
  const indent = indented ? (indented[1].includes("\t") ? "\t" : indented[1]) : NEW_FILE_LAYOUT.indent;
  return { indent, eol: text.includes("\r\n") ? "\r\n" : "\n", finalNewline: /\n$/.test(text) };
}

export function readSettingsFile(file: string): SettingsFile {
  return parseSettings(file, readBytesIfPresent(file));
}

/** `bytes` (undefined: a missing file) parsed as the settings file `file`, which names it in errors. */
export function parseSettings(file: string, bytes: Buffer | undefined): SettingsFile {
  if (bytes === undefined) return { file, bytes, value: undefined, layout: NEW_FILE_LAYOUT };
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new SettingsFileError(
      `${file} is not valid JSON (${parseErrorPlace(text, message)}: ${message.replace(/ in JSON at position.*$/, "")}); ` +
        "fix it or move it aside; nothing was written",
    );
  }
  if (!isJsonObject(value)) {
    throw new SettingsFileError(
      `${file} must hold one JSON object (it holds ${describeJson(value)}); nothing was written`,
    );
  }
  return { file, bytes, value, layout: layoutOf(text) };
}

export function describeJson(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function renderSettings(value: JsonObject, layout: SettingsLayout): string {
  const text = JSON.stringify(value, null, layout.indent).replaceAll("\n", layout.eol);
  return layout.finalNewline ? `${text}${layout.eol}` : text;
}

/** The file's mode bits, for a copy that must be no more readable than the file. */
export function fileMode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}
