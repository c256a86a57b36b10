/**
 * git's index (`.git/index`), read and changed without git, for what lore's
 * commit without git (direct-commit.ts) does: stage regular files and build
 * the trees of a commit from the index, as `git add` and `git commit` would.
 *
 *   const index = IndexFile.parse(bytes);          // undefined: a form not handled
 *   index.rootTree()                               // the tree id the index holds, when its cache says
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
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import type { LooseObjects } from "./loose-objects.js";

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

function nameLength(entry: Buffer): number {
  return entry.readUInt16BE(FLAGS_AT) & NAME_MASK;
}

function entryName(entry: Buffer): Buffer {
  const length = nameLength(entry);
  return length < NAME_MASK
    ? entry.subarray(NAME_AT, NAME_AT + length)
    : entry.subarray(NAME_AT, entry.indexOf(0, NAME_AT));
}

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
    private readonly version: number,
    /** Each entry's bytes (padding included), in git's order: by name, bytewise. */
    private readonly entries: Buffer[],
    private cacheTree: CacheTreeNode | undefined,
    /** Extensions kept as they are (`REUC`). */
    private readonly kept: Buffer[],
  ) {}

  static parse(bytes: Buffer): IndexFile | undefined {
    if (bytes.length < 12 + HASH_BYTES || bytes.toString("latin1", 0, 4) !== "DIRC") return undefined;
    const version = bytes.readUInt32BE(4);
    if (version !== 2 && version !== 3) return undefined;
    const end = bytes.length - HASH_BYTES;
    const checksum = createHash("sha1").update(bytes.subarray(0, end)).digest();
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
    return new IndexFile(version, entries, cacheTree, kept);
  }

  /** The tree the index holds, as its cache tree says; undefined when the cache does not say. */
  rootTree(): string | undefined {
    return this.cacheTree && this.cacheTree.entryCount >= 0 ? this.cacheTree.id : undefined;
  }

  /** Where `name` is, or would go: [position, present]. */
  private find(name: Buffer): [number, boolean] {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = Buffer.compare(entryName(this.entries[middle]), name);
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
   * Adds or replaces the stage-0 entry of the regular file `relative` (mode
   * 100644 or 100755) with `blobId` and the file's `stat`, and invalidates
   * the cache-tree nodes along its path. A name that would collide with a
   * directory or a file of the index (`a` beside `a/b`) is the caller's to
   * avoid: it checks with `conflicts` first.
   */
  stage(relative: string, blobId: string, mode: 0o100644 | 0o100755, stat: BigIntStats): void {
    const name = Buffer.from(relative);
    const entry = Buffer.alloc(paddedSize(name.length));
    statData(stat).copy(entry, 0);
    entry.writeUInt32BE(mode, MODE_AT);
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
    const [position] = this.find(Buffer.from(`${relative}/`));
    const next = this.entries[position];
    if (next && entryName(next).toString("utf8").startsWith(`${relative}/`)) return true;
    const parts = relative.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      if (this.find(Buffer.from(parts.slice(0, depth).join("/")))[1]) return true;
    }
    return false;
  }

  /**
   * Builds the trees of the index, writes those of `changed` (directories
   * relative to the root, "" for the root itself, with the root always
   * among them), and returns the root tree's id. Every node it computes is
   * valid afterwards.
   */
  writeTrees(changed: ReadonlySet<string>, objects: LooseObjects): string {
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
    objects: LooseObjects,
  ): [number, string] {
    const prefixBytes = Buffer.from(prefix);
    const parts: Buffer[] = [];
    const children: CacheTreeNode[] = [];
    let at = start;
    while (at < this.entries.length) {
      const name = entryName(this.entries[at]);
      if (prefixBytes.length > 0 && !name.subarray(0, prefixBytes.length).equals(prefixBytes)) break;
      const slash = name.indexOf(47, prefixBytes.length);
      if (slash < 0) {
        const mode = this.entries[at].readUInt32BE(MODE_AT).toString(8);
        parts.push(Buffer.from(`${mode} `), name.subarray(prefixBytes.length), Buffer.from([0]));
        parts.push(this.entries[at].subarray(ID_AT, ID_AT + HASH_BYTES));
        at++;
        continue;
      }
      const childName = name.toString("utf8", prefixBytes.length, slash);
      const childPath = `${prefix}${childName}`;
      let child = node.children.find((candidate) => candidate.name === childName);
      if (child === undefined) child = { name: childName, entryCount: -1, children: [] };
      children.push(child);
      let spanned: number;
      let id: string;
      if (child.entryCount >= 0 && child.id !== undefined && !changed.has(childPath)) {
        [spanned, id] = [child.entryCount, child.id];
      } else {
        [spanned, id] = this.buildTree(child, `${childPath}/`, at, changed, objects);
      }
      parts.push(Buffer.from(`40000 ${childName}\0`), Buffer.from(id, "hex"));
      at += spanned;
    }
    const body = Buffer.concat(parts);
    const directory = prefix.replace(/\/$/, "");
    const id = changed.has(directory) ? objects.write("tree", body) : objectIdOfTree(body);
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
    return Buffer.concat([body, createHash("sha1").update(body).digest()]);
  }
}

function objectIdOfTree(body: Buffer): string {
  return createHash("sha1").update(`tree ${body.length}\0`).update(body).digest("hex");
}
