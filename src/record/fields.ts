/**
 * Field rules shared by the record commands: every value a user gives passes
 * one of these checks or is rejected with `InvalidFieldError` (base/errors.ts),
 * whose message is one line naming the field and the rule ("severity: must be
 * 1-5 or low, medium, high, critical (got \"9\")"). Nothing here writes
 * anything.
 *
 * - `singleLine(field, value, max)`: at most `max` characters (code points,
 *   counted before trimming, as ELF does), no control characters at all (nor
 *   U+2028/U+2029, which end a line in the parsers); the value is trimmed.
 * - `multiLine(field, value, max)`: at most `max` characters; newline and tab
 *   are allowed, every other control character (carriage return and ANSI
 *   escapes included) is rejected; the value is kept exactly.
 * - Both reject U+FFFD: Node decodes arguments and environment variables as
 *   UTF-8 and puts U+FFFD where a byte is not, so a value that held bytes that
 *   are not UTF-8 reaches lore with U+FFFD in it, and storing it would lose
 *   those bytes without a word (docs/DESIGN.md#text-lore-cannot-read).
 * - `required(field, value)`: not the empty string (callers pass it trimmed).
 * - `domainName(field, value)`: a category name, never a path.
 */
import { InvalidFieldError } from "../base/errors.js";

// Control characters, and U+2028/U+2029, which end a line in the markdown parsers' patterns.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the input rule rejects control characters
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, newline and tab allowed
const CONTROL_EXCEPT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

function codePointsAtMost(value: string, max: number): boolean {
  if (value.length <= max) return true;
  let count = 0;
  for (const _ of value) if (++count > max) return false;
  return true;
}

function describeControl(value: string, pattern: RegExp): string {
  const match = pattern.exec(value) as RegExpExecArray;
  const codePoint = (match[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
  return `U+${codePoint} at position ${match.index + 1}`;
}

/** Node's replacement for bytes that are not UTF-8. */
const DECODING_LOSS = "\uFFFD";

function checkLengthAndEncoding(field: string, value: string, max: number): void {
  if (!codePointsAtMost(value, max)) {
    throw new InvalidFieldError(field, `must be at most ${max} characters (got ${[...value].length})`);
  }
  const lost = value.indexOf(DECODING_LOSS);
  if (lost >= 0) {
    throw new InvalidFieldError(
      field,
      `must be valid UTF-8 (found U+FFFD at position ${lost + 1}, where a byte that is not UTF-8 was read)`,
    );
  }
}

export function singleLine(field: string, value: string, max: number): string {
  checkLengthAndEncoding(field, value, max);
  if (ANY_CONTROL.test(value)) {
    throw new InvalidFieldError(
      field,
      `must be one line without control characters (found ${describeControl(value, ANY_CONTROL)})`,
    );
  }
  return value.trim();
}

export function multiLine(field: string, value: string, max: number): string {
  checkLengthAndEncoding(field, value, max);
  if (CONTROL_EXCEPT_NEWLINE_AND_TAB.test(value)) {
    throw new InvalidFieldError(
      field,
      `must not contain control characters other than newline and tab (found ${describeControl(value, CONTROL_EXCEPT_NEWLINE_AND_TAB)})`,
    );
  }
  return value;
}

export function required(field: string, value: string): string {
  if (value === "") throw new InvalidFieldError(field, "must not be empty");
  return value;
}

export function domainName(field: string, value: string, max: number): string {
  const domain = required(field, singleLine(field, value, max));
  if (/[/\\]/.test(domain) || domain === "..") {
    throw new InvalidFieldError(
      field,
      `must be a name, not a path: no "/", "\\" or ".." (got ${JSON.stringify(domain)})`,
    );
  }
  return domain;
}
