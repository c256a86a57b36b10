/**
 * The local calendar date of a record, taken once per command as ELF does:
 * `compact` (YYYYMMDD, for file names) and `iso` (YYYY-MM-DD, in the
 * markdown); and the local time of day the same way (`localTime`: HHMMSS and
 * HH:MM:SS), for ELF's `date +%Y%m%d-%H%M%S` session ids and file names.
 */
const twoDigits = (value: number) => String(value).padStart(2, "0");

export function localDate(now: Date): { compact: string; iso: string } {
  const year = String(now.getFullYear()).padStart(4, "0");
  const month = twoDigits(now.getMonth() + 1);
  const day = twoDigits(now.getDate());
  return { compact: `${year}${month}${day}`, iso: `${year}-${month}-${day}` };
}

export function localTime(now: Date): { compact: string; iso: string } {
  const parts = [now.getHours(), now.getMinutes(), now.getSeconds()].map(twoDigits);
  return { compact: parts.join(""), iso: parts.join(":") };
}
