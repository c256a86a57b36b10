/**
 * git's object database, read and written without git: loose objects only.
 *
 *   const objects = new LooseObjects(repo, { durable });
 *   const id = objects.write("blob", bytes);     // its id; nothing written when present
 *   objects.syncWritten();                       // once, before a ref names them
 *   const object = objects.read(id);             // { type, body }, undefined when not loose
 *
 * An object is written as git writes one: `<type> <size>\0<body>`, deflated
 * (zlib, level 1 as core.looseCompression's default), to a temporary file
 * beside its final name, then renamed to `objects/<2 hex>/<38 hex>`, mode
 * 0444; an object already present (loose) is not written again. With
 * `durable`, each file is fsynced before its rename and `syncWritten`
 * fsyncs the directories the renames went into (and `objects/` where a fan-out
 * directory was made): until then the objects may be lost to a power cut, so
 * call it before any ref or index names them. SHA-1 repositories only: the
 * caller checks `extensions.objectFormat`. `read` reads a loose object and
 * checks its header; one in a pack, or absent, is undefined. Writes go through
 * the file-system seam (io/file-system.ts); errors are those of `fs`.
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { randomBytes } from "../base/random.js";
import {
  closeFile,
  makeDirectory,
  openForWriting,
  renamePath,
  syncDirectory,
  syncFile,
  writeToFile,
} from "../io/file-system.js";
import { commonDir, type GitRepo } from "./git-process.js";

export type ObjectType = "blob" | "tree" | "commit";

/** The id git gives an object of `type` holding `body`, as 40 hex digits. */
export function objectId(type: ObjectType, body: Buffer): string {
  return createHash("sha1").update(`${type} ${body.length}\0`).update(body).digest("hex");
}

export class LooseObjects {
  private readonly directory: string;
  private readonly durable: boolean;
  /** The directories a rename went into (and `objects/` where a fan-out directory was made), not yet fsynced. */
  private readonly unsynced = new Set<string>();

  constructor(repo: GitRepo, { durable }: { durable: boolean }) {
    this.directory = path.join(commonDir(repo), "objects");
    this.durable = durable;
  }

  private pathOf(id: string): string {
    return path.join(this.directory, id.slice(0, 2), id.slice(2));
  }

  write(type: ObjectType, body: Buffer): string {
    const header = Buffer.from(`${type} ${body.length}\0`);
    const id = createHash("sha1").update(header).update(body).digest("hex");
    const target = this.pathOf(id);
    if (fs.existsSync(target)) return id;
    const fanOut = path.dirname(target);
    if (!fs.existsSync(fanOut)) {
      makeDirectory(fanOut, { recursive: true });
      this.unsynced.add(this.directory);
    }
    const temporary = path.join(fanOut, `tmp_obj_${randomBytes(6).toString("hex")}`);
    const fd = openForWriting(temporary, "wx", 0o444);
    try {
      writeToFile(fd, zlib.deflateSync(Buffer.concat([header, body]), { level: 1 }));
      if (this.durable) syncFile(fd);
    } finally {
      closeFile(fd);
    }
    renamePath(temporary, target);
    this.unsynced.add(fanOut);
    return id;
  }

  syncWritten(): void {
    if (this.durable) for (const directory of this.unsynced) syncDirectory(directory);
    this.unsynced.clear();
  }

  read(id: string): { type: string; body: Buffer } | undefined {
    let stored: Buffer;
    try {
      stored = fs.readFileSync(this.pathOf(id));
    } catch {
      return undefined;
    }
    const whole = zlib.inflateSync(stored);
    const nul = whole.indexOf(0);
    const match = /^(blob|tree|commit|tag) (\d+)$/.exec(whole.toString("latin1", 0, nul));
    if (match === null || Number(match[2]) !== whole.length - nul - 1) return undefined;
    return { type: match[1], body: whole.subarray(nul + 1) };
  }
}
