/**
 * `lore sync`: one reconciliation of a journal's markdown and its SQLite
 * index, three ways: each side against what they agreed on last time (match.ts).
 *
 *   const report = await runSync(layout, { mode: "fix", ... });
 *   report.findings    // what was found (and, with mode "fix", fixed)
 *   report.remaining   // after a fix: what still needs a person
 *
 * The journal transaction (txn/journal-session.ts), locks in a record's order:
 *   1. withJournalHeld: open the database, take the journal lock, reopen it if
 *      a rebuild replaced the file meanwhile;
 *   2. a database that cannot be opened, or that SQLite finds damaged while
 *      sync reads it (`full`: also `integrity_check`), is rebuilt (rebuild.ts)
 *      in mode "fix" or with `rebuild`, and only reported otherwise;
 *   3. startSession: "fix" migrates and recovers what a killed lore left
 *      (each intent a `pending` finding); "report" and "dry-run" do neither,
 *      but compare inside a rolled-back migration and recovery
 *      (txn/recover.ts rehearseRecovery) when either has work: they report
 *      the same findings and change nothing;
 *   4. find what changed (file-changes.ts), compare (compare-journal.ts,
 *      analyze.ts, match.ts), look at the search index
 *      (search-index-finding.ts: a quick look, every entry with `full`) and
 *      at the feedback events (feedback-finding.ts: the rows marked as
 *      changed and the feedback files changed since verified; all with `full`),
 *      look for temp files and dead locks, and, where sync commits (a work
 *      tree, not --no-commit, not lore's git hooks), for record files git
 *      has not committed (`uncommitted`; those a pending intent still holds
 *      are left to it; one git ignores, or one that cannot be read as
 *      records, needs a person); "report" and "dry-run" stop here;
 *   5. "fix": the row actions, and the search index rebuilt after them, in
 *      one transaction (apply-plan.ts), or, with write-backs (restore.ts),
 *      rows and files in one files transaction (txn/files-transaction.ts),
 *      committed; leftovers removed; the uncommitted files committed in one
 *      commit (`sync: commit ...`); what the fix touched compared again (a
 *      rebuilt search index by the quick look);
 *   6. every mode records what it verified (verification.ts; the feedback
 *      files whose every event is applied, feedback-finding.ts); "fix" also
 *      raises each id sequence to the ids issued, and those to the
 *      sequences (db/ids-issued.ts), so that no id is given twice.
 * A sync killed at any point leaves nothing the next command cannot repair.
 * Errors: LockTimeoutError (exit 75), or what a step throws.
 * Design: docs/DESIGN.md#incremental-sync
 */
import fs from "node:fs";
import path from "node:path";
import type { JournalLayout } from "../journal/layout.js";
import { journalAbsolutePath, journalRelativePath } from "../journal/layout.js";
import { isOwnerTempFile, type JournalLock } from "../lock/journal-lock.js";
import { openJournalDb, type JournalDb } from "../db/journal-db.js";
import { CURRENT_SCHEMA_VERSION, migrate, schemaVersion } from "../db/schema.js";
import { alignIdsIssued } from "../db/ids-issued.js";
import type { GitRepo, RawGitResult } from "../git/git-process.js";
import { orphanedGitLocks } from "../git/git-locks.js";
import { commitPaths } from "../git/commit.js";
import { describeRule, ignoringRules } from "../git/ignore-rules.js";
import { step } from "../io/fault-points.js";
import { type HeldJournal, startSession, withJournalHeld } from "../txn/journal-session.js";
import { filesOfPendingIntents, writeRowsAndFiles } from "../txn/files-transaction.js";
import { FILES_INTENT_PREFIX, pendingNames, type RecoveryStep } from "../txn/pending-intent.js";
import { rehearseRecovery } from "../txn/recover.js";
import { keptVersionId } from "../io/durable-file.js";
import { commitOptions, type JournalSession } from "../txn/session.js";
import { type Comparison, compareJournal, withFinalPass } from "./compare-journal.js";
import { applyRowActions } from "./apply-plan.js";
import { detectChanges, hashAlgorithmOf, startGitStatus, type FileChanges } from "./file-changes.js";
import { type HashAlgorithm, isJournalFilePath } from "../journal/journal-file.js";
import type { Finding } from "./match.js";
import { REBUILD_PREFIX, rebuildDatabase, type RebuildResult } from "./rebuild.js";
import { planWriteBacks, type RestorePlan } from "./restore.js";
import { type RowRef, SyncCache } from "./sync-cache.js";
import { recordVerification } from "./verification.js";
import { searchIndexFinding } from "./search-index-finding.js";
import { removeTree } from "../io/file-system.js";
import type Database from "better-sqlite3";
import type { HeuristicStanding } from "../db/feedback-rows.js";
import type { FeedbackEvent } from "../journal/feedback-events.js";
import { applyFeedbackEvents, recordDatabaseOnlyChanges } from "../feedback/feedback-journal.js";
import { feedbackFiles, feedbackMessage } from "../feedback/record-feedback.js";
import { type FeedbackScan, recordFeedbackVerified, scanFeedback } from "./feedback-finding.js";

