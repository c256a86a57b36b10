/**
 * The power-loss simulator: what a disk can hold after a power loss at any
 * point of one lore command, and whether the next commands make it whole.
 * Design: docs/DESIGN.md#the-power-loss-simulator.
 *
 *   const result = await explore(scenario, { combinations: 2, seed: 1 });
 *   result.states          // distinct disk states checked
 *   result.violations      // { invariant, crashPoint, after, lost, detail }[]
 *
 * 1. The scenario builds a journal (the initial state, taken as durable).
 * 2. Its command runs once with LORE_FS_LOG: src/io/file-system.ts records
 *    every operation (ops.jsonl), the database after each COMMIT and the git
 *    directory after each git process.
 * 3. A model of the disk replays the log. It keeps, per file, its content and
 *    its content as of its last fsync; per directory, its entries and its
 *    entries as of its last fsync (ext4's rules without its ordering: a new
 *    name, a rename or an unlink is durable once its directory is fsynced, a
 *    file's bytes once the file is). The database is one unit, durable at
 *    each COMMIT (SQLite's synchronous=FULL); git is one unit, whose state
 *    after a process is durable only when that git ran with core.fsync
 *    covering objects, refs and the index. The model replayed in full must
 *    equal the real tree the command left (else the seam missed an
 *    operation, and the simulator throws).
 * 4. At every crash point k (after the first k operations, 0..n) each item
 *    not yet durable (a file's unsynced bytes, a directory entry not yet
 *    fsynced, git's undurable state) is lost or kept: all lost and none lost
 *    (a kill -9) always, every combination where there are few enough, else
 *    a seeded sample (`combinations` per crash point; "all" for every one).
 * 5. Each distinct state is written at the journal's own path (intents hold
 *    absolute paths), dated as if the machine came back ten minutes later,
 *    and checked: the scenario's next commands, `lore sync`, and, when that
 *    finds something, `lore sync --fix` and `lore sync` again; then the
 *    invariants (INVARIANTS). A scenario that acknowledges feedback events
 *    (validations, violations, promotions) also has them counted in the
 *    feedback files and git HEAD, each heuristic's standing in the database
 *    compared with its record and events and with a database rebuilt from
 *    the files (`lore sync --rebuild`, in a copy), and golden-rules.md
 *    compared with the golden flags the events give.
 *
 * Errors: a seam that missed an operation, or a command that failed on the
 * recorded run, throw; everything found on the crash states is a violation.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { Prng } from "./prng.js";
import { runLore, type RunResult } from "./lore.js";
import { tempDir } from "./journal.js";
import { parseFailure } from "../../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../../src/journal/heuristic-markdown.js";
import { isJournalFilePath, recordsOf } from "../../src/journal/journal-file.js";
import {
  FEEDBACK_DIR,
  type FeedbackEvent,
  type HeuristicKey,
  parseFeedbackFile,
  type Standing,
  standingAfter,
} from "../../src/journal/feedback-events.js";
import { parseGoldenRules, withoutGoldenRule } from "../../src/journal/golden-rules-file.js";
import { journalLayout } from "../../src/journal/layout.js";
import { journalFeedback } from "../../src/feedback/feedback-journal.js";
import { goldenRuleId } from "../../src/feedback/golden-rules.js";
import { searchIndexViolations } from "./search-index-check.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

/** What must hold on every state once the next commands ran. */
export const INVARIANTS = {
  lost: "an acknowledged record is in no file or in no row",
  duplicate: "an acknowledged record is in more than one file block or row",
  mismatch: "an acknowledged record's file and row disagree (lore id, path or H-id)",
  reverted: "a record text that the command replaced is still there",
  torn: "a record file does not parse after the next command",
  lock: "a command timed out waiting for the journal lock (exit 75)",
  failed: "a next command failed",
  pending: "an intent is still pending after the next command",
  leftover: "`lore sync` finds a temp file the next command left",
  unclean: "`lore sync` finds a record and its row apart after the next command",
  unrepaired: "`lore sync` still finds something after `lore sync --fix`",
  uncommitted: "an acknowledged record is not in git HEAD",
  search: "the search index differs from the rows after the next commands",
  uncounted:
    "an acknowledged validation, violation or promotion is in no line of the feedback files (or one does not parse)",
  overcounted: "a feedback event is on two lines, or a heuristic has more events of a kind than the commands made",
  unversioned: "an acknowledged feedback event that lore committed is not in git HEAD's feedback files",
  standing:
    "a heuristic's counters, confidence or golden flag in the database differ from its record with its events applied",
  rebuilt: "`lore sync --rebuild` from the files (in a copy) gives a heuristic another standing than the database has",
  golden: "golden-rules.md is not its earlier text with exactly the golden heuristics' rules added, whole",
} as const;

export type Invariant = keyof typeof INVARIANTS;

type RecordKind = "failure" | "heuristic";

/** The feedback events a scenario's commands make: `lore validate`, `lore violate`, `lore golden promote`. */
export type FeedbackVerdict = "validated" | "violated" | "promoted";

/**
 * What some command acknowledged (exit 0): a record, known by its title
 * (failure) or rule (heuristic), or one feedback event on the heuristic
 * whose rule `text` is (each such item is one event: two validations are
 * two items).
 */
export interface Acknowledged {
  kind: RecordKind | FeedbackVerdict;
  text: string;
  /** Whether lore committed it to git (a file edited by hand is the user's to commit). */
  committed: boolean;
}

export interface Scenario {
  name: string;
  git: boolean;
  /** Builds the journal; resolves to its directory. */
  prepare(): Promise<string>;
  /** The command under test (lore's arguments). */
  command: string[];
  /** What the command reads on stdin (`lore mcp`'s messages), if anything. */
  input?: string;
  /** Records acknowledged before the command. */
  before: Acknowledged[];
  /** Records the command acknowledges when it exits 0. */
  own: Acknowledged[];
  /** What runs after the crash, in order, and what each acknowledges when it exits 0. */
  next: Array<{ args: string[]; acknowledges: Acknowledged[] }>;
  /** Texts that must be gone wherever `own` holds (what the command rewrote). */
  replaced?: string[];
}

