/**
 * The pack and index lore writes for a group of commits (src/git/pack-file.ts),
 * against git itself: `git index-pack` must accept the pack and make the very
 * index lore made, and `git cat-file` must read every object back.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { objectCodecs } from "../src/git/object-codecs.js";
import { packOf } from "../src/git/pack-file.js";
import { git, tempDir } from "./support/journal.js";

describe("a pack of whole objects", () => {
  it("is the pack git's index-pack reads, with the index it makes", () => {
    const codecs = objectCodecs();
    const bodies: Array<["blob" | "tree" | "commit", Buffer]> = [
      ["blob", Buffer.from("# a record\n")],
      ["blob", Buffer.alloc(0)],
      // Sizes whose pack headers take two and three bytes; the last one deflated, not stored.
      ["blob", Buffer.from("x".repeat(300))],
      ["blob", Buffer.from("y\n".repeat(60_000))],
    ];
    const blob = codecs.idOf("blob", bodies[0][1]);
    const tree = Buffer.concat([Buffer.from("100644 a.md\0"), Buffer.from(blob, "hex")]);
    bodies.push(["tree", tree]);
    const commit = `tree ${codecs.idOf("tree", tree)}\nauthor A <a@x> 1796300000 +0000\ncommitter A <a@x> 1796300000 +0000\n\nm\n`;
    bodies.push(["commit", Buffer.from(commit)]);
    const objects = bodies.map(([type, body]) => ({ id: codecs.idOf(type, body), type, body }));
    const pack = packOf(objects, codecs);
    expect(pack).toBeDefined();
    if (pack === undefined) return;

    const dir = tempDir("lore-pack-");
    git(dir, ["init", "-q"]);
    const packDir = path.join(dir, ".git", "objects", "pack");
    fs.writeFileSync(path.join(packDir, `pack-${pack.name}.pack`), pack.pack);
    git(dir, ["index-pack", "-o", path.join(dir, "by-git.idx"), path.join(packDir, `pack-${pack.name}.pack`)]);
    expect(fs.readFileSync(path.join(dir, "by-git.idx")).equals(pack.index)).toBe(true);

    fs.writeFileSync(path.join(packDir, `pack-${pack.name}.idx`), pack.index);
    expect(git(dir, ["verify-pack", path.join(packDir, `pack-${pack.name}.idx`)])).toBe("");
    for (const { id, type, body } of objects) {
      expect(git(dir, ["cat-file", "-t", id]).trim()).toBe(type);
      expect(execFileSync("git", ["cat-file", type, id], { cwd: dir }).equals(body)).toBe(true);
    }
  });
});