export type SyncMode = "report" | "dry-run" | "fix";

export interface SyncOptions {
  mode: SyncMode;
  /** Write files back from rows whose record is in no file (instead of archiving the rows). */
  restore: boolean;
  /** Also archive the rows ELF's hooks inserted for files that never existed. */
  prune: boolean;
  /** How a conflict (record and row both changed since the last sync) is settled; undefined: left to a person. */
  prefer: "files" | "db" | undefined;
  /** Rebuild the database from the files. */
  rebuild: boolean;
  /** Read every file, ignoring what earlier syncs verified. */
  full: boolean;
  timeoutMs: number;
  staleMs: number;
  /** Write no git commit (for restored files), and leave uncommitted record files unreported. */
  noCommit: boolean;
  /**
   * Report the record files git has not committed, and commit them with "fix".
   * lore's git hooks leave them: they run amid the user's own git operation.
   */
  checkCommitted: boolean;
  progress?: SyncProgressSink;
}

export interface SyncProgressSink {
  phase(name: string, total: number): void;
  advance(done: number): void;
  done(): void;
}

export interface SyncReport {
  layout: JournalLayout;
  mode: SyncMode;
  findings: Finding[];
  /** After a fix: findings still there (those that need a person). */
  remaining: Finding[];
  files: number;
  read: number;
  rows: number;
  rebuild: RebuildResult | undefined;
  /** --rebuild with --dry-run: the rebuild that --rebuild alone would run. */
  rebuildPlanned: boolean;
  /** Files written back by --restore (relative). */
  restored: string[];
  /** The git commit of restored files. */
  commit: string | undefined;
  commitError: string | undefined;
  /** The git commit of the record files git had not committed (the `uncommitted` findings). */
  fileCommit: string | undefined;
}

/** Findings that do not by themselves make a journal "out of sync". */
export function isInformational(finding: Finding): boolean {
  return finding.action.kind === "keep";
}

function integrityProblem(db: JournalDb): string | undefined {
  try {
    const result = db.sqlite.pragma("integrity_check", { simple: true });
    return result === "ok" ? undefined : `index.db fails its integrity check: ${String(result)}`;
  } catch (error) {
    return `index.db fails its integrity check: ${(error as Error).message}`;
  }
}

/**
 * lore's own leftovers in memory/.lore: owner temp files (only a killed lock
 * attempt leaves one: a failed one removes its own, and this sync's was
 * renamed before it held the lock), takeover tombs, rebuild candidates.
 */
function loreLeftovers(layout: JournalLayout): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(layout.loreDir);
  } catch {
    return [];
  }
  return names
    .filter(
      (name) =>
        isOwnerTempFile(layout.lockDir, name) ||
        name.startsWith("journal.lock.stale-") ||
        name.startsWith(REBUILD_PREFIX),
    )
    .map((name) => journalRelativePath(layout, path.join(layout.loreDir, name)));
}

function housekeepingFindings(
  layout: JournalLayout,
  lock: JournalLock,
  repo: GitRepo | undefined,
  changes: FileChanges,
  staleMs: number,
): Finding[] {
  const findings: Finding[] = [];
  for (const holder of lock.takenOverFrom) {
    findings.push({
      type: "stale-lock",
      path: journalRelativePath(layout, layout.lockDir),
      detail: `the journal lock was stale, held by ${holder}`,
      action: { kind: "taken-over" },
    });
  }
  for (const gitLock of repo ? orphanedGitLocks(repo, staleMs) : []) {
    findings.push({
      type: "stale-lock",
      path: gitLock,
      detail: `git's ${path.basename(gitLock)} was left by a git process that is gone`,
      action: { kind: "remove-lock", path: gitLock },
    });
  }
  for (const file of [...withoutPendingKeptVersions(layout, changes.tempFiles), ...loreLeftovers(layout)]) {
    findings.push({
      type: "temp-file",
      path: file,
      detail:
        keptVersionId(file) === undefined
          ? "a temp file left by a killed writer"
          : "a previous version of a file that a killed writer kept",
      action: { kind: "remove-file", path: file },
    });
  }
  return findings;
}

