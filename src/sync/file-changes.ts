/**
 * Which journal files sync must read: those that may differ from what it
 * verified last time (sync-cache.ts), and nothing else.
 *
 *   const changes = await detectChanges(layout, repo, cache, { full, status });
 *   changes.toRead      // paths to read and verify
 *   changes.gone        // verified before, no longer on disk
 *   changes.tempFiles   // write-file-atomic leftovers in the record directories
 *   changes.uncommitted // record files whose content git has not committed (new or changed)
 *   changes.ignored     // record files git ignores
 *
 * A file is skipped only when its content is known to be what sync verified.
 * In a git work tree, git says so: a file that `git status` calls clean holds
 * its index blob, and is skipped when that blob is the content id sync
 * verified (`git ls-files -s` runs only when `.git/index` changed, and is
 * compared only when its listing did). Outside git, or when git fails, an
 * unchanged size, mtime and inode skips a file that was older than RACY_MS
 * when it was verified (git's "racily clean" rule). Files that differed from
 * the index or had a finding last time are always read again (`recheck`);
 * with `full`, every record file is read. Files git ignores are found and
 * read like any other (`--ignored=traditional` lists each file of an ignored
 * directory). The same `git status` tells which record files HEAD does not
 * hold as they are (`uncommitted`: untracked, or changed in the index or the
 * work tree; not a deleted file, nor one with a merge conflict) and which git
 * ignores; outside git both are empty. `status` is a `git status` started
 * earlier (startGitStatus), so that git works while sync does. Reads only;
 * errors are the file system's.
 * Design: docs/DESIGN.md#incremental-sync
 */
import fs from "node:fs";
import path from "node:path";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath } from "../journal/layout.js";
import { runGitRaw, type GitRepo, type RawGitResult } from "../git/git-process.js";
import { objectCodecs } from "../git/object-codecs.js";
import {
  isJournalFilePath,
  isRecordTempPath,
  RECORD_DIRECTORIES,
  sameStat,
  statFile,
  type HashAlgorithm,
} from "../journal/journal-file.js";
import type { IndexFingerprint, StatVerified, SyncCache } from "./sync-cache.js";

/** A file modified this close to its verification may hide a same-size rewrite. */
export const RACY_MS = 2000;

export interface FileChanges {
  toRead: Set<string>;
  gone: Set<string>;
  /** Gone files that git's index still holds: they may come back clean, so they stay on the recheck list. */
  goneTracked: Set<string>;
  tempFiles: string[];
  /** Files whose working copy differs from git's index now (read again next time). */
  worktreeDirty: Set<string>;
  /** The index's fingerprint, to store once this sync's verification is recorded. */
  indexFingerprint: IndexFingerprint | undefined;
  algorithm: HashAlgorithm;
  /** How many record files exist (for the report). */
  fileCount: number;
  /** Record files on disk that HEAD does not hold as they are: new to git, or changed. */
  uncommitted: Map<string, "new" | "changed">;
  /** Record files git ignores (never committed while the rule stands). */
  ignored: string[];
}

function noChanges(indexFingerprint: IndexFingerprint | undefined, algorithm: HashAlgorithm): FileChanges {
  return {
    toRead: new Set(),
    gone: new Set(),
    goneTracked: new Set(),
    tempFiles: [],
    worktreeDirty: new Set(),
    indexFingerprint,
    algorithm,
    fileCount: 0,
    uncommitted: new Map(),
    ignored: [],
  };
}

interface IndexEntry {
  blob: string;
  unmerged: boolean;
}

function journalPrefix(repo: GitRepo, layout: JournalLayout): string {
  const relative = path.relative(fs.realpathSync(repo.root), fs.realpathSync(layout.base));
  return relative === "" ? "" : `${relative.split(path.sep).join("/")}/`;
}

function parseIndexListing(output: Buffer): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  // Each string decoded on its own: slices of the whole listing would keep all of it alive as long as any path.
  for (let start = 0; start < output.length; ) {
    let end = output.indexOf(0, start);
    if (end < 0) end = output.length;
    const tab = output.indexOf(9, start);
    if (tab < 0 || tab > end) {
      start = end + 1;
      continue;
    }
    const [, blob, stage] = output.toString("latin1", start, tab).split(" ");
    const file = output.toString("utf8", tab + 1, end);
    start = end + 1;
    const existing = entries.get(file);
    if (stage === "0") entries.set(file, { blob, unmerged: false });
    else entries.set(file, { blob: existing?.blob ?? blob, unmerged: true });
  }
  return entries;
}