export interface ExploreOptions {
  /** Loss combinations per crash point: all lost, then none lost, then a sample; "all": every one (up to 2^12). */
  combinations: number | "all";
  seed: number;
  /** LORE_FS_OMIT for the recorded run. */
  omit?: "file-fsync" | "dir-fsync";
  /** Keep the work directory (the log, the blobs). */
  keep?: boolean;
  /** Told after each state checked. */
  onState?: (checked: number, total: number) => void;
}

export interface Violation {
  invariant: Invariant;
  crashPoint: number;
  /** The operation the crash came after. */
  after: string;
  /** The items lost at the crash. */
  lost: string[];
  detail: string;
}

export interface Exploration {
  scenario: string;
  /** Operations recorded. */
  operations: number;
  /** Crash states considered (crash points times their loss combinations), before duplicates were dropped. */
  considered: number;
  /** Distinct disk states checked. */
  states: number;
  violations: Violation[];
}

export function failure(title: string, committed = true): Acknowledged {
  return { kind: "failure", text: title, committed };
}

export function heuristic(rule: string, committed = true): Acknowledged {
  return { kind: "heuristic", text: rule, committed };
}

export function feedback(verdict: FeedbackVerdict, rule: string, committed = true): Acknowledged {
  return { kind: verdict, text: rule, committed };
}

function isRecord(item: Acknowledged): item is Acknowledged & { kind: RecordKind } {
  return item.kind === "failure" || item.kind === "heuristic";
}

// ---------------------------------------------------------------- the log

interface LoggedOp {
  op: string;
  path?: string;
  from?: string;
  to?: string;
  flag?: string;
  at?: number | "end";
  data?: string;
  blob?: string;
  args?: string[];
  /** lore's own commit (a `git` op without a process): whether it fsynced all it wrote. */
  durable?: boolean;
}