/**
 * The temp files but the kept versions (io/durable-file.ts keptVersionPath)
 * that a pending intent recovery could not resolve yet still needs, to take
 * its writer's work back.
 */
function withoutPendingKeptVersions(layout: JournalLayout, tempFiles: string[]): string[] {
  if (!tempFiles.some((file) => keptVersionId(file) !== undefined)) return tempFiles;
  const pending = new Set(pendingNames(layout));
  return tempFiles.filter((file) => {
    const id = keptVersionId(file);
    return id === undefined || (!pending.has(`${id}.json`) && !pending.has(`${FILES_INTENT_PREFIX}${id}.json`));
  });
}

function removeLeftovers(
  layout: JournalLayout,
  workTree: GitRepo | undefined,
  staleMs: number,
  findings: Finding[],
): void {
  // Checked again just before: a git started since may hold a new lock of the same name.
  const orphans =
    workTree && findings.some(({ action }) => action.kind === "remove-lock") ? orphanedGitLocks(workTree, staleMs) : [];
  for (const { action } of findings) {
    if (action.kind === "remove-file") removeTree(path.join(layout.base, ...action.path.split("/")));
    if (action.kind === "remove-lock" && orphans.includes(action.path)) removeTree(action.path);
  }
}

function emptyReport(layout: JournalLayout, mode: SyncMode): SyncReport {
  return {
    layout,
    mode,
    findings: [],
    remaining: [],
    files: 0,
    read: 0,
    rows: 0,
    rebuild: undefined,
    rebuildPlanned: false,
    restored: [],
    commit: undefined,
    commitError: undefined,
    fileCommit: undefined,
  };
}

/** An error SQLite raises when the file is not a sound database. */
function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

function damageFinding(detail: string): Finding {
  return { type: "db-damaged", path: "memory/index.db", detail, action: { kind: "rebuild" } };
}

export async function runSync(layout: JournalLayout, options: SyncOptions): Promise<SyncReport> {
  return withJournalHeld(layout, options, async (held) => {
    const repo = held.workTree;
    // git stats the tree while sync checks the database and repairs what a killed writer left.
    const status = repo ? startGitStatus(layout) : undefined;
    // The files an intent holds when git looks: recovery commits them (or warns), so they are not reported uncommitted.
    const pending = repo ? filesOfPendingIntents(layout) : new Set<string>();
    let db = held.database.db;
    try {
      const report = emptyReport(layout, options.mode);
      // Reading the database is the light check; --full also runs SQLite's integrity_check.
      let damage = held.database.problem ?? (db && options.full ? integrityProblem(db) : undefined);
      for (let attempt = 1; ; attempt++) {
        if (damage) report.findings.push(damageFinding(damage));
        const rebuild =
          (damage !== undefined && options.mode === "fix") ||
          (attempt === 1 && options.rebuild && options.mode !== "dry-run");
        if (rebuild) {
          db?.close();
          db = undefined;
          report.rebuild = rebuildWithProgress(layout, hashAlgorithmOf(repo), options);
          db = openJournalDb(layout.dbFile, { busyTimeoutMs: options.timeoutMs });
        } else if (damage !== undefined || options.rebuild || db === undefined) {
          report.rebuildPlanned = options.rebuild;
          return report;
        }
        try {
          await reconcile(held, db, report, options, attempt === 1 ? status : undefined, pending);
          return report;
        } catch (error) {
          if (!isCorruption(error) || attempt > 1) throw error;
          damage = `index.db is damaged: ${(error as Error).message}`;
          report.findings = report.findings.filter(
            (finding) => finding.type === "db-damaged" || finding.type === "stale-lock",
          );
        }
      }
    } finally {
      db?.close();
    }
  });
}

function rebuildWithProgress(layout: JournalLayout, algorithm: HashAlgorithm, options: SyncOptions): RebuildResult {
  options.progress?.phase("rebuilding", 0);
  const result = rebuildDatabase(layout, {
    algorithm,
    onFileRead: (count, total) => {
      if (count === 1) options.progress?.phase("rebuilding", total);
      options.progress?.advance(count);
    },
  });
  options.progress?.done();
  return result;
}

