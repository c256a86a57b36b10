// Random ids without node:crypto (src/base/random.ts): record ids and lock
// tokens must be well formed and must not repeat. (Ids made by processes
// started at once are checked by test/parallel.test.ts.)
import { describe, expect, it } from "vitest";
import { randomBytes, randomUuid } from "../src/base/random.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("random ids", () => {
  it("are version 4 UUIDs, all distinct", () => {
    const ids = Array.from({ length: 5000 }, () => randomUuid());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("use every bit: over many ids each random bit is sometimes 0 and sometimes 1", () => {
    const seenSet = Buffer.alloc(16);
    const seenClear = Buffer.alloc(16);
    for (let round = 0; round < 200; round++) {
      const bytes = randomBytes(16);
      for (let index = 0; index < 16; index++) {
        seenSet[index] |= bytes[index];
        seenClear[index] |= ~bytes[index] & 0xff;
      }
    }
    expect(seenSet.every((byte) => byte === 0xff)).toBe(true);
    expect(seenClear.every((byte) => byte === 0xff)).toBe(true);
  });

  it("give the asked number of bytes", () => {
    expect(randomBytes(0).length).toBe(0);
    expect(randomBytes(33).length).toBe(33);
  });
});
