/**
 * ELF's query.py's way of shortening a field it shows: the first `max`
 * characters, then `...`; a value no longer than `max` as it is, a missing
 * one (NULL) as the empty string.
 */
export function clip(value: unknown, max: number): string {
  const text = String(value ?? "");
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