/** Steps 3 to 6 of the calling sequence, on a database that opened. */
async function reconcile(
  held: HeldJournal,
  db: JournalDb,
  report: SyncReport,
  options: SyncOptions,
  status: Promise<RawGitResult> | undefined,
  pending: ReadonlySet<string>,
): Promise<void> {
  const { layout, lock, journalKey, workTree: repo } = held;
  const behind = schemaVersion(db.sqlite) < CURRENT_SCHEMA_VERSION;
  if (behind) {
    report.findings.push({
      type: "schema-behind",
      path: "memory/index.db",
      detail: `schema version ${schemaVersion(db.sqlite)}, lore's is ${CURRENT_SCHEMA_VERSION}`,
      action: { kind: "migrate" },
    });
  }
  const fix = options.mode === "fix";
  const session = await startSession(held, db, options, { migrate: fix, recover: fix, leaveHandedOff: false });
  // Without --fix, a schema behind lore's and what a killed writer left are compared as migration and
  // recovery would leave them, inside a transaction that is rolled back: report and dry-run change nothing.
  const rehearsal = !fix && (behind || pendingNames(layout).length > 0);
  const startedAt = Date.now();
  const compare = async () => {
    const recovered = fix ? session.recovered : rehearsal ? rehearseRecovery(session) : [];
    const cache = new SyncCache(db.sqlite);
    const changes = await detectChanges(layout, repo, cache, { full: options.full, status });
    report.findings.push(
      ...housekeepingFindings(layout, lock, repo, changes, options.staleMs),
      ...recovered.map(pendingFinding),
    );
    options.progress?.phase("reading", changes.toRead.size);
    const analysis = compareJournal({
      db: db.sqlite,
      layout,
      cache,
      algorithm: changes.algorithm,
      files: changes.toRead,
      rows: cache.rowsOf([...changes.toRead, ...changes.gone]),
      full: options.full,
      prune: options.prune,
      restore: options.restore,
      prefer: options.prefer,
      onFileRead: (count) => options.progress?.advance(count),
    });
    options.progress?.done();
    // A file recovery will put back as it was (a record taken back, a write-back undone) is compared as it
    // is now only under --fix, once recovery did: without it, its findings are recovery's to settle.
    const putBack = new Set(recovered.filter((step) => !fix && step.putsFileBack).map((step) => step.path));
    const settled = (finding: Finding) => finding.path === undefined || !putBack.has(finding.path);
    report.findings.push(...analysis.problems.filter(settled), ...analysis.findings.filter(settled));
    const searchIndex = searchIndexFinding(db.sqlite, { full: options.full, changedRows: analysis.dirtyRefs });
    if (searchIndex) report.findings.push(searchIndex);
    const feedback = scanFeedback(db.sqlite, layout, cache, { full: options.full, now: new Date() });
    report.findings.push(...feedback.findings);
    if (session.repo && options.checkCommitted) {
      report.findings.push(...(await uncommittedFindings(session.repo, layout, changes, analysis.problems, pending)));
    }
    report.files = changes.fileCount;
    report.read = analysis.files.size;
    report.rows = analysis.rows.size;
    lock.assertHeld();
    if (fix) {
      await applyFix(
        { ...session, workTree: repo, prune: options.prune, restore: options.restore, prefer: options.prefer },
        report,
        analysis,
        changes,
        cache,
        feedback,
        startedAt,
      );
      report.remaining.push(...recovered.filter((step) => step.unresolved !== undefined).map(pendingFinding));
    } else if (!rehearsal && (hasSomethingToRecord(analysis, changes, cache) || feedback.read.length > 0)) {
      db.write(journalKey, () => {
        recordVerification(cache, analysis, { ...changes }, startedAt);
        recordFeedbackVerified(db.sqlite, cache, feedback, startedAt);
      });
    }
  };
  if (rehearsal) {
    await db.rehearse(journalKey, async () => {
      if (behind) migrate(db.sqlite);
      await compare();
    });
  } else {
    await compare();
  }
}

/** A pending intent, as recovery found it (and, after --fix, left it when `unresolved`). */
function pendingFinding(step: RecoveryStep): Finding {
  return {
    type: "pending",
    path: step.path,
    row: step.row,
    detail: step.unresolved === undefined ? step.found : `${step.found}; ${step.unresolved}`,
    action: { kind: "recover", repair: step.repair },
  };
}

