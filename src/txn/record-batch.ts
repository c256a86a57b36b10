/**
 * Several writers of one process in one journal session, their records
 * committed to git together: the in-process group commit of a writer that
 * stays up and answers calls that arrive together (`lore mcp`).
 *
 *   await withJournalSession(layout, options, async (session) => {
 *     const batch = new RecordBatch(session);
 *     const a = await batch.persist(draftA);                         // file, row, COMMIT; git waits
 *     const b = await batch.persist(draftB);
 *     const fed = await batch.alone(() => recordFeedback(session, ...));  // the records before it committed first
 *     await batch.commit();                                           // a and b: one group commit
 *   });
 *
 *   // or, at the session's end, leave the commits to a writer queued behind:
 *   const handedOff = await withJournalSession(layout, options, async (session) => {
 *     ... persist as above ...
 *     return batch.commitOrHandOff();
 *   }, kept);
 *   await awaitHandedOff(layout, options, handedOff, kept);          // after the lock went
 *
 * `persist` is persistRecords (`persistAll` for several drafts on distinct
 * files at once, in one write transaction): each record is in its file
 * and its row (COMMIT done) when it resolves, its intent still pending; its
 * `commit` (or `commitError`) is set by the next `commit`, which commits
 * every record persisted since the last one, with the records other writers
 * handed off, as one group (record-transaction.ts commitRecords,
 * group-commit.ts): each record keeps a commit of its own, its own file and
 * message. A record whose file already holds an uncommitted record of the
 * batch (a heuristic domain file) commits the batch first, so that each
 * commit holds only its own record; so does `alone`, for a writer with its
 * own commit (the feedback writers), so that commits follow the order of the
 * calls. Call `commit` before the session ends: a record left uncommitted is
 * an intent the next session's recovery commits, never a lost record.
 * `commitOrHandOff` is `commit`, unless another process waits for the lock
 * to write a record of its own (group-commit.ts handOffWanted): then the
 * batch's records are handed off to it, as a record of the command line
 * hands its commit off, so that writers of many processes share one git
 * commit process; the caller waits for their commits (hand-off.ts
 * awaitHandedOff) once its session released the lock.
 *
 * Once: a draft whose lore id is in the database already is the record made
 * (a call made twice: a record call relayed to a server that went before it
 * answered, mcp/record-relay.ts). `persist` writes nothing and returns that
 * record, with the commit that holds its file, made first if it was handed
 * off to this session.
 *
 * A record's errors are persistRecord's, thrown by `persist` (nothing of
 * that record stays); `commit` throws nothing. Not for concurrent use: the
 * caller runs one writer at a time (the session holds the journal lock once).
 */
import { findRecordedRow } from "../db/record-rows.js";
import { journalAbsolutePath, journalRelativePath } from "../journal/layout.js";
import type { JournalSession } from "./session.js";
import { commitHandedOffOn, handOffWanted } from "./group-commit.js";
import { commitHolding } from "./record-commit.js";
import {
  commitRecords,
  handOffRecords,
  type PersistOptions,
  type PersistedRecord,
  persistRecords,
  type RecordDraft,
} from "./record-transaction.js";

export class RecordBatch {
  private uncommitted: PersistedRecord[] = [];

  constructor(private readonly session: JournalSession) {}

  async persist(draft: RecordDraft, options: PersistOptions = {}): Promise<PersistedRecord> {
    const [record] = await this.persistAll([draft], options);
    return record;
  }

  /**
   * `persist` for drafts on distinct files at once, in one write transaction
   * (record-transaction.ts persistRecords); in the drafts' order. A failure
   * is every draft's.
   */
  async persistAll(drafts: RecordDraft[], options: PersistOptions = {}): Promise<PersistedRecord[]> {
    const records: Array<PersistedRecord | undefined> = [];
    for (const draft of drafts) records.push(await this.recordMade(draft));
    const fresh = drafts.filter((_, index) => records[index] === undefined);
    if (fresh.length === 0) return records as PersistedRecord[];
    if (this.uncommitted.some((record) => fresh.some((draft) => draft.target === record.file))) await this.commit();
    const persisted = await persistRecords(this.session, fresh, options);
    for (const record of persisted) if (record.uncommitted) this.uncommitted.push(record);
    return records.map((record) => record ?? (persisted.shift() as PersistedRecord));
  }

  /**
   * The record of a draft whose lore id is in the database already, with the
   * commit that holds its file, once the records before it are committed;
   * undefined for a new record.
   */
  private async recordMade(draft: RecordDraft): Promise<PersistedRecord | undefined> {
    const row = findRecordedRow(this.session.db.sqlite, draft.table, draft.loreId);
    if (row === undefined) return undefined;
    const { layout, repo } = this.session;
    const file = row.path === null ? draft.target : journalAbsolutePath(layout, row.path);
    await this.commit();
    if (this.session.awaiting.length > 0) await commitHandedOffOn(this.session, file);
    const record: PersistedRecord = {
      id: row.id,
      loreId: draft.loreId,
      file,
      path: journalRelativePath(layout, file),
      commit: null,
    };
    try {
      if (repo) record.commit = await commitHolding(this.session, file);
    } catch (error) {
      record.commitError = error as Error;
    }
    return record;
  }

  /** Runs a writer that makes its own commit, once the records before it are committed. */
  async alone<T>(work: () => Promise<T>): Promise<T> {
    await this.commit();
    return work();
  }

  /**
   * Commits every record persisted since the last commit, with the records
   * other writers handed off to this session (their writers wait: they are
   * committed even when the batch has none of its own); each record of the
   * batch gets its `commit` or `commitError`.
   */
  async commit(): Promise<void> {
    if (this.uncommitted.length === 0 && this.session.awaiting.length === 0) return;
    const records = this.uncommitted;
    this.uncommitted = [];
    await commitRecords(this.session, records);
  }

  /**
   * At the session's end: hands the records persisted since the last commit
   * off to a writer of another process queued for the lock, or, with none
   * queued (or nothing to hand off), commits as `commit` does. Returns the
   * records handed off, each with its `handedOff` intent to wait on.
   */
  async commitOrHandOff(): Promise<PersistedRecord[]> {
    if (this.uncommitted.length === 0 || !handOffWanted(this.session)) {
      await this.commit();
      return [];
    }
    const records = this.uncommitted;
    this.uncommitted = [];
    handOffRecords(this.session, records);
    return records.filter((record) => record.handedOff !== undefined);
  }
}
