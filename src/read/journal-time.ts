/**
 * Time in a journal's rows, on one clock: UTC.
 *
 * SQLite's CURRENT_TIMESTAMP, which ELF's recorders and lore rely on, writes
 * UTC as `YYYY-MM-DD HH:MM:SS`; ELF's hooks write local time as
 * `YYYY-MM-DDTHH:MM:SS.ffffff`, with no offset. A stored time without an
 * offset is read as UTC, both here and by SQLite's `julianday`; one with an
 * offset (`Z`, `+02:00`) as it says. (ELF's query.py compared local now with
 * these values in its relevance score, and SQLite's UTC in its windows.)
 *
 *   const since = utcTimeBefore(now, 2);            // "2026-11-30 14:00:00"
 *   `WHERE ${withinWindow("created_at")}`           // bind { since }
 *   const age = ageInWholeDays("2026-11-29 10:00:00", now);   // 3, or undefined
 *
 * `withinWindow(column)` is an SQL condition, with the named parameter
 * `@since`, that holds when the column's time is at or after `since`: a
 * range on the text (so an index on the column is used; a `T` sorts after a
 * space, so the range holds every row of the window) and then the exact test
 * on `julianday`, which drops the `T` rows of the window's first day that
 * are earlier than its start.
 */

const MS_PER_DAY = 86_400_000;

const twoDigits = (value: number) => String(value).padStart(2, "0");

/**
 * `YYYY-MM-DD HH:MM:SS` in UTC, `days` before `now`: CURRENT_TIMESTAMP's form
 * (built from its parts: the first toISOString of a process costs about 1 ms).
 */
export function utcTimeBefore(now: Date, days: number): string {
  const time = new Date(now.getTime() - days * MS_PER_DAY);
  const date = `${time.getUTCFullYear()}-${twoDigits(time.getUTCMonth() + 1)}-${twoDigits(time.getUTCDate())}`;
  return `${date} ${twoDigits(time.getUTCHours())}:${twoDigits(time.getUTCMinutes())}:${twoDigits(time.getUTCSeconds())}`;
}

/** SQL: `column` holds a time at or after the parameter `@since` (utcTimeBefore). */
export function withinWindow(column: string): string {
  return `(${column} >= @since AND julianday(${column}) >= julianday(@since))`;
}

const STORED_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** The instant a stored time names (no offset: UTC), in ms since the epoch, or undefined when it is not a time. */
function storedTimeMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = STORED_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, date, time = "00:00:00", fraction = "", offset = "Z"] = match;
  const zone = /^[+-]\d{4}$/.test(offset) ? `${offset.slice(0, 3)}:${offset.slice(3)}` : offset;
  const ms = Date.parse(`${date}T${time}${fraction.slice(0, 4)}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whole days from a stored time to `now` (0 for a time to come), or undefined when it is not a time. */
export function ageInWholeDays(value: unknown, now: Date): number | undefined {
  const ms = storedTimeMs(value);
  if (ms === undefined) return undefined;
  return Math.max(0, Math.floor((now.getTime() - ms) / MS_PER_DAY));
}