function readLog(logDir: string): LoggedOp[] {
  const file = path.join(logDir, "ops.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LoggedOp);
}

// ---------------------------------------------------------------- git as a unit

interface GitState {
  /** The copy of the git directory; undefined for a journal outside git. */
  snapshot: string | undefined;
  durable: boolean;
  digest: string;
}

const FSYNC_PARTS: Record<string, string[]> = {
  none: [],
  objects: ["loose-object", "pack"],
  "derived-metadata": ["pack-metadata", "commit-graph"],
  committed: ["loose-object", "pack", "reference"],
  added: ["loose-object", "pack", "reference", "index", "pack-metadata", "commit-graph"],
  all: ["loose-object", "pack", "reference", "index", "pack-metadata", "commit-graph"],
};

/** Whether a git command line's `-c core.fsync=` covers objects, refs and the index (git 2.36's components). */
export function gitRunIsDurable(args: string[]): boolean {
  let setting: string | undefined;
  for (let index = 0; index < args.length - 1; index++) {
    if (args[index] === "-c" && args[index + 1].toLowerCase().startsWith("core.fsync=")) {
      setting = args[index + 1].slice("core.fsync=".length);
    }
  }
  if (setting === undefined) return false;
  const covered = new Set<string>();
  for (const part of setting.split(",").map((entry) => entry.trim())) {
    const removed = part.startsWith("-");
    const name = removed ? part.slice(1) : part;
    for (const atom of FSYNC_PARTS[name] ?? [name]) {
      if (removed) covered.delete(atom);
      else covered.add(atom);
    }
  }
  return ["loose-object", "pack", "reference", "index"].every((atom) => covered.has(atom));
}

/** The git command of a command line (`git -C dir -c a=b commit ...`: commit). */
function gitSubcommand(args: string[]): string {
  for (let index = 1; index < args.length; index++) {
    if (args[index] === "-c" || args[index] === "-C") index++;
    else if (!args[index].startsWith("-")) return args[index];
  }
  return "";
}

function treeDigest(directory: string): string {
  const hash = crypto.createHash("sha1");
  const walk = (at: string, prefix: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else hash.update(`${prefix}${entry.name}\0`).update(fs.readFileSync(full)).update("\0");
    }
  };
  walk(directory, "");
  return hash.digest("hex");
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

// ---------------------------------------------------------------- the disk model

interface FileNode {
  kind: "file";
  data: Buffer;
  /** The content as of the last fsync (empty when never synced). */
  synced: Buffer;
}

interface DirNode {
  kind: "dir";
  entries: Map<string, number>;
  /** The entries as of the last fsync of the directory. */
  synced: Map<string, number>;
}

type DiskNode = FileNode | DirNode;

const EMPTY: Buffer = Buffer.alloc(0);

/** Something not durable at a crash point, which a power loss may take. */
interface Item {
  key: string;
  describe: string;
}

/** A disk as the power loss left it: journal files and directories (relative, `/`), and git. */
interface DiskView {
  dirs: string[];
  files: Map<string, Buffer>;
  git: GitState;
}

/** SQLite's files beside a database: the database is one unit, so these are not modelled. */
function isSqliteSideFile(relative: string): boolean {
  return /\.db-(wal|shm|journal)$/.test(relative);
}

function isInGit(relative: string): boolean {
  return relative === ".git" || relative.startsWith(".git/");
}

class DiskModel {
  private readonly nodes = new Map<number, DiskNode>();
  private nextNode = 1;
  private readonly root: number;
  private readonly gitStates: GitState[];
  private gitDurable = 0;
  private readonly blobs = new Map<string, Buffer>();

  constructor(
    private readonly base: string,
    initialGit: GitState,
  ) {
    this.root = this.add({ kind: "dir", entries: new Map(), synced: new Map() });
    this.gitStates = [initialGit];
  }

  /** The model of the journal as it is now, every item durable. */
  static ofTree(base: string, initialGit: GitState): DiskModel {
    const model = new DiskModel(base, initialGit);
    const walk = (directory: string, node: DirNode, relative: string) => {
      for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
        const entryRelative = relative === "" ? entry.name : `${relative}/${entry.name}`;
        if (isInGit(entryRelative) || isSqliteSideFile(entryRelative)) continue;
        const full = path.join(directory, entry.name);
        let child: number;
        if (entry.isDirectory()) {
          child = model.add({ kind: "dir", entries: new Map(), synced: new Map() });
          walk(full, model.nodes.get(child) as DirNode, entryRelative);
        } else if (entry.isFile()) {
          const data = fs.readFileSync(full);
          child = model.add({ kind: "file", data, synced: data });
        } else {
          continue;
        }
        node.entries.set(entry.name, child);
        node.synced.set(entry.name, child);
      }
    };
    walk(base, model.nodes.get(model.root) as DirNode, "");
    return model;
  }

  private add(node: DiskNode): number {
    const id = this.nextNode++;
    this.nodes.set(id, node);
    return id;
  }

  private relative(absolute: string): string {
    const relative = path.relative(this.base, absolute);
    if (relative.startsWith("..") || path.isAbsolute(relative))
      throw new Error(`an operation outside the journal: ${absolute}`);
    return relative.split(path.sep).join("/");
  }

  private directory(parts: string[]): DirNode {
    let node = this.nodes.get(this.root) as DirNode;
    for (const part of parts) {
      const child = node.entries.get(part);
      const next = child === undefined ? undefined : this.nodes.get(child);
      if (next?.kind !== "dir") throw new Error(`replay: no directory ${parts.join("/")}`);
      node = next;
    }
    return node;
  }

  private parentOf(relative: string): { parent: DirNode; name: string } {
    const parts = relative.split("/");
    const name = parts.pop() as string;
    return { parent: this.directory(parts), name };
  }

  private lookup(relative: string): number | undefined {
    const { parent, name } = this.parentOf(relative);
    return parent.entries.get(name);
  }

  private file(relative: string): FileNode {
    const id = this.lookup(relative);
    const node = id === undefined ? undefined : this.nodes.get(id);
    if (node?.kind !== "file") throw new Error(`replay: no file ${relative}`);
    return node;
  }

  private bind(relative: string, id: number): void {
    const { parent, name } = this.parentOf(relative);
    parent.entries.set(name, id);
  }

  private unbind(relative: string): number | undefined {
    const { parent, name } = this.parentOf(relative);
    const id = parent.entries.get(name);
    parent.entries.delete(name);
    return id;
  }

  private newFile(data: Buffer = EMPTY): number {
    return this.add({ kind: "file", data, synced: EMPTY });
  }

  private blob(file: string): Buffer {
    let bytes = this.blobs.get(file);
    if (bytes === undefined) {
      bytes = fs.readFileSync(file);
      this.blobs.set(file, bytes);
    }
    return bytes;
  }

  /** Whether an operation touches only what the model leaves to a unit (git's directory, SQLite's side files). */
  private outsideModel(op: LoggedOp): boolean {
    const paths = [op.path, op.from, op.to].filter((entry) => entry !== undefined).map((entry) => this.relative(entry));
    return paths.some((relative) => isInGit(relative) || isSqliteSideFile(relative));
  }

  apply(op: LoggedOp): void {
    if (op.op === "git") {
      const snapshot = op.blob as string;
      // A git process, durable by its configuration; or lore's own commit, which says whether it fsynced all it wrote.
      const durable = typeof op.durable === "boolean" ? op.durable : gitRunIsDurable(op.args ?? []);
      const state: GitState = { snapshot, durable, digest: treeDigest(snapshot) };
      this.gitStates.push(state);
      if (state.durable) this.gitDurable = this.gitStates.length - 1;
      return;
    }
    if (this.outsideModel(op)) return;
    const at = op.path === undefined ? "" : this.relative(op.path);
    switch (op.op) {
      case "mkdir":
        this.bind(at, this.add({ kind: "dir", entries: new Map(), synced: new Map() }));
        return;
      case "create": {
        const existing = this.lookup(at);
        if (existing === undefined) this.bind(at, this.newFile());
        else if (op.flag === "w") (this.nodes.get(existing) as FileNode).data = EMPTY;
        return;
      }
      case "write": {
        const node = this.file(at);
        const bytes = Buffer.from(op.data ?? "", "base64");
        const offset = op.at === "end" || op.at === undefined ? node.data.length : op.at;
        const data = Buffer.alloc(Math.max(node.data.length, offset + bytes.length));
        node.data.copy(data);
        bytes.copy(data, offset);
        node.data = data;
        return;
      }
      case "fsync": {
        if (op.data !== undefined && this.lookup(at) === undefined) this.bind(at, this.newFile());
        const node = this.file(at);
        if (op.data !== undefined) node.data = Buffer.from(op.data, "base64");
        node.synced = node.data;
        return;
      }
      case "db-commit": {
        if (this.lookup(at) === undefined) this.bind(at, this.newFile());
        const node = this.file(at);
        node.data = this.blob(op.blob as string);
        node.synced = node.data;
        return;
      }
      case "dir-fsync": {
        const node = this.directory(at === "" ? [] : at.split("/"));
        node.synced = new Map(node.entries);
        return;
      }
      case "rename": {
        const id = this.unbind(this.relative(op.from as string));
        if (id === undefined) throw new Error(`replay: nothing to rename at ${op.from}`);
        this.bind(this.relative(op.to as string), id);
        return;
      }
      case "link": {
        const id = this.lookup(this.relative(op.from as string));
        if (id === undefined) throw new Error(`replay: nothing to link at ${op.from}`);
        this.bind(this.relative(op.to as string), id);
        return;
      }
      case "copy":
        this.bind(this.relative(op.to as string), this.newFile(this.file(this.relative(op.from as string)).data));
        return;
      case "unlink":
      case "rmdir":
      case "remove-tree":
        this.unbind(at);
        return;
      default:
        throw new Error(`replay: unknown operation ${op.op}`);
    }
  }

  /** What a power loss now could take. */
  items(): Item[] {
    const items: Item[] = [];
    const seen = new Set<number>();
    const walk = (id: number, prefix: string) => {
      const node = this.nodes.get(id) as DirNode;
      for (const name of new Set([...node.entries.keys(), ...node.synced.keys()])) {
        const current = node.entries.get(name);
        const durable = node.synced.get(name);
        const relative = `${prefix}${name}`;
        if (current !== durable) items.push({ key: `entry:${id}:${name}`, describe: `entry ${relative}` });
        for (const child of new Set([current, durable])) {
          if (child === undefined || seen.has(child)) continue;
          seen.add(child);
          const childNode = this.nodes.get(child) as DiskNode;
          if (childNode.kind === "dir") walk(child, `${relative}/`);
          else if (!childNode.data.equals(childNode.synced))
            items.push({ key: `data:${child}`, describe: `data of ${relative}` });
        }
      }
    };
    walk(this.root, "");
    const now = this.gitStates[this.gitStates.length - 1];
    if (now.digest !== this.gitStates[this.gitDurable].digest)
      items.push({ key: "git", describe: "git's last writes" });
    return items;
  }

  /** The disk after a power loss that took the items in `lost`. */
  view(lost: Set<string>): DiskView {
    const dirs: string[] = [];
    const files = new Map<string, Buffer>();
    const walk = (id: number, prefix: string) => {
      const node = this.nodes.get(id) as DirNode;
      for (const name of new Set([...node.entries.keys(), ...node.synced.keys()])) {
        const child = lost.has(`entry:${id}:${name}`) ? node.synced.get(name) : node.entries.get(name);
        if (child === undefined) continue;
        const relative = `${prefix}${name}`;
        const childNode = this.nodes.get(child) as DiskNode;
        if (childNode.kind === "dir") {
          dirs.push(relative);
          walk(child, `${relative}/`);
        } else {
          files.set(relative, lost.has(`data:${child}`) ? childNode.synced : childNode.data);
        }
      }
    };
    walk(this.root, "");
    const git = lost.has("git") ? this.gitStates[this.gitDurable] : this.gitStates[this.gitStates.length - 1];
    return { dirs, files, git };
  }

  describe(op: LoggedOp | undefined): string {
    if (op === undefined) return "before the first operation";
    const name = (absolute: string | undefined) => (absolute === undefined ? "" : this.relative(absolute));
    if (op.op === "git") return `git ${gitSubcommand(op.args ?? [])}`;
    if (op.from !== undefined) return `${op.op} ${name(op.from)} -> ${name(op.to)}`;
    return `${op.op} ${name(op.path)}`;
  }
}