/** Whether recording this analysis would change the cache (a sync that found nothing new writes nothing). */
function hasSomethingToRecord(analysis: Comparison, changes: FileChanges, cache: SyncCache): boolean {
  const previous = cache.indexFingerprint();
  const sameIndex =
    previous !== undefined &&
    changes.indexFingerprint !== undefined &&
    previous.stamp === changes.indexFingerprint.stamp &&
    previous.listing === changes.indexFingerprint.listing;
  return analysis.files.size > 0 || analysis.dirtyRefs.length > 0 || changes.gone.size > 0 || !sameIndex;
}

/**
 * The record files git has not committed: to commit, unless git ignores them
 * or they cannot be read as records (a person first). Those a pending intent
 * held when git looked (`pending`) are left to it: recovery commits them.
 */
async function uncommittedFindings(
  repo: GitRepo,
  layout: JournalLayout,
  changes: FileChanges,
  problems: Finding[],
  pending: ReadonlySet<string>,
): Promise<Finding[]> {
  const problemPaths = new Set(problems.map((problem) => problem.path));
  const findings: Finding[] = [];
  for (const [file, how] of changes.uncommitted) {
    if (pending.has(file)) continue;
    const detail = how === "new" ? "git does not track it yet" : "it differs from what HEAD holds";
    findings.push(
      problemPaths.has(file)
        ? { type: "uncommitted", path: file, detail: `${detail}; fix it first`, action: { kind: "needs-a-person" } }
        : { type: "uncommitted", path: file, detail, action: { kind: "commit-file", path: file } },
    );
  }
  const ignored = changes.ignored.filter((file) => !pending.has(file));
  const rules = await ignoringRules(
    repo,
    ignored.map((file) => journalAbsolutePath(layout, file)),
  );
  for (const file of ignored) {
    const rule = rules.get(journalAbsolutePath(layout, file));
    findings.push({
      type: "uncommitted",
      path: file,
      detail: `git ignores it${rule ? ` (${describeRule(repo, rule)})` : ""}; \`lore init\` undoes that rule where it is the journal's own`,
      action: { kind: "leave-ignored" },
    });
  }
  return findings;
}

/** Commits the files of the `commit-file` findings in one commit; a failure leaves them for a person, saying why. */
async function commitUncommitted(session: JournalSession, report: SyncReport): Promise<void> {
  const findings = report.findings.filter((finding) => finding.action.kind === "commit-file");
  if (findings.length === 0 || !session.repo) return;
  const files = findings.map((finding) => finding.path as string);
  const message =
    files.length === 1
      ? `sync: commit ${files[0]}`
      : `sync: commit ${files.length} record files\n\n${files.join("\n")}`;
  try {
    session.lock.assertHeld();
    report.fileCommit = await commitPaths(
      session.repo,
      {
        files: files.map((file) => journalAbsolutePath(session.layout, file)),
        message,
        indexFile: path.join(session.layout.loreDir, "files-commit.index"),
      },
      commitOptions(session),
    );
  } catch (error) {
    for (const finding of findings) {
      report.remaining.push({
        ...finding,
        detail: `${finding.detail}; the commit failed: ${(error as Error).message}`,
        action: { kind: "needs-a-person" },
      });
    }
  }
}

const WRITE_BACKS = new Set(["restore-file", "rewrite-record", "remove-record"]);

/** The commit message of a fix's write-backs: what they do, counted. */
function writeBackMessage(findings: Finding[], plan: RestorePlan): string {
  const count = (kind: string) => findings.filter(({ action }) => action.kind === kind).length;
  const parts = [
    [count("restore-file") - plan.skipped.length, "write"],
    [count("rewrite-record"), "rewrite"],
    [count("remove-record"), "remove"],
  ]
    .filter(([n]) => Number(n) > 0)
    .map(([n, verb]) => `${verb} ${n}`);
  return `sync: ${parts.join(", ")} record(s) from the database`;
}

/** The `adjusted` events the fix adds to the journal, and their rows. */
function feedbackToRecord(findings: Finding[]): { events: FeedbackEvent[]; rows: HeuristicStanding[] } {
  const recorded = findings.flatMap(({ action }) =>
    action.kind === "record-feedback" ? action.found.changes.filter((change) => change.event !== undefined) : [],
  );
  return { events: recorded.map((change) => change.event as FeedbackEvent), rows: recorded.map(({ row }) => row) };
}

