/**
 * git's object database, written and read without git: new objects as loose
 * objects, or as one pack when there are many.
 *
 *   const objects = new GitObjects(repo, objectCodecs(), { durable });
 *   const id = objects.write("blob", bytes);     // its id; kept in memory, nothing written yet
 *   objects.keepLoose(commitId);                 // also loose, whatever the batch: the next commit reads it
 *   await objects.syncWritten();                 // once, before a ref or the index names them
 *   objects.abandon();                           // always, after: what was not synced is removed
 *   const object = objects.read(id);             // { type, body }, undefined when not loose
 *
 * `syncWritten` writes the batch as git would:
 *   - fewer than PACK_MIN_OBJECTS objects (a lone record's blob, trees and
 *     commit): each as a loose object, `<type> <size>\0<body>` as a zlib
 *     stream (object-codecs.ts: stored blocks up to 64 KiB, deflated at level
 *     1 above, as core.looseCompression's default), to a temporary file
 *     beside its final name, mode 0444, renamed to `objects/<2 hex>/<38 hex>`;
 *   - more (a group of records): one pack and its index (pack-file.ts), as
 *     `git fast-import` leaves a group, written to temporary files in
 *     `objects/pack/` and renamed to `pack-<checksum>.pack`, then `.idx`
 *     (the index makes the pack seen); the objects given to `keepLoose` are
 *     also written loose, since `read` reads loose objects only.
 * Every temporary file is fsynced first (side by side, with `durable`), then
 * renamed, then the directories the renames went into are fsynced (and
 * `objects/` where a directory was made in it). Until it resolves, the
 * objects are not in the database. An object already present (loose), or
 * written before in this batch, is not written again. `abandon` removes the
 * temporary files of a batch whose sync failed, and forgets a batch never
 * synced (the caller let git do the commit after all). SHA-1 repositories
 * only: the caller checks `extensions.objectFormat`. `read` reads a loose
 * object and checks its header; one in a pack, or absent, is undefined.
 * Writes go through the file-system seam (io/file-system.ts); errors are
 * those of `fs`.
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
import { packOf } from "./pack-file.js";

/**
 * From this many new objects on, a batch is written as one pack: two files
 * to fsync and rename instead of one per object (a group of two records
 * makes about ten objects).
 */
const PACK_MIN_OBJECTS = 8;

interface Pending {
  type: ObjectType;
  body: Buffer;
  loose: boolean;
}

/** A temporary file of a sync, and the name it is renamed to. */
interface Unsynced {
  fd: number;
  temporary: string;
  target: string;
}

export class GitObjects {
  private readonly directory: string;
  private readonly durable: boolean;
  /** The objects written and not yet synced, by id, in the order written. */
  private readonly pending = new Map<string, Pending>();
  /** Temporary files of a sync under way (their descriptors while open), removed by `abandon` if it fails. */
  private readonly temporaries = new Map<string, number | undefined>();
  /** Whether this sync made a directory in `objects/` (a fan-out directory, or `pack/`). */
  private madeDirectory = false;

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
    const id = this.codecs.idOf(type, body);
    if (!this.pending.has(id) && !fs.existsSync(this.pathOf(id))) this.pending.set(id, { type, body, loose: false });
    return id;
  }

  keepLoose(id: string): void {
    const object = this.pending.get(id);
    if (object) object.loose = true;
  }

  async syncWritten(): Promise<void> {
    const objects = [...this.pending];
    this.pending.clear();
    const files = objects.length >= PACK_MIN_OBJECTS ? this.packFiles(objects) : undefined;
    const loose = files === undefined ? objects : objects.filter(([, object]) => object.loose);
    const all = [...loose.map(([id, object]) => this.looseFile(id, object)), ...(files ?? [])];
    if (this.durable) await syncFilesTogether(all.map(({ fd }) => fd));
    const directories = new Set(this.madeDirectory ? [this.directory] : []);
    // In order: the loose objects, then the pack before its index, as git renames them (an index names a whole pack).
    for (const { fd, temporary, target } of all) {
      closeFile(fd);
      this.temporaries.set(temporary, undefined);
      renamePath(temporary, target);
      this.temporaries.delete(temporary);
      directories.add(path.dirname(target));
    }
    this.madeDirectory = false;
    if (this.durable) await syncDirectoriesTogether([...directories]);
  }

  abandon(): void {
    for (const [temporary, fd] of this.temporaries) {
      if (fd !== undefined) closeFile(fd);
      removeFile(temporary);
    }
    this.temporaries.clear();
    this.pending.clear();
    this.madeDirectory = false;
  }

  /** A temporary file in `directory` holding `bytes`, left open for its fsync. */
  private temporaryFile(directory: string, prefix: string, bytes: Buffer, target: string): Unsynced {
    if (!fs.existsSync(directory)) {
      makeDirectory(directory, { recursive: true });
      this.madeDirectory = true;
    }
    const temporary = path.join(directory, `${prefix}${randomBytes(6).toString("hex")}`);
    const fd = openForWriting(temporary, "wx", 0o444);
    this.temporaries.set(temporary, fd);
    writeToFile(fd, bytes);
    return { fd, temporary, target };
  }

  private looseFile(id: string, object: Pending): Unsynced {
    const target = this.pathOf(id);
    const whole = Buffer.concat([Buffer.from(`${object.type} ${object.body.length}\0`), object.body]);
    return this.temporaryFile(path.dirname(target), "tmp_obj_", this.codecs.deflate(whole), target);
  }

  /** `objects` as one pack and its index, in temporary files; undefined where they must be loose (past 2 GiB). */
  private packFiles(objects: Array<[string, Pending]>): Unsynced[] | undefined {
    const pack = packOf(
      objects.map(([id, { type, body }]) => ({ id, type, body })),
      this.codecs,
    );
    if (pack === undefined) return undefined;
    const directory = path.join(this.directory, "pack");
    const base = path.join(directory, `pack-${pack.name}`);
    return [
      this.temporaryFile(directory, "tmp_pack_", pack.pack, `${base}.pack`),
      this.temporaryFile(directory, "tmp_idx_", pack.index, `${base}.idx`),
    ];
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