// ---------------------------------------------------------------- states

const contentDigests = new WeakMap<Buffer, string>();

function contentDigest(bytes: Buffer): string {
  let digest = contentDigests.get(bytes);
  if (digest === undefined) {
    digest = crypto.createHash("sha1").update(bytes).digest("hex");
    contentDigests.set(bytes, digest);
  }
  return digest;
}

function viewDigest(view: DiskView): string {
  const hash = crypto.createHash("sha1");
  for (const dir of [...view.dirs].sort()) hash.update(`d ${dir}\n`);
  for (const file of [...view.files.keys()].sort()) {
    hash.update(`f ${file} ${contentDigest(view.files.get(file) as Buffer)}\n`);
  }
  hash.update(`g ${view.git.digest}\n`);
  return hash.digest("hex");
}

/** How long the machine was down: older than any stale age, as after a real reboot. */
const DOWN_FOR_MS = 10 * 60_000;

function writeView(view: DiskView, base: string): void {
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(base, { recursive: true });
  for (const dir of view.dirs) fs.mkdirSync(path.join(base, dir), { recursive: true });
  for (const [file, data] of view.files) fs.writeFileSync(path.join(base, file), data);
  if (view.git.snapshot !== undefined) copyTree(view.git.snapshot, path.join(base, ".git"));
  const then = new Date(Date.now() - DOWN_FOR_MS);
  for (const entry of [...view.files.keys(), ...[...view.dirs].reverse()])
    fs.utimesSync(path.join(base, entry), then, then);
}

/** The loss combinations for a crash point: all lost and none lost first. */
function lossChoices(items: Item[], combinations: number | "all", random: Prng): Set<string>[] {
  const keys = items.map((item) => item.key);
  const everyOne = keys.length <= 12 && (combinations === "all" || 2 ** keys.length <= combinations);
  const cap = combinations === "all" ? 4096 : combinations;
  const masks: number[] = [];
  if (everyOne) {
    const full = 2 ** keys.length - 1;
    for (let mask = full; mask >= 0; mask--) masks.push(mask);
    return masks.map((mask) => new Set(keys.filter((_, index) => mask & (2 ** index))));
  }
  const chosen = [new Set(keys), new Set<string>()].slice(0, cap);
  const seen = new Set([keys.join("|"), ""]);
  for (let attempt = 0; chosen.length < cap && attempt < cap * 20; attempt++) {
    const lost = keys.filter(() => random.chance(0.5));
    if (seen.has(lost.join("|"))) continue;
    seen.add(lost.join("|"));
    chosen.push(new Set(lost));
  }
  return chosen;
}

// ---------------------------------------------------------------- checks

/** A database's content, as a digest of every table's rows. */
function databaseDigest(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hash = crypto.createHash("sha1");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
      name: string;
    }>;
    for (const { name } of tables) {
      const rows = (db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as unknown[])
        .map((row) => JSON.stringify(row))
        .sort();
      hash.update(`${name}\n${rows.join("\n")}\n`);
    }
    return hash.digest("hex");
  } finally {
    db.close();
  }
}

function realTree(base: string): { dirs: Set<string>; files: Map<string, Buffer> } {
  const dirs = new Set<string>();
  const files = new Map<string, Buffer>();
  const walk = (directory: string, relative: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const entryRelative = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (isInGit(entryRelative) || isSqliteSideFile(entryRelative)) continue;
      if (entry.isDirectory()) {
        dirs.add(entryRelative);
        walk(path.join(directory, entry.name), entryRelative);
      } else if (entry.isFile()) {
        files.set(entryRelative, fs.readFileSync(path.join(directory, entry.name)));
      }
    }
  };
  walk(base, "");
  return { dirs, files };
}

