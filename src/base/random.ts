/**
 * Random bytes and random (version 4) UUIDs, for record ids, lock tokens and
 * unique names, without loading node:crypto.
 *
 *   randomBytes(8).toString("hex")   // a lock owner's token
 *   randomUuid()                     // "1b4e28ba-2fa1-4d2e-8f1c-..."
 *   randomUuidInBulk()               // the same, for many ids in a row (sync restoring files of rows)
 *
 * Where the system has `/dev/urandom` (Linux, macOS, the BSDs), the bytes are
 * read from it: the kernel's CSPRNG, the source node:crypto itself seeds from.
 * Elsewhere (Windows), or if it cannot be read, they come from node:crypto,
 * loaded then. Either way they are cryptographically random, so ids made on
 * different machines do not collide. They throw only when no source
 * works at all. Why not node:crypto always: docs/PERFORMANCE.md#what-was-tried
 * `randomUuidInBulk` is node:crypto's, loaded at its first call: it draws
 * from a pool, about 0.6 µs an id against 9 µs for a read of the device
 * each, which a sync restoring the files of 100,000 rows would pay in full.
 */
import fs from "node:fs";
import { createRequire } from "node:module";

const requireHere = createRequire(import.meta.filename);

function fromDevUrandom(count: number): Buffer | undefined {
  if (process.platform === "win32") return undefined;
  let fd: number;
  try {
    fd = fs.openSync("/dev/urandom", "r");
  } catch {
    return undefined;
  }
  try {
    const bytes = Buffer.alloc(count);
    let filled = 0;
    while (filled < count) {
      const read = fs.readSync(fd, bytes, filled, count - filled, null);
      if (read <= 0) return undefined;
      filled += read;
    }
    return bytes;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export function randomBytes(count: number): Buffer {
  return fromDevUrandom(count) ?? (requireHere("node:crypto") as typeof import("node:crypto")).randomBytes(count);
}

/** An RFC 9562 version 4 UUID, lower case: 122 random bits. */
export function randomUuid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let bulkCrypto: typeof import("node:crypto") | undefined;

/** A version 4 UUID from node:crypto's pool (loaded at the first call), for callers that make many. */
export function randomUuidInBulk(): string {
  bulkCrypto ??= requireHere("node:crypto") as typeof import("node:crypto");
  return bulkCrypto.randomUUID();
}