/** The hash git uses for object ids in `repo` (sha1 unless it was made with sha256). */
export function hashAlgorithmOf(repo: GitRepo | undefined): HashAlgorithm {
  if (!repo) return "sha1";
  try {
    return /^\s*objectformat\s*=\s*sha256\s*$/im.test(fs.readFileSync(path.join(repo.gitDir, "config"), "utf8"))
      ? "sha256"
      : "sha1";
  } catch {
    return "sha1";
  }
}

function indexStamp(repo: GitRepo): string {
  const stat = statFile(path.join(repo.gitDir, "index"));
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : "none";
}

interface StatusView {
  /** Differs between the index and the work tree, or unmerged. */
  differs: Set<string>;
  untracked: Set<string>;
  ignored: Set<string>;
  /** Tracked, there, and not as HEAD holds it (in the index or the work tree), without a merge conflict. */
  changed: Set<string>;
}

function parseStatus(output: string, prefix: string): StatusView {
  const view: StatusView = { differs: new Set(), untracked: new Set(), ignored: new Set(), changed: new Set() };
  for (const record of output.split("\0")) {
    if (record.length < 4) continue;
    const code = record.slice(0, 2);
    const full = record.slice(3);
    if (!full.startsWith(prefix)) continue;
    const file = full.slice(prefix.length);
    if (code === "??") view.untracked.add(file);
    else if (code === "!!") view.ignored.add(file);
    else {
      const unmerged = /U|AA|DD/.test(code);
      if (code[1] !== " " || unmerged) view.differs.add(file);
      if (!unmerged && !code.includes("D")) view.changed.add(file);
    }
  }
  return view;
}

/**
 * Whether the file at `absolute` is as it was verified: the same size, mtime
 * and inode now, and modified at least RACY_MS before it was verified.
 */
export function unchangedByStat(verified: StatVerified | undefined, absolute: string): boolean {
  if (!verified || verified.stat.mtimeMs > verified.verifiedAtMs - RACY_MS) return false;
  const now = statFile(absolute);
  return now !== undefined && sameStat(now, verified.stat);
}

function isTrustedByStat(layout: JournalLayout, file: string, cache: SyncCache): boolean {
  return unchangedByStat(cache.entry(file), journalAbsolutePath(layout, file));
}

const PATHSPECS = ["--", ...RECORD_DIRECTORIES.map((entry) => entry.directory)];

/**
 * Starts `git status` of the record directories. sync starts it as soon as it
 * holds the journal lock and does its other work while git stats the tree.
 */
export function startGitStatus(layout: JournalLayout): Promise<RawGitResult> {
  const status = runGitRaw(layout.base, [
    "--no-optional-locks",
    "status",
    "--porcelain=v1",
    "-z",
    "--untracked-files=all",
    "--ignored=traditional",
    "--no-renames",
    ...PATHSPECS,
  ]);
  status.catch(() => undefined);
  return status;
}