/** The feedback findings' fixes (sync/feedback-finding.ts): DB-only changes noted first, then the journal's events applied. */
function applyFeedbackActions(db: Database.Database, findings: Finding[]): void {
  for (const { action } of findings) if (action.kind === "record-feedback") recordDatabaseOnlyChanges(db, action.found);
  for (const { action } of findings) if (action.kind === "apply-feedback") applyFeedbackEvents(db, action.events);
}

async function applyFix(
  session: JournalSession & {
    workTree: GitRepo | undefined;
    prune: boolean;
    restore: boolean;
    prefer: SyncOptions["prefer"];
  },
  report: SyncReport,
  analysis: Comparison,
  changes: FileChanges,
  cache: SyncCache,
  feedbackScan: FeedbackScan,
  startedAt: number,
): Promise<void> {
  const { db, layout, lock } = session;
  let plan: RestorePlan = { files: new Map(), skipped: [] };
  const feedback = feedbackToRecord(report.findings);
  const now = new Date(startedAt);
  const writesBack = report.findings.some(({ action }) => WRITE_BACKS.has(action.kind)) || feedback.events.length > 0;
  const applyRows = () => {
    applyRowActions(db.sqlite, report.findings);
    applyFeedbackActions(db.sqlite, report.findings);
    // A row sync took out (or saw deleted) is no longer anyone's base: if its
    // record comes back, it is a record without a row, not a deletion to repeat.
    cache.forgetRows(
      report.findings.flatMap(({ action }) =>
        action.kind === "archive-row" ? [action.row] : action.kind === "remove-record" ? [action.row] : [],
      ),
    );
    if (writesBack) plan = planWriteBacks(db.sqlite, layout, report.findings);
    lock.assertHeld();
    if (feedback.events.length === 0) return { files: plan.files, message: writeBackMessage(report.findings, plan) };
    const files = new Map([...plan.files, ...feedbackFiles(session, feedback.events, now)]);
    const message =
      plan.files.size > 0 ? writeBackMessage(report.findings, plan) : feedbackMessage("sync", feedback.rows);
    return { files, message };
  };
  if (!writesBack) {
    db.write(session.journalKey, applyRows);
  } else {
    const written = await writeRowsAndFiles(session, applyRows);
    report.commit = written.commit ?? undefined;
    report.commitError = written.commitError?.message;
  }
  step("sync-rows-applied");
  report.restored = [...plan.files.keys()];
  removeLeftovers(layout, session.workTree, session.options.staleMs, report.findings);
  // Only what the fix touched is compared again; every other pair stands as found.
  const touchedFiles = new Set(report.restored);
  const touchedRows: RowRef[] = [];
  for (const finding of [...analysis.problems, ...analysis.findings]) {
    if (finding.path !== undefined) touchedFiles.add(finding.path);
    if (finding.row) touchedRows.push(finding.row);
  }
  const finalPass = compareJournal({
    db: db.sqlite,
    layout,
    cache,
    algorithm: changes.algorithm,
    files: [...touchedFiles].filter((file) => isJournalFilePath(file)),
    rows: touchedRows,
    dirtyRefs: touchedRows,
    full: false,
    prune: session.prune,
    restore: session.restore,
    prefer: session.prefer,
  });
  const final = withFinalPass(analysis, finalPass);
  report.remaining = [...finalPass.problems, ...finalPass.findings.filter((finding) => !isInformational(finding))];
  report.remaining.push(
    ...report.findings.filter((finding) => finding.type === "uncommitted" && finding.action.kind !== "commit-file"),
  );
  if (report.findings.some(({ action }) => action.kind === "rebuild-search-index")) {
    const searchIndex = searchIndexFinding(db.sqlite, { full: false, changedRows: [] });
    if (searchIndex) report.remaining.push(searchIndex);
  }
  await commitUncommitted(session, report);
  for (const { row, reason } of plan.skipped) {
    const finding = report.remaining.find((entry) => entry.row?.table === row.table && entry.row.id === row.id);
    if (finding) {
      finding.detail = `${finding.detail}; it cannot be written back: ${reason}`;
      finding.action = { kind: "needs-a-person" };
    }
  }
  db.write(session.journalKey, () => {
    recordVerification(
      cache,
      final,
      { ...changes, worktreeDirty: new Set([...changes.worktreeDirty, ...report.restored]) },
      startedAt,
    );
    recordFeedbackVerified(db.sqlite, cache, feedbackScan, startedAt);
    // No id the database gave before it lost commits (or was rebuilt) is given again.
    alignIdsIssued(layout, db.sqlite);
  });
  step("sync-verified");
}
