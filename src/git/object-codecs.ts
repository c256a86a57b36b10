/**
 * SHA-1 and zlib streams for git's objects and index.
 *
 *   const codecs = objectCodecs();
 *   codecs.sha1(header, body)        // 20 bytes
 *   codecs.idOf("tree", body)        // an object's id, 40 hex digits
 *   codecs.deflate(bytes)            // a zlib stream, as a loose object is stored
 *   codecs.inflate(bytes)            // its bytes back
 *
 * node:crypto is loaded on the first call, node:zlib (which brings Node's
 * streams, 3 to 5 ms of a command's start) only when a stream needs it: a
 * record's objects are small, and up to STORED_MAX bytes `deflate` writes
 * them as zlib's stored blocks (what git writes with core.looseCompression
 * 0; the header, the blocks and the Adler-32 checksum, no compression), so a
 * command that commits its record without git never loads zlib once HEAD's
 * commit is one it wrote. Larger objects (a tree of a directory of thousands
 * of records) are deflated at level 1, as git's core.looseCompression
 * default does. `inflate` reads stored blocks itself and hands anything else
 * to zlib. Both modules are required, not imported: the bundle has no loader
 * for import() (docs/DESIGN.md#on-demand-bundles). Errors: those of zlib for
 * bytes that are no zlib stream; an Error for stored blocks whose lengths or
 * checksum do not hold.
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import { createRequire } from "node:module";

export type ObjectType = "blob" | "tree" | "commit";

export interface ObjectCodecs {
  sha1(...parts: Uint8Array[]): Buffer;
  idOf(type: ObjectType, body: Buffer): string;
  deflate(bytes: Buffer): Buffer;
  inflate(bytes: Buffer): Buffer;
}

/** Objects up to this size are stored, not compressed: a record's file, its commit, a small tree. */
const STORED_MAX = 64 * 1024;
/** The largest stored block. */
const BLOCK_MAX = 0xffff;
const ADLER_MODULUS = 65521;

const requireBuiltin = createRequire(import.meta.filename);

function zlib(): typeof import("node:zlib") {
  return requireBuiltin("node:zlib") as typeof import("node:zlib");
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 bytes at most between two reductions keep both sums below 2^32 (zlib's NMAX).
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let at = start; at < end; at++) {
      a += bytes[at];
      b += a;
    }
    a %= ADLER_MODULUS;
    b %= ADLER_MODULUS;
  }
  return ((b << 16) | a) >>> 0;
}

/** `bytes` as a zlib stream of stored blocks. */
function storedStream(bytes: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(bytes.length / BLOCK_MAX));
  const stream = Buffer.alloc(2 + blocks * 5 + bytes.length + 4);
  stream[0] = 0x78; // deflate, 32K window
  stream[1] = 0x01; // no dictionary, fastest; (0x78 * 256 + 0x01) % 31 === 0
  let at = 2;
  for (let block = 0; block < blocks; block++) {
    const start = block * BLOCK_MAX;
    const length = Math.min(BLOCK_MAX, bytes.length - start);
    stream[at] = block === blocks - 1 ? 1 : 0; // BFINAL; BTYPE 00, stored
    stream.writeUInt16LE(length, at + 1);
    stream.writeUInt16LE(~length & 0xffff, at + 3);
    bytes.copy(stream, at + 5, start, start + length);
    at += 5 + length;
  }
  stream.writeUInt32BE(adler32(bytes), at);
  return stream;
}

/** The bytes of a zlib stream made only of stored blocks; undefined for any other stream. */
function storedBytes(stream: Buffer): Buffer | undefined {
  if (stream.length < 2 || (stream[0] & 0x0f) !== 8 || stream[1] & 0x20) return undefined;
  const parts: Buffer[] = [];
  let at = 2;
  for (;;) {
    if (at + 5 > stream.length || (stream[at] & 0x06) !== 0) return undefined;
    const final = stream[at] & 1;
    const length = stream.readUInt16LE(at + 1);
    if ((~length & 0xffff) !== stream.readUInt16LE(at + 3) || at + 5 + length > stream.length)
      throw new Error("a stored zlib block whose lengths do not hold");
    parts.push(stream.subarray(at + 5, at + 5 + length));
    at += 5 + length;
    if (final) break;
  }
  const bytes = Buffer.concat(parts);
  if (at + 4 > stream.length || stream.readUInt32BE(at) !== adler32(bytes))
    throw new Error("a stored zlib stream whose checksum does not hold");
  return bytes;
}

let loaded: ObjectCodecs | undefined;

export function objectCodecs(): ObjectCodecs {
  if (loaded) return loaded;
  const crypto = requireBuiltin("node:crypto") as typeof import("node:crypto");
  const sha1 = (...parts: Uint8Array[]): Buffer => {
    const hash = crypto.createHash("sha1");
    for (const part of parts) hash.update(part);
    return hash.digest();
  };
  loaded = {
    sha1,
    idOf: (type, body) => sha1(Buffer.from(`${type} ${body.length}\0`), body).toString("hex"),
    deflate: (bytes) => (bytes.length <= STORED_MAX ? storedStream(bytes) : zlib().deflateSync(bytes, { level: 1 })),
    inflate: (bytes) => storedBytes(bytes) ?? zlib().inflateSync(bytes),
  };
  return loaded;
}