async function changesFromGit(
  layout: JournalLayout,
  repo: GitRepo,
  cache: SyncCache,
  full: boolean,
  status: Promise<RawGitResult>,
): Promise<FileChanges> {
  const stamp = indexStamp(repo);
  const previous = cache.indexFingerprint();
  let listing: Buffer | undefined;
  let fingerprint: IndexFingerprint;
  if (!full && previous && previous.stamp === stamp) {
    fingerprint = previous;
  } else {
    listing = (await runGitRaw(layout.base, ["ls-files", "-z", "-s", ...PATHSPECS])).stdout;
    fingerprint = { stamp, listing: objectCodecs().sha1(listing).toString("hex"), tracked: 0 };
  }
  const indexUnchanged = !full && previous !== undefined && previous.listing === fingerprint.listing;
  if (indexUnchanged && previous) fingerprint.tracked = previous.tracked;
  const index = indexUnchanged ? undefined : parseIndexListing(listing ?? Buffer.alloc(0));
  if (index) fingerprint.tracked = [...index.keys()].filter(isJournalFilePath).length;
  const view = parseStatus((await status).stdout.toString("utf8"), journalPrefix(repo, layout));
  const firstBlob = index?.values().next().value?.blob;
  const changes = noChanges(
    fingerprint,
    firstBlob === undefined ? hashAlgorithmOf(repo) : firstBlob.length === 64 ? "sha256" : "sha1",
  );
  const onDisk = [...view.untracked, ...view.ignored];
  for (const file of onDisk) if (isRecordTempPath(file)) changes.tempFiles.push(file);
  const candidates = new Set<string>();
  for (const file of [...view.differs, ...onDisk]) {
    if (!isJournalFilePath(file)) continue;
    changes.worktreeDirty.add(file);
    candidates.add(file);
  }
  for (const file of cache.recheckPaths()) candidates.add(file);
  if (index) {
    // Every tracked file is looked up in the cache: read it whole, once, rather than a query per file.
    const cached = [...cache.allPaths()];
    for (const [file, entry] of index) {
      if (!isJournalFilePath(file)) continue;
      if (full || entry.unmerged || cache.entry(file)?.contentId !== entry.blob) candidates.add(file);
    }
    for (const file of cached) if (!index.has(file)) candidates.add(file);
  }
  const tracked = (file: string) => (index ? index.has(file) : !view.untracked.has(file) && !view.ignored.has(file));
  for (const file of candidates) {
    const cached = cache.entry(file);
    if (!statFile(journalAbsolutePath(layout, file))) {
      if (cached) changes.gone.add(file);
      if (tracked(file)) changes.goneTracked.add(file);
      continue;
    }
    const entry = index?.get(file);
    const clean = entry !== undefined && !entry.unmerged && !changes.worktreeDirty.has(file);
    if (!full && clean && cached?.contentId === entry.blob) continue;
    if (!full && !clean && isTrustedByStat(layout, file, cache)) continue;
    changes.toRead.add(file);
  }
  changes.fileCount = fingerprint.tracked + onDisk.filter(isJournalFilePath).length;
  for (const file of view.untracked) if (isJournalFilePath(file)) changes.uncommitted.set(file, "new");
  for (const file of view.changed) if (isJournalFilePath(file)) changes.uncommitted.set(file, "changed");
  changes.ignored = [...view.ignored].filter(isJournalFilePath);
  return changes;
}

function listDirectory(layout: JournalLayout, directory: string): string[] {
  const absolute = journalAbsolutePath(layout, directory);
  let names: string[];
  try {
    names = fs.readdirSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names.map((name) => `${directory}/${name}`);
}

/** Every entry of the record directories (relative, with `/`). */
function listRecordDirectories(layout: JournalLayout): string[] {
  return RECORD_DIRECTORIES.flatMap((entry) => listDirectory(layout, entry.directory));
}

function changesFromStat(layout: JournalLayout, cache: SyncCache, full: boolean): FileChanges {
  const changes = noChanges(undefined, "sha1");
  const present = new Set<string>();
  // Every record file is looked up in the cache: read it whole, once, rather than a query per file.
  const cached = [...cache.allPaths()];
  for (const file of listRecordDirectories(layout)) {
    if (isRecordTempPath(file)) changes.tempFiles.push(file);
    if (!isJournalFilePath(file)) continue;
    if (!statFile(journalAbsolutePath(layout, file))) continue;
    present.add(file);
    if (full || !isTrustedByStat(layout, file, cache)) changes.toRead.add(file);
  }
  for (const file of cached) if (!present.has(file)) changes.gone.add(file);
  changes.fileCount = present.size;
  return changes;
}

/** What changed since the last sync. Git errors fall back to the stat walk. */
export async function detectChanges(
  layout: JournalLayout,
  repo: GitRepo | undefined,
  cache: SyncCache,
  options: { full: boolean; status?: Promise<RawGitResult> },
): Promise<FileChanges> {
  if (repo) {
    try {
      return await changesFromGit(layout, repo, cache, options.full, options.status ?? startGitStatus(layout));
    } catch {
      // git missing or broken here: the stat walk needs nothing but the files.
    }
  }
  return changesFromStat(layout, cache, options.full);
}

/** Every record file on disk (for a rebuild or a full sync). */
export function listJournalFiles(layout: JournalLayout): string[] {
  return listRecordDirectories(layout).filter(
    (file) => isJournalFilePath(file) && statFile(journalAbsolutePath(layout, file)) !== undefined,
  );
}