/** Where the replayed log and the real tree differ: what the seam missed. */
function seamMisses(view: DiskView, base: string, scratch: string): string[] {
  const real = realTree(base);
  const misses: string[] = [];
  const modelDirs = new Set(view.dirs);
  for (const dir of real.dirs) if (!modelDirs.has(dir)) misses.push(`directory ${dir} was made unrecorded`);
  for (const dir of modelDirs) if (!real.dirs.has(dir)) misses.push(`directory ${dir} was removed unrecorded`);
  for (const [file, bytes] of real.files) {
    const modelled = view.files.get(file);
    if (modelled === undefined) misses.push(`file ${file} was written unrecorded`);
    else if (file === "memory/index.db") {
      const copy = path.join(scratch, "replayed.db");
      fs.writeFileSync(copy, modelled);
      if (databaseDigest(copy) !== databaseDigest(path.join(base, file)))
        misses.push("the database holds a change made outside a recorded COMMIT");
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(`${copy}${suffix}`, { force: true });
    } else if (!modelled.equals(bytes)) misses.push(`file ${file} was changed unrecorded`);
  }
  for (const file of view.files.keys()) if (!real.files.has(file)) misses.push(`file ${file} was removed unrecorded`);
  return misses;
}

/** A record as a file or a row holds it; `path` and `id` are null where that side does not say (a heuristic row's path). */
interface Held {
  kind: RecordKind;
  text: string;
  loreId: string | null;
  path: string | null;
  id: number | null;
}

/** The records of the journal's files, and the files that do not parse. */
function journalContent(base: string): { records: Held[]; torn: string[] } {
  const content: { records: Held[]; torn: string[] } = { records: [], torn: [] };
  for (const directory of ["memory/failures", "memory/heuristics"]) {
    const absolute = path.join(base, directory);
    if (!fs.existsSync(absolute)) continue;
    for (const name of fs.readdirSync(absolute).sort()) {
      const relative = `${directory}/${name}`;
      if (!isJournalFilePath(relative)) continue;
      const text = fs.readFileSync(path.join(base, relative), "utf8");
      try {
        recordsOf(relative, text);
      } catch (error) {
        content.torn.push(`${relative}: ${(error as Error).message}`);
        continue;
      }
      if (directory === "memory/failures") {
        const { title, loreId } = parseFailure(text);
        content.records.push({ kind: "failure", text: title, loreId: loreId ?? null, path: relative, id: null });
      } else {
        for (const { rule, loreId, id } of parseHeuristicFile(text)) {
          content.records.push({
            kind: "heuristic",
            text: rule,
            loreId: loreId ?? null,
            path: relative,
            id: id ?? null,
          });
        }
      }
    }
  }
  return content;
}

function databaseRows(base: string): Held[] {
  const db = new Database(path.join(base, "memory", "index.db"), { readonly: true, fileMustExist: true });
  try {
    return [
      ...db
        .prepare(
          "SELECT 'failure' AS kind, title AS text, lore_id AS loreId, filepath AS path, NULL AS id FROM learnings",
        )
        .all(),
      ...db
        .prepare("SELECT 'heuristic' AS kind, rule AS text, lore_id AS loreId, NULL AS path, id FROM heuristics")
        .all(),
    ] as Held[];
  } finally {
    db.close();
  }
}

