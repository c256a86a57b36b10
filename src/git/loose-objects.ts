/**
 * git's object database, read and written without git: loose objects only.
 *
 *   const objects = new LooseObjects(repo, objectCodecs(), { durable });
 *   const id = objects.write("blob", bytes);     // its id; nothing written when present
 *   await objects.syncWritten();                 // once, before a ref or the index names them
 *   objects.abandon();                           // always, after: what was not synced is removed
 *   const object = objects.read(id);             // { type, body }, undefined when not loose
 *
 * An object is written as git writes one: `<type> <size>\0<body>` as a zlib
 * stream (object-codecs.ts: stored blocks up to 64 KiB, deflated at level 1
 * above, as core.looseCompression's default), to a temporary file
 * beside its final name, mode 0444, and renamed to `objects/<2 hex>/<38 hex>`
 * by `syncWritten`, which first fsyncs every temporary file (side by side,
 * with `durable`), then renames them, then fsyncs the directories the renames
 * went into (and `objects/` where a fan-out directory was made). Until it
 * resolves, the objects are not in the database. An object already present
 * (loose), or written before in this batch, is not written again. `abandon`
 * closes and removes the temporary files of a batch never synced (the caller
 * let git do the commit after all). SHA-1 repositories only: the caller
 * checks `extensions.objectFormat`. `read` reads a loose object and checks
 * its header; one in a pack, or absent, is undefined. Writes go through the
 * file-system seam (io/file-system.ts); errors are those of `fs`.
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "../base/random.js";
import {
  closeFile,
  makeDirectory,
  openForWriting,
  removeFile,
  renamePath,
  syncDirectoriesTogether,
  syncFilesTogether,
  writeToFile,
} from "../io/file-system.js";
import { commonDir, type GitRepo } from "./git-process.js";
import type { ObjectCodecs, ObjectType } from "./object-codecs.js";

interface Unsynced {
  fd: number;
  temporary: string;
  target: string;
}

export class LooseObjects {
  private readonly directory: string;
  private readonly durable: boolean;
  /** The objects written and not yet renamed into place, by id. */
  private readonly written = new Map<string, Unsynced>();
  /** `objects/`, when a fan-out directory was made in it. */
  private madeFanOut = false;

  constructor(
    repo: GitRepo,
    readonly codecs: ObjectCodecs,
    { durable }: { durable: boolean },
  ) {
    this.directory = path.join(commonDir(repo), "objects");
    this.durable = durable;
  }

  private pathOf(id: string): string {
    return path.join(this.directory, id.slice(0, 2), id.slice(2));
  }

  write(type: ObjectType, body: Buffer): string {
    const header = Buffer.from(`${type} ${body.length}\0`);
    const id = this.codecs.sha1(header, body).toString("hex");
    const target = this.pathOf(id);
    if (this.written.has(id) || fs.existsSync(target)) return id;
    const fanOut = path.dirname(target);
    if (!fs.existsSync(fanOut)) {
      makeDirectory(fanOut, { recursive: true });
      this.madeFanOut = true;
    }
    const temporary = path.join(fanOut, `tmp_obj_${randomBytes(6).toString("hex")}`);
    const fd = openForWriting(temporary, "wx", 0o444);
    this.written.set(id, { fd, temporary, target });
    writeToFile(fd, this.codecs.deflate(Buffer.concat([header, body])));
    return id;
  }

  async syncWritten(): Promise<void> {
    if (this.durable) await syncFilesTogether([...this.written.values()].map(({ fd }) => fd));
    const directories = new Set(this.madeFanOut ? [this.directory] : []);
    for (const [id, { fd, temporary, target }] of this.written) {
      this.written.delete(id);
      closeFile(fd);
      renamePath(temporary, target);
      directories.add(path.dirname(target));
    }
    this.madeFanOut = false;
    if (this.durable) await syncDirectoriesTogether([...directories]);
  }

  abandon(): void {
    for (const { fd, temporary } of this.written.values()) {
      closeFile(fd);
      removeFile(temporary);
    }
    this.written.clear();
  }

  read(id: string): { type: string; body: Buffer } | undefined {
    let stored: Buffer;
    try {
      stored = fs.readFileSync(this.pathOf(id));
    } catch {
      return undefined;
    }
    const whole = this.codecs.inflate(stored);
    const nul = whole.indexOf(0);
    const match = /^(blob|tree|commit|tag) (\d+)$/.exec(whole.toString("latin1", 0, nul));
    if (match === null || Number(match[2]) !== whole.length - nul - 1) return undefined;
    return { type: match[1], body: whole.subarray(nul + 1) };
  }
}
