/**
 * git's index (`.git/index`), read and changed without git, for what lore's
 * commit without git (direct-commit.ts) does: stage regular files and build
 * the trees of a commit from the index, as `git add` and `git commit` would.
 *
 *   const index = IndexFile.parse(bytes, codecs);  // undefined: a form not handled (codecs: object-codecs.ts)
 *   index.heldTree(objects)                        // the tree id the index holds (nothing written)
 *   index.stage(relative, blobId, stat);           // adds or replaces a stage-0 entry
 *   const root = index.writeTrees(dirs, objects);  // trees of `dirs` written; the root tree's id
 *   const bytes = index.serialize();
 *
 * Handled: versions 2 and 3 without extended flags (no intent-to-add or
 * skip-worktree entries), every entry at stage 0, a trailing SHA-1 that
 * matches. `parse` returns undefined for anything else (version 4, a split
 * or sparse index, a conflict, a bad checksum), and the caller lets git do
 * the work. Extensions: the cache tree (`TREE`) is read and written again,
 * `REUC` is kept as it is, and the other optional ones (untracked cache,
 * fsmonitor, end-of-index and offset tables, whose offsets an added entry
 * would falsify) are dropped, which git allows: it rebuilds them.
 *
 * The cache tree is what makes a commit cheap and safe: a valid root says the
 * tree the index holds, which the caller compares with HEAD's, and each valid
 * node says a directory's tree and how many entries it spans, so `writeTrees`
 * computes and writes only the directories it is told changed (and any whose
 * node is invalid, without writing those: their trees are already in HEAD's
 * when the root matched). `stage` invalidates the nodes along the path, as
 * `git add` does; `writeTrees` makes them valid again.
 * Design: docs/DESIGN.md#a-commit-without-git
 */
import type { BigIntStats } from "node:fs";
import type { GitObjects } from "./git-objects.js";
import type { ObjectCodecs } from "./object-codecs.js";

/** Where an entry's fields are, after its 40 bytes of stat data. */
const MODE_AT = 24;
const ID_AT = 40;
const FLAGS_AT = 60;
const NAME_AT = 62;
const EXTENDED = 0x4000;
const STAGE_MASK = 0x3000;
const NAME_MASK = 0xfff;
const HASH_BYTES = 20;

interface CacheTreeNode {
  name: string;
  /** Index entries under this directory; -1 when the node is invalid. */
  entryCount: number;
  /** The directory's tree id (hex), when valid. */
  id?: string;
  children: CacheTreeNode[];
}

/** git's order of cache-tree subtrees: shorter names first, then bytes. */
function subtreeOrder(a: CacheTreeNode, b: CacheTreeNode): number {
  const left = Buffer.from(a.name);
  const right = Buffer.from(b.name);
  return left.length - right.length || Buffer.compare(left, right);
}

/** Where an entry's name ends in its bytes (a name of 0xfff bytes or more ends at its NUL). */
function nameEnd(entry: Buffer): number {
  const length = entry.readUInt16BE(FLAGS_AT) & NAME_MASK;
  return length < NAME_MASK ? NAME_AT + length : entry.indexOf(0, NAME_AT);
}

/** How an entry's name sorts against `name`: negative when before it. */
function compareName(entry: Buffer, name: Buffer): number {
  return entry.compare(name, 0, name.length, NAME_AT, nameEnd(entry));
}

/** A file's mode as a tree writes it, with the space after it. */
const MODE_TEXT = new Map([0o100644, 0o100755, 0o120000, 0o160000].map((mode) => [mode, `${mode.toString(8)} `]));
/** An entry's size on disk in versions 2 and 3: padded with 1 to 8 NULs to a multiple of 8. */
function paddedSize(nameBytes: number): number {
  return (NAME_AT + nameBytes + 8) & ~7;
}

function parseCacheTree(data: Buffer): CacheTreeNode | undefined {
  let at = 0;
  const node = (): CacheTreeNode => {
    const nul = data.indexOf(0, at);
    const newline = data.indexOf(10, nul);
    if (nul < 0 || newline < 0) throw new Error("cut short");
    const [entries, subtrees] = data
      .toString("latin1", nul + 1, newline)
      .split(" ")
      .map(Number);
    const result: CacheTreeNode = { name: data.toString("utf8", at, nul), entryCount: entries, children: [] };
    at = newline + 1;
    if (entries >= 0) {
      result.id = data.toString("hex", at, at + HASH_BYTES);
      at += HASH_BYTES;
    }
    for (let child = 0; child < subtrees; child++) result.children.push(node());
    return result;
  };
  try {
    const root = node();
    return at === data.length ? root : undefined;
  } catch {
    return undefined;
  }
}

function serializeCacheTree(root: CacheTreeNode): Buffer {
  const parts: Buffer[] = [];
  const visit = (node: CacheTreeNode): void => {
    parts.push(Buffer.from(`${node.name}\0${node.entryCount} ${node.children.length}\n`));
    if (node.entryCount >= 0 && node.id) parts.push(Buffer.from(node.id, "hex"));
    for (const child of node.children) visit(child);
  };
  visit(root);
  return Buffer.concat(parts);
}