/** How the search index differs from the rows, one line each; nothing where the database cannot be opened (`failed` says why). */
function searchIndexAt(base: string): string[] {
  let db: BetterSqlite3.Database;
  try {
    db = new Database(path.join(base, "memory", "index.db"), { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    return searchIndexViolations(db);
  } finally {
    db.close();
  }
}

/** Where a file's record and its row disagree. */
function disagreements(file: Held, row: Held): string[] {
  const problems = file.loreId === row.loreId ? [] : [`lore id ${file.loreId} in the file, ${row.loreId} in the row`];
  for (const name of ["path", "id"] as const) {
    if (file[name] !== null && row[name] !== null && file[name] !== row[name])
      problems.push(`${name} ${file[name]} in the file, ${row[name]} in the row`);
  }
  return problems;
}

function recordViolations(
  base: string,
  acknowledged: Acknowledged[],
  replaced: string[],
  withGit: boolean,
): Array<{ invariant: Invariant; detail: string }> {
  const found: Array<{ invariant: Invariant; detail: string }> = [];
  const files = journalContent(base);
  const rows = databaseRows(base);
  for (const record of acknowledged.filter(isRecord)) {
    const label = `${record.kind} "${record.text}"`;
    const same = (held: Held) => held.kind === record.kind && held.text === record.text;
    const inFiles = files.records.filter(same);
    const inRows = rows.filter(same);
    const counts = `${inFiles.length} in files, ${inRows.length} rows`;
    if (inFiles.length === 0 || inRows.length === 0) {
      found.push({ invariant: "lost", detail: `${label}: ${counts}` });
      continue;
    }
    if (inFiles.length > 1 || inRows.length > 1) {
      found.push({ invariant: "duplicate", detail: `${label}: ${counts}` });
      continue;
    }
    const [file] = inFiles;
    const problems = disagreements(file, inRows[0]);
    if (problems.length > 0) found.push({ invariant: "mismatch", detail: `${label}: ${problems.join("; ")}` });
    if (withGit && record.committed) {
      let committed = "";
      try {
        committed = execFileSync("git", ["show", `HEAD:${file.path}`], {
          cwd: base,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
      } catch {
        // Not in HEAD at all.
      }
      if (!committed.includes(record.text))
        found.push({ invariant: "uncommitted", detail: `${label} in ${file.path}` });
    }
  }
  for (const text of replaced) {
    const where = [
      ...files.records.filter((held) => held.text === text).map((held) => held.path),
      ...rows.filter((held) => held.text === text).map((held) => `a ${held.kind} row`),
    ];
    if (where.length > 0) found.push({ invariant: "reverted", detail: `"${text}" is still in ${where.join(", ")}` });
  }
  for (const torn of files.torn) found.push({ invariant: "torn", detail: torn });
  return found;
}

/** A heuristic as its record holds it: what its feedback events start from. */
interface HeuristicOnFile {
  key: HeuristicKey;
  confidence: number;
}

/** The heuristics of the journal's files whose rule is one of `rules`. */
function heuristicsOnFile(base: string, rules: Set<string>): HeuristicOnFile[] {
  const directory = path.join(base, "memory", "heuristics");
  if (!fs.existsSync(directory)) return [];
  const found: HeuristicOnFile[] = [];
  for (const name of fs.readdirSync(directory).sort()) {
    if (!isJournalFilePath(`memory/heuristics/${name}`)) continue;
    let parsed: ReturnType<typeof parseHeuristicFile>;
    try {
      parsed = parseHeuristicFile(fs.readFileSync(path.join(directory, name), "utf8"));
    } catch {
      continue; // `torn` says so.
    }
    for (const { rule, loreId, confidence, domain } of parsed) {
      if (rules.has(rule))
        found.push({ key: { loreId: loreId ?? null, domain: domain ?? name.replace(/\.md$/, ""), rule }, confidence });
    }
  }
  return found;
}

/** Whether `event` names the heuristic `key`: by lore id, else by domain and rule. */
function eventNames(event: FeedbackEvent, key: HeuristicKey): boolean {
  return event.heuristic.loreId !== null
    ? event.heuristic.loreId === key.loreId
    : event.heuristic.domain === key.domain && event.heuristic.rule === key.rule;
}

/** A heuristic's standing as the journal gives it: its record's, with its events applied in order. */
function standingOnFile(heuristic: HeuristicOnFile, events: FeedbackEvent[]): Standing {
  const start: Standing = { timesValidated: 0, timesViolated: 0, confidence: heuristic.confidence, isGolden: false };
  return events.filter((event) => eventNames(event, heuristic.key)).reduce(standingAfter, start);
}

/** A heuristic's standing in the database at `base`, by lore id (undefined without exactly one such row). */
function standingInDatabase(base: string, loreId: string | null): Standing | undefined {
  const db = new Database(path.join(base, "memory", "index.db"), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT ifnull(times_validated, 0) AS timesValidated, ifnull(times_violated, 0) AS timesViolated,
           ifnull(confidence, 0.5) AS confidence, ifnull(is_golden, 0) AS golden FROM heuristics WHERE lore_id IS ?`,
      )
      .all(loreId) as Array<Omit<Standing, "isGolden"> & { golden: number }>;
    if (rows.length !== 1) return undefined;
    const [{ golden, ...counters }] = rows;
    return { ...counters, isGolden: golden === 1 };
  } finally {
    db.close();
  }
}

/** How two standings differ, or undefined; a confidence within 1e-9 is the same (a block holds it as text). */
function standingDifference(expected: Standing, found: Standing): string | undefined {
  const same =
    expected.timesValidated === found.timesValidated &&
    expected.timesViolated === found.timesViolated &&
    expected.isGolden === found.isGolden &&
    Math.abs(expected.confidence - found.confidence) < 1e-9;
  const show = (standing: Standing) =>
    `validated ${standing.timesValidated}, violated ${standing.timesViolated}, confidence ${standing.confidence}, golden ${standing.isGolden}`;
  return same ? undefined : `${show(found)}, where ${show(expected)} was due`;
}

/** The events of the feedback files, or why they cannot be read. */
function feedbackOnFile(base: string): { events: FeedbackEvent[]; unreadable?: string } {
  try {
    return { events: journalFeedback(journalLayout(base)) };
  } catch (error) {
    return { events: [], unreadable: (error as Error).message };
  }
}

/** The events of git HEAD's feedback files (those that parse). */
function feedbackInHead(base: string): FeedbackEvent[] {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: base, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  let names: string[];
  try {
    names = git(["ls-tree", "-r", "--name-only", "HEAD", "--", FEEDBACK_DIR]).split("\n");
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) => {
      try {
        return parseFeedbackFile(git(["show", `HEAD:${name}`]), name);
      } catch {
        return [];
      }
    });
}

/** The database `lore sync --rebuild` makes from a copy of the files at `base` (no database); its directory, or its failure. */
async function rebuiltCopy(base: string): Promise<{ copy: string; failure?: string }> {
  const copy = tempDir("lore-power-loss-rebuilt-");
  fs.cpSync(base, copy, {
    recursive: true,
    filter: (source) => !/[/\\]memory[/\\]index\.db(-wal|-shm|-journal)?$/.test(source),
  });
  const result = await runLore(["sync", "--rebuild"], { cwd: copy });
  return result.code === 0
    ? { copy }
    : { copy, failure: `${result.signal ?? `exit ${result.code}`}: ${gist(result.stderr || result.stdout)}` };
}

/**
 * The feedback invariants: each (verdict, rule) has at least as many events
 * as were acknowledged and at most as many more as the command may have made
 * unacknowledged, no event id is on two lines, every committed one is in git
 * HEAD; each heuristic the feedback names has, in the database and in one
 * rebuilt from the files, the standing its record and events give; and
 * golden-rules.md is `goldenRulesBefore` with exactly the golden ones' rules.
 */
async function feedbackViolations(
  scenario: Scenario,
  base: string,
  acknowledged: Acknowledged[],
  unacknowledged: Acknowledged[],
  goldenRulesBefore: string | undefined,
): Promise<Array<{ invariant: Invariant; detail: string }>> {
  const named = [...scenario.before, ...scenario.own, ...scenario.next.flatMap((next) => next.acknowledges)].filter(
    (item) => !isRecord(item),
  );
  if (named.length === 0) return [];
  const found: Array<{ invariant: Invariant; detail: string }> = [];
  const { events, unreadable } = feedbackOnFile(base);
  if (unreadable !== undefined) found.push({ invariant: "uncounted", detail: unreadable });
  const lines = new Map<string, number>();
  for (const event of events) lines.set(event.id, (lines.get(event.id) ?? 0) + 1);
  for (const [id, count] of lines) {
    if (count > 1) found.push({ invariant: "overcounted", detail: `event ${id} is on ${count} lines` });
  }
  const inHead = scenario.git ? feedbackInHead(base) : [];
  const pairs = new Map(named.map((item) => [`${item.kind} "${item.text}"`, item]));
  for (const [label, { kind, text }] of pairs) {
    const same = (item: Acknowledged) => item.kind === kind && item.text === text;
    const made = (event: FeedbackEvent) => event.kind === kind && event.heuristic.rule === text;
    const due = acknowledged.filter(same).length;
    const possible = due + unacknowledged.filter(same).length;
    const onFile = events.filter(made).length;
    if (onFile < due) found.push({ invariant: "uncounted", detail: `${label}: ${onFile} events, ${due} acknowledged` });
    if (onFile > possible)
      found.push({ invariant: "overcounted", detail: `${label}: ${onFile} events, at most ${possible} made` });
    const committed = acknowledged.filter((item) => same(item) && item.committed).length;
    const committedOnes = inHead.filter(made).length;
    if (scenario.git && committedOnes < committed)
      found.push({ invariant: "unversioned", detail: `${label}: ${committedOnes} in HEAD, ${committed} committed` });
  }
  const heuristics = heuristicsOnFile(base, new Set(named.map((item) => item.text)));
  const rebuilt = await rebuiltCopy(base);
  try {
    if (rebuilt.failure !== undefined)
      found.push({ invariant: "rebuilt", detail: `lore sync --rebuild: ${rebuilt.failure}` });
    for (const heuristic of heuristics) {
      const label = `heuristic "${heuristic.key.rule}"`;
      const due = standingOnFile(heuristic, events);
      const inDatabase = standingInDatabase(base, heuristic.key.loreId);
      const difference = inDatabase && standingDifference(due, inDatabase);
      if (difference) found.push({ invariant: "standing", detail: `${label}: ${difference}` });
      const inRebuilt =
        rebuilt.failure === undefined ? standingInDatabase(rebuilt.copy, heuristic.key.loreId) : undefined;
      const rebuiltDifference = inDatabase && inRebuilt && standingDifference(inDatabase, inRebuilt);
      if (rebuiltDifference) found.push({ invariant: "rebuilt", detail: `${label}: rebuilt ${rebuiltDifference}` });
    }
  } finally {
    fs.rmSync(rebuilt.copy, { recursive: true, force: true });
  }
  const promoted = new Set(named.filter((item) => item.kind === "promoted").map((item) => item.text));
  if (promoted.size > 0)
    found.push(
      ...goldenRulesViolations(
        base,
        heuristics.filter((heuristic) => promoted.has(heuristic.key.rule)),
        events,
        goldenRulesBefore,
      ),
    );
  return found;
}

/** Whether golden-rules.md holds each of `heuristics`' rule exactly when its events make it golden, whole, and nothing else new. */
function goldenRulesViolations(
  base: string,
  heuristics: HeuristicOnFile[],
  events: FeedbackEvent[],
  before: string | undefined,
): Array<{ invariant: Invariant; detail: string }> {
  const file = path.join(base, "memory", "golden-rules.md");
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  const found: Array<{ invariant: Invariant; detail: string }> = [];
  let rest = text;
  for (const heuristic of heuristics) {
    const id = goldenRuleId(heuristic.key);
    const golden = standingOnFile(heuristic, events).isGolden;
    const held = text === undefined ? 0 : parseGoldenRules(text).rules.filter((rule) => rule.loreId === id).length;
    if (held !== (golden ? 1 : 0)) {
      found.push({
        invariant: "golden",
        detail: `"${heuristic.key.rule}" is ${golden ? "" : "not "}golden by its events and in golden-rules.md ${held} times`,
      });
    }
    if (golden && rest !== undefined) rest = withoutGoldenRule(rest, id) ?? rest;
  }
  if (rest !== before) {
    found.push({
      invariant: "golden",
      detail: `golden-rules.md (${text === undefined ? "gone" : `${text.length} characters`}) is not its earlier text with whole rules added`,
    });
  }
  return found;
}

/** lore in a crash state: waits at most 5 s for the lock, so that a stuck lock shows as exit 75. */
function lore(args: string[], base: string): Promise<RunResult> {
  return runLore(args, { cwd: base, env: { LORE_LOCK_TIMEOUT: "5" } });
}

/** The gist of a command's output: its `lore ...` lines (else its first), each cut to 240 characters. */
function gist(text: string, count = 3): string {
  const lines = text.trim().split("\n");
  const own = lines.filter((line) => line.startsWith("lore"));
  return (own.length > 0 ? own : lines)
    .slice(0, count)
    .map((line) => (line.length > 240 ? `${line.slice(0, 240)}...` : line))
    .join(" / ");
}

interface SyncFinding {
  type: string;
  path: string | null;
}

/** What `lore sync` finds (it exits 3 when it finds something). */
async function syncFindings(
  base: string,
  commandFailed: (args: string[], result: RunResult) => boolean,
): Promise<SyncFinding[]> {
  const result = await lore(["sync", "--json"], base);
  if (result.code !== 0 && result.code !== 3) {
    commandFailed(["sync"], result);
    return [];
  }
  return (JSON.parse(result.stdout) as { findings: SyncFinding[] }).findings;
}

function describeFindings(findings: SyncFinding[]): string {
  return findings.map((finding) => `${finding.type} ${finding.path ?? ""}`.trim()).join(", ");
}

/** Runs the next commands on the state at `base` and checks every invariant. */
async function checkState(
  scenario: Scenario,
  base: string,
  crashedAfterExit: boolean,
  goldenRulesBefore: string | undefined,
): Promise<Array<{ invariant: Invariant; detail: string }>> {
  const found: Array<{ invariant: Invariant; detail: string }> = [];
  const acknowledged = [...scenario.before, ...(crashedAfterExit ? scenario.own : [])];
  const commandFailed = (args: string[], result: RunResult): boolean => {
    if (result.code === 0) return false;
    const invariant: Invariant = result.code === 75 ? "lock" : "failed";
    found.push({
      invariant,
      detail: `lore ${args.join(" ")}: ${result.signal ?? `exit ${result.code}`}: ${gist(result.stderr || result.stdout)}`,
    });
    return true;
  };
  for (const next of scenario.next) {
    const result = await lore(next.args, base);
    if (!commandFailed(next.args, result)) acknowledged.push(...next.acknowledges);
  }
  const search = searchIndexAt(base);
  if (search.length > 0) found.push({ invariant: "search", detail: search.join("; ") });
  const pendingDir = path.join(base, "memory", ".lore", "pending");
  const pending = fs.existsSync(pendingDir) ? fs.readdirSync(pendingDir) : [];
  if (pending.length > 0) found.push({ invariant: "pending", detail: pending.join(", ") });
  for (const torn of journalContent(base).torn) found.push({ invariant: "torn", detail: torn });
  const findings = await syncFindings(base, commandFailed);
  const leftovers = findings.filter((finding) => finding.type === "temp-file");
  const others = findings.filter((finding) => finding.type !== "temp-file");
  if (leftovers.length > 0) found.push({ invariant: "leftover", detail: describeFindings(leftovers) });
  if (others.length > 0) found.push({ invariant: "unclean", detail: describeFindings(others) });
  if (findings.length > 0) {
    const fix = await lore(["sync", "--fix"], base);
    if (fix.code !== 3) commandFailed(["sync", "--fix"], fix);
    const remaining = await syncFindings(base, commandFailed);
    if (remaining.length > 0) found.push({ invariant: "unrepaired", detail: describeFindings(remaining) });
  }
  const ownHolds = acknowledged.some((record) => scenario.own.includes(record));
  const records = recordViolations(base, acknowledged, ownHolds ? (scenario.replaced ?? []) : [], scenario.git);
  // A torn file already found after the next command is one violation, not two.
  found.push(
    ...records.filter((entry) => entry.invariant !== "torn" || !found.some((seen) => seen.detail === entry.detail)),
  );
  const unacknowledged = crashedAfterExit ? [] : scenario.own;
  found.push(...(await feedbackViolations(scenario, base, acknowledged, unacknowledged, goldenRulesBefore)));
  return found;
}

// ---------------------------------------------------------------- explore

function seedFor(name: string, seed: number): number {
  let hash = seed >>> 0;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return hash;
}

export async function explore(scenario: Scenario, options: ExploreOptions): Promise<Exploration> {
  const base = fs.realpathSync(await scenario.prepare());
  const work = tempDir("lore-power-loss-");
  try {
    // The initial state: the database's WAL folded in, the git directory copied.
    const db = new Database(path.join(base, "memory", "index.db"));
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    let initialGit: GitState = { snapshot: undefined, durable: true, digest: "" };
    if (scenario.git) {
      const snapshot = path.join(work, "git-initial");
      copyTree(path.join(base, ".git"), snapshot);
      initialGit = { snapshot, durable: true, digest: treeDigest(snapshot) };
    }
    const model = DiskModel.ofTree(base, initialGit);
    const goldenRulesFile = path.join(base, "memory", "golden-rules.md");
    const goldenRulesBefore = fs.existsSync(goldenRulesFile) ? fs.readFileSync(goldenRulesFile, "utf8") : undefined;

    const logDir = path.join(work, "log");
    const env: Record<string, string> = { LORE_FS_LOG: logDir };
    if (options.omit) env.LORE_FS_OMIT = options.omit;
    const run = await runLore(scenario.command, { cwd: base, env, input: scenario.input });
    if (run.code !== 0) {
      throw new Error(`lore ${scenario.command.join(" ")} failed on the recorded run: ${run.stderr || run.stdout}`);
    }
    const ops = readLog(logDir);

    // Every crash point, every loss combination chosen, each distinct disk once.
    const random = new Prng(seedFor(scenario.name, options.seed));
    const states: Array<{ crashPoint: number; lost: Item[]; view: DiskView }> = [];
    const seen = new Set<string>();
    let considered = 0;
    for (let crashPoint = 0; crashPoint <= ops.length; crashPoint++) {
      if (crashPoint > 0) model.apply(ops[crashPoint - 1]);
      const items = model.items();
      for (const lost of lossChoices(items, options.combinations, random)) {
        considered++;
        const view = model.view(lost);
        // The same disk is checked again after the command's exit: its own records are acknowledged then.
        const digest = `${viewDigest(view)}${crashPoint === ops.length ? " after exit" : ""}`;
        if (seen.has(digest)) continue;
        seen.add(digest);
        states.push({ crashPoint, lost: items.filter((item) => lost.has(item.key)), view });
      }
    }
    const misses = seamMisses(model.view(new Set()), base, work);
    if (scenario.git && model.view(new Set()).git.digest !== treeDigest(path.join(base, ".git"))) {
      misses.push("git's directory was changed outside a recorded git process");
    }
    if (misses.length > 0) throw new Error(`the file-system seam missed operations:\n${misses.join("\n")}`);

    const violations: Violation[] = [];
    for (const [index, state] of states.entries()) {
      writeView(state.view, base);
      const crashedAfterExit = state.crashPoint === ops.length;
      for (const { invariant, detail } of await checkState(scenario, base, crashedAfterExit, goldenRulesBefore)) {
        violations.push({
          invariant,
          crashPoint: state.crashPoint,
          after: `${model.describe(ops[state.crashPoint - 1])}${crashedAfterExit ? " (the command's last operation)" : ""}`,
          lost: state.lost.map((item) => item.describe),
          detail,
        });
      }
      options.onState?.(index + 1, states.length);
    }
    return { scenario: scenario.name, operations: ops.length, considered, states: states.length, violations };
  } finally {
    if (!options.keep) {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(base, { recursive: true, force: true });
    }
  }
}

/** One line per distinct (invariant, crash point) of `violations`, for reports. */
export function describeViolations(violations: Violation[]): string[] {
  const lines = new Map<string, string>();
  for (const violation of violations) {
    const key = `${violation.invariant} ${violation.crashPoint}`;
    if (lines.has(key)) continue;
    const lost = violation.lost.length === 0 ? "nothing lost" : `lost: ${violation.lost.join(", ")}`;
    lines.set(
      key,
      `${violation.invariant} at crash point ${violation.crashPoint}, after ${violation.after} (${lost}): ${violation.detail}`,
    );
  }
  return [...lines.values()];
}
