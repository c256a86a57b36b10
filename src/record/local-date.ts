/**
 * The local calendar date of a record, taken once per command as ELF does:
 * `compact` (YYYYMMDD, for file names) and `iso` (YYYY-MM-DD, in the markdown).
 */
export function localDate(now: Date): { compact: string; iso: string } {
  const year = String(now.getFullYear()).padStart(4, "0");
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return { compact: `${year}${month}${day}`, iso: `${year}-${month}-${day}` };
}
