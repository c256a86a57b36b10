/**
 * `lore query --format json|csv|text`: a mode's result as text for stdout.
 *
 *   formatResult(result, "json")   // result: a RowList (a list mode) or an object (domain, stats, violations)
 *
 * - json: as query.py prints it: 2-space indent; a list mode is a list of row
 *   objects, keys in column order; an object mode is that object.
 * - csv: what any CSV reader reads (RFC 4180: a field with a comma, a quote
 *   or a line break is quoted, quotes doubled; lines end in CRLF, as Python's
 *   csv module writes them; NULL is an empty field). A list mode is a header
 *   of its columns, also when it found no row (query.py printed `[]`), then
 *   one line per row. An object mode (query.py printed a Python repr) is a
 *   `key,value` table with a line per value: nested keys joined by dots,
 *   list items by their index (`heuristics.0.rule`); an empty list or object
 *   gives no line.
 * - text: query.py's: an object prints `key: value` per key, a nested list
 *   or object as `key:` followed by it; a list prints each item after a
 *   blank line and `--- Item <n> ---`; an empty list, one empty line. NULL
 *   prints as `None`, as Python's.
 */
import type { OutputFormat } from "./query-input.js";
import type { RowList } from "./query-selections.js";

export type QueryResult = RowList | object;

function isRowList(result: QueryResult): result is RowList {
  return Array.isArray((result as RowList).rows) && Array.isArray((result as RowList).columns);
}

export function formatResult(result: QueryResult, format: OutputFormat): string {
  const value = isRowList(result) ? result.rows : result;
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  if (format === "text") return `${textOf(value)}\n`;
  return isRowList(result) ? csvTable(result) : csvOfObject(result);
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

function csvTable(list: RowList): string {
  const columns = list.columns.length > 0 ? list.columns : Object.keys(list.rows[0] ?? {});
  return csvLine(columns) + list.rows.map((row) => csvLine(columns.map((column) => row[column]))).join("");
}

/** [dotted key, value] for every value that is not an object or a list. */
function flatten(value: unknown, prefix: string, into: Array<[string, unknown]>): void {
  if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix === "" ? key : `${prefix}.${key}`, into);
  } else {
    into.push([prefix, value]);
  }
}

function csvOfObject(value: object): string {
  const pairs: Array<[string, unknown]> = [];
  flatten(value, "", pairs);
  return csvLine(["key", "value"]) + pairs.map((pair) => csvLine(pair)).join("");
}

function scalarText(value: unknown): string {
  return value === null || value === undefined ? "None" : String(value);
}

function textOf(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "";
    return value.map((item, index) => `\n--- Item ${index + 1} ---\n${textOf(item)}`).join("\n");
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value)
      .map(([key, inner]) =>
        inner !== null && typeof inner === "object" ? `${key}:\n${textOf(inner)}` : `${key}: ${scalarText(inner)}`,
      )
      .join("\n");
  }
  return scalarText(value);
}