function extension(signature: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(signature, 0, "latin1");
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** The 40 bytes of stat data git keeps for an entry, from a stat with nanoseconds, each field cut to 32 bits as git does. */
function statData(stat: BigIntStats): Buffer {
  const data = Buffer.alloc(40);
  const fields = [
    stat.ctimeNs / 1_000_000_000n,
    stat.ctimeNs % 1_000_000_000n,
    stat.mtimeNs / 1_000_000_000n,
    stat.mtimeNs % 1_000_000_000n,
    stat.dev,
    stat.ino,
    0n, // the mode, written apart
    stat.uid,
    stat.gid,
    stat.size,
  ];
  fields.forEach((value, index) => {
    data.writeUInt32BE(Number(BigInt.asUintN(32, value)), index * 4);
  });
  return data;
}

export class IndexFile {
  private constructor(
    private readonly codecs: ObjectCodecs,
    private readonly version: number,
    /** Each entry's bytes (padding included), in git's order: by name, bytewise. */
    private readonly entries: Buffer[],
    private cacheTree: CacheTreeNode | undefined,
    /** Extensions kept as they are (`REUC`). */
    private readonly kept: Buffer[],
  ) {}

  static parse(bytes: Buffer, codecs: ObjectCodecs): IndexFile | undefined {
    if (bytes.length < 12 + HASH_BYTES || bytes.toString("latin1", 0, 4) !== "DIRC") return undefined;
    const version = bytes.readUInt32BE(4);
    if (version !== 2 && version !== 3) return undefined;
    const end = bytes.length - HASH_BYTES;
    const checksum = codecs.sha1(bytes.subarray(0, end));
    if (!checksum.equals(bytes.subarray(end))) return undefined;
    const count = bytes.readUInt32BE(8);
    const entries: Buffer[] = new Array(count);
    let at = 12;
    for (let index = 0; index < count; index++) {
      if (at + NAME_AT > end) return undefined;
      const flags = bytes.readUInt16BE(at + FLAGS_AT);
      if (flags & (EXTENDED | STAGE_MASK)) return undefined;
      let length = flags & NAME_MASK;
      if (length === NAME_MASK) length = bytes.indexOf(0, at + NAME_AT) - at - NAME_AT;
      const size = paddedSize(length);
      if (length < 0 || at + size > end) return undefined;
      entries[index] = bytes.subarray(at, at + size);
      at += size;
    }
    let cacheTree: CacheTreeNode | undefined;
    const kept: Buffer[] = [];
    while (at < end) {
      if (at + 8 > end) return undefined;
      const signature = bytes.toString("latin1", at, at + 4);
      const size = bytes.readUInt32BE(at + 4);
      const body = bytes.subarray(at + 8, at + 8 + size);
      if (at + 8 + size > end) return undefined;
      // A lower-case first letter marks an extension git requires to be understood (a split or sparse index).
      if (!/^[A-Z]/.test(signature)) return undefined;
      if (signature === "TREE") cacheTree = parseCacheTree(body);
      else if (signature === "REUC") kept.push(bytes.subarray(at, at + 8 + size));
      at += 8 + size;
    }
    return new IndexFile(codecs, version, entries, cacheTree, kept);
  }

  /**
   * The tree the index holds: its cache tree's root when that is valid, else
   * computed from the entries, as `git write-tree` would, the nodes made
   * valid again (a `git add` that another command's commit did not follow
   * leaves the nodes along its path invalid). Nothing is written: the caller
   * compares the id with HEAD's tree, whose trees git already has.
   */
  heldTree(objects: GitObjects): string {
    if (this.cacheTree && this.cacheTree.entryCount >= 0 && this.cacheTree.id !== undefined) return this.cacheTree.id;
    return this.writeTrees(new Set(), objects);
  }

  /** Where `name` is, or would go: [position, present]. */
  private find(name: Buffer): [number, boolean] {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = compareName(this.entries[middle], name);
      if (order === 0) return [middle, true];
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return [low, false];
  }

  /** The blob id the index holds for `relative`, if any. */
  blobOf(relative: string): string | undefined {
    const [position, present] = this.find(Buffer.from(relative));
    return present ? this.entries[position].toString("hex", ID_AT, ID_AT + HASH_BYTES) : undefined;
  }

  /**
   * Adds or replaces the stage-0 entry of the regular, not executable file
   * `relative` (mode 100644) with `blobId` and the file's `stat`, and invalidates
   * the cache-tree nodes along its path. A name that would collide with a
   * directory or a file of the index (`a` beside `a/b`) is the caller's to
   * avoid: it checks with `conflicts` first.
   */
  stage(relative: string, blobId: string, stat: BigIntStats): void {
    const name = Buffer.from(relative);
    const entry = Buffer.alloc(paddedSize(name.length));
    statData(stat).copy(entry, 0);
    entry.writeUInt32BE(0o100644, MODE_AT);
    Buffer.from(blobId, "hex").copy(entry, ID_AT);
    entry.writeUInt16BE(Math.min(name.length, NAME_MASK), FLAGS_AT);
    name.copy(entry, NAME_AT);
    const [position, present] = this.find(name);
    this.entries.splice(position, present ? 1 : 0, entry);
    let node = this.cacheTree;
    const directories = relative.split("/").slice(0, -1);
    for (let depth = 0; node !== undefined; depth++) {
      node.entryCount = -1;
      node.id = undefined;
      node = depth < directories.length ? node.children.find((child) => child.name === directories[depth]) : undefined;
    }
  }

  /**
   * Whether `relative` cannot be staged as a file: a directory of the index
   * has its name, or a file of the index has the name of one of its
   * directories (git would replace them; lore lets git do that).
   */
  conflicts(relative: string): boolean {
    const directory = Buffer.from(`${relative}/`);
    const [position] = this.find(directory);
    const next = this.entries[position];
    const under = next !== undefined && nameEnd(next) >= NAME_AT + directory.length;
    if (under && next.compare(directory, 0, directory.length, NAME_AT, NAME_AT + directory.length) === 0) return true;
    const parts = relative.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      if (this.find(Buffer.from(parts.slice(0, depth).join("/")))[1]) return true;
    }
    return false;
  }

  /**
   * Builds the trees of the index, writes those of `changed` (directories
   * relative to the root, "" for the root itself), and returns the root
   * tree's id. Every node it computes is valid afterwards.
   */
  writeTrees(changed: ReadonlySet<string>, objects: GitObjects): string {
    const root = this.cacheTree ?? { name: "", entryCount: -1, children: [] };
    this.cacheTree = root;
    const [, id] = this.buildTree(root, "", 0, changed, objects);
    return id;
  }

  /** Builds the tree of directory `prefix` (its entries start at `start`); returns the entries it spans and its id. */
  private buildTree(
    node: CacheTreeNode,
    prefix: string,
    start: number,
    changed: ReadonlySet<string>,
    objects: GitObjects,
  ): [number, string] {
    const prefixBytes = Buffer.from(prefix);
    const from = NAME_AT + prefixBytes.length;
    // The tree's entries, in order: a file as its index entry (with where its name ends), a directory as its name and id.
    const items: Array<{ entry: Buffer; end: number; mode: string } | { name: string; id: string }> = [];
    const children: CacheTreeNode[] = [];
    let size = 0;
    let at = start;
    while (at < this.entries.length) {
      const entry = this.entries[at];
      const end = nameEnd(entry);
      if (end < from || entry.compare(prefixBytes, 0, prefixBytes.length, NAME_AT, from) !== 0) break;
      const slash = entry.indexOf(47, from);
      if (slash < 0 || slash >= end) {
        const modeNumber = entry.readUInt32BE(MODE_AT);
        const mode = MODE_TEXT.get(modeNumber) ?? `${modeNumber.toString(8)} `;
        items.push({ entry, end, mode });
        size += mode.length + (end - from) + 1 + HASH_BYTES;
        at++;
        continue;
      }
      const name = entry.toString("utf8", from, slash);
      const childPath = `${prefix}${name}`;
      const child = node.children.find((candidate) => candidate.name === name) ?? {
        name,
        entryCount: -1,
        children: [],
      };
      children.push(child);
      let spanned: number;
      let id: string;
      if (child.entryCount >= 0 && child.id !== undefined && !changed.has(childPath)) {
        [spanned, id] = [child.entryCount, child.id];
      } else {
        [spanned, id] = this.buildTree(child, `${childPath}/`, at, changed, objects);
      }
      items.push({ name, id });
      size += "40000 ".length + (slash - from) + 1 + HASH_BYTES;
      at += spanned;
    }
    const body = Buffer.alloc(size);
    let written = 0;
    for (const item of items) {
      if ("entry" in item) {
        written += body.write(item.mode, written, "latin1");
        written += item.entry.copy(body, written, from, item.end);
        body[written++] = 0;
        written += item.entry.copy(body, written, ID_AT, ID_AT + HASH_BYTES);
      } else {
        written += body.write(`40000 ${item.name}\0`, written, "utf8");
        written += body.write(item.id, written, "hex");
      }
    }
    const tree = body.subarray(0, written);
    const directory = prefix.replace(/\/$/, "");
    const id = changed.has(directory) ? objects.write("tree", tree) : this.codecs.idOf("tree", tree);
    node.entryCount = at - start;
    node.id = id;
    node.children = children.sort(subtreeOrder);
    return [at - start, id];
  }

  serialize(): Buffer {
    const header = Buffer.alloc(12);
    header.write("DIRC", 0, "latin1");
    header.writeUInt32BE(this.version, 4);
    header.writeUInt32BE(this.entries.length, 8);
    const parts = [header, ...this.entries];
    if (this.cacheTree) parts.push(extension("TREE", serializeCacheTree(this.cacheTree)));
    parts.push(...this.kept);
    const body = Buffer.concat(parts);
    return Buffer.concat([body, this.codecs.sha1(body)]);
  }
}
