/**
 * A git pack (version 2) and its index (version 2), made in memory from
 * whole objects: what `git fast-import` or `git index-pack` would leave in
 * `objects/pack/`, for many new objects at once (git-objects.ts).
 *
 *   const { name, pack, index } = packOf(objects, codecs);
 *   // write `pack` as pack-<name>.pack and `index` as pack-<name>.idx
 *
 * Each object is stored whole (no deltas): its type and size as the pack's
 * varint header, then its body as a zlib stream (object-codecs.ts). The pack
 * ends with the SHA-1 of all that precedes it, which names both files. The
 * index holds the fan-out table, the ids in order, the CRC-32 of each
 * object's bytes in the pack, their offsets (a pack past 2 GiB is not made
 * here: the caller writes that many bytes as loose objects), the pack's
 * checksum and its own. `objects` must hold each id once.
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import type { ObjectCodecs, ObjectType } from "./object-codecs.js";

const TYPE_CODE: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3 };
const INDEX_MAGIC = 0xff744f63;
const LARGEST_OFFSET = 0x7fffffff;

export interface PackedObject {
  id: string;
  type: ObjectType;
  body: Buffer;
}

export interface PackFile {
  /** The pack's checksum in hex, as the files' names carry it. */
  name: string;
  pack: Buffer;
  index: Buffer;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib's crc32), which the index keeps for each object. */
function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** An object's header in a pack: its type and, seven bits at a time after the first four, its size. */
function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (TYPE_CODE[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** The pack of `objects`, its index and its name; undefined when the pack would pass what a 32-bit offset holds. */
export function packOf(objects: readonly PackedObject[], codecs: ObjectCodecs): PackFile | undefined {
  const header = Buffer.alloc(12);
  header.write("PACK", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  const entries: Array<{ id: Buffer; offset: number; crc: number }> = [];
  let offset = header.length;
  for (const object of objects) {
    const entry = Buffer.concat([entryHeader(object.type, object.body.length), codecs.deflate(object.body)]);
    if (offset > LARGEST_OFFSET) return undefined;
    entries.push({ id: Buffer.from(object.id, "hex"), offset, crc: crc32(entry) });
    parts.push(entry);
    offset += entry.length;
  }
  const checksum = codecs.sha1(...parts);
  const pack = Buffer.concat([...parts, checksum]);
  entries.sort((a, b) => a.id.compare(b.id));
  const count = entries.length;
  const index = Buffer.alloc(8 + 256 * 4 + count * (20 + 4 + 4) + 20);
  index.writeUInt32BE(INDEX_MAGIC, 0);
  index.writeUInt32BE(2, 4);
  let below = 0;
  for (let first = 0; first < 256; first++) {
    while (below < count && entries[below].id[0] === first) below++;
    index.writeUInt32BE(below, 8 + first * 4);
  }
  const idsAt = 8 + 256 * 4;
  const crcsAt = idsAt + count * 20;
  const offsetsAt = crcsAt + count * 4;
  for (const [at, entry] of entries.entries()) {
    entry.id.copy(index, idsAt + at * 20);
    index.writeUInt32BE(entry.crc, crcsAt + at * 4);
    index.writeUInt32BE(entry.offset, offsetsAt + at * 4);
  }
  checksum.copy(index, offsetsAt + count * 4);
  return { name: checksum.toString("hex"), pack, index: Buffer.concat([index, codecs.sha1(index)]) };
}
