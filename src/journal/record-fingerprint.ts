/**
 * A record's fingerprint: a hash of the columns sync compares, stored with
 * its row when the two are known to agree (a record written by lore, a sync
 * that found them in sync) and read back as the base of sync's three-way
 * compare.
 *
 *   recordFingerprint(record)   // the record's compared columns, hashed
 *   fingerprintOf(columns)      // the hash of such columns written out
 *   hexHash(text)               // 32 hex digits of a text (an id made from text)
 *
 * Pure, and without node:crypto, which a record's start-up never loads: two
 * 53-bit cyrb53 hashes with different seeds. Only equality is asked of a
 * fingerprint, so a collision (about one in 2^100) could only take a changed
 * row for an unchanged one.
 */
import type { FileRecord } from "./journal-file.js";

/** cyrb53 (public domain, bryc): a 53-bit hash of a string's UTF-16 code units. */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ unit, 2654435761);
    h2 = Math.imul(h2 ^ unit, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** 32 hex digits from three cyrb53 hashes of `text`: the same for the same text in every clone. */
export function hexHash(text: string): string {
  return [1, 2, 3]
    .map((seed) => cyrb53(text, seed).toString(16).padStart(14, "0"))
    .join("")
    .slice(0, 32);
}

export function fingerprintOf(columns: string): string {
  return `${cyrb53(columns, 1).toString(36)}.${cyrb53(columns, 2).toString(36)}`;
}

export function recordFingerprint(record: FileRecord): string {
  return fingerprintOf(
    JSON.stringify(
      Object.keys(record.columns)
        .sort()
        .map((column) => [column, String(record.columns[column])]),
    ),
  );
}
