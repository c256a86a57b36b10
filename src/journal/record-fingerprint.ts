/**
 * A record's fingerprint: the hash of the columns sync compares, stored with
 * its row when the two are known to agree (a record written by lore, a sync
 * that found them in sync) and read back as the base of sync's three-way
 * compare.
 *
 *   recordFingerprint(record)   // the record's compared columns, hashed
 *   fingerprintOf(columns)      // the hash of such columns written out
 *
 * Pure; equal fingerprints mean equal compared columns.
 */
import { createHash } from "node:crypto";
import type { FileRecord } from "./journal-file.js";

export function fingerprintOf(columns: string): string {
  return createHash("sha1").update(columns).digest("base64");
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
