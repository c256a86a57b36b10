/**
 * One journal as `lore mcp` holds it while it stays up: its connections,
 * opened once and kept between calls, and the queue its writes take to the
 * journal lock.
 *
 *   const served = new ServedJournal(layout, options, { idleMs });
 *   const hits = served.read((journal) => searchJournal(journal, request));
 *   const record = await served.record((layout, claimed) => draftFailure(layout, input, now, { claimed }));
 *   const result = await served.write((batch, session) => batch.alone(() => recordFeedback(session, ...)));
 *   await served.close();          // once the client is gone: what is queued is done first
 *
 * Reads: one read-only connection (read/read-journal.ts), lock-free, each
 * call in one snapshot. It is reopened when `index.db` is another file than
 * the one it has open (a `lore sync --rebuild` renamed a new one into place;
 * `rm` and a rebuild) or its schema changed (a migration: what the reader
 * knows of its tables is stale).
 *
 * Writes: the calls of this process queue here, with the record calls other
 * servers relayed to this one (record-relay.ts); one journal session at a
 * time runs them, so no two calls of one process ever hold the journal lock
 * (which is not reentrant, and the lock order forbids it) and the same lock
 * order and recovery hold as for the command line (txn/journal-session.ts).
 * A session starts once the calls read together from the client are queued
 * (one turn of the event loop), takes every call queued, and every call
 * queued while it runs (once its calls are done it lets the event loop take
 * in what arrived meanwhile, and goes on with that, before it commits), up
 * to MAX_CALLS_PER_SESSION; the record calls that
 * come one after another are persisted together, in one write transaction
 * with each directory fsynced once (RecordBatch.persistAll), then commits the
 * records to git as one group (txn/record-batch.ts: each record its own
 * commit, written by lore where it can, else by one `git add` and one
 * `git fast-import`), with the records other
 * processes handed off to it, and releases the lock. Where a writer of
 * another process (a record, another server) waits for the lock, the
 * session hands its records' commits off to it instead, as a record of the
 * command line does, and waits for them once the lock went
 * (txn/hand-off.ts), so that many servers share one git commit process. Its
 * calls are answered only then, each record committed (or its commit error
 * noted). The write connection is kept between sessions
 * (journal-session.ts KeptDatabase: step 3 reopens it when the file was
 * replaced, so no row goes into a quarantined database), with its prepared
 * statements; so is the wait for a handed-off commit.
 *
 * Idle: `idleMs` after the last call ended, with nothing queued, both
 * connections are closed (the WAL folded in), and the next call opens them
 * again: a server whose client is idle holds nothing of the journal.
 *
 * Errors: a call's own error is its caller's (thrown by `write` or
 * `record`); an error of the session itself (the lock timed out, the
 * database cannot be opened, recovery failed) is every call's of that
 * session. `record` repairs a database found behind its journal
 * (DatabaseBehindError) as a record of the command line does, once for the
 * calls that found it together, and records again.
 * Design: docs/DESIGN.md#the-mcp-server
 */
import { databaseFileIdentity } from "../db/journal-db.js";
import type { JournalLayout } from "../journal/layout.js";
import { openReadJournal, type ReadJournal } from "../read/read-journal.js";
import { DatabaseBehindError } from "../txn/database-behind.js";
import { type KeptDatabase, openKeptDatabase, withJournalSession } from "../txn/journal-session.js";
import { awaitHandedOff } from "../txn/hand-off.js";
import { RecordBatch } from "../txn/record-batch.js";
import type { PersistedRecord, RecordDraft } from "../txn/record-transaction.js";
import type { JournalSession, SessionOptions } from "../txn/session.js";
import { repairBehindDatabase } from "../cli/record-command.js";

/** A session takes at most this many calls, so that writers of other processes get the lock between sessions. */
const MAX_CALLS_PER_SESSION = 64;

type SessionWork<T> = (batch: RecordBatch, session: JournalSession) => Promise<T>;

/**
 * Makes a record's draft under the lock: its file none of `claimed` (the
 * targets of the drafts persisted with it), where the record has a file of
 * its own.
 */
export type RecordDrafter = (layout: JournalLayout, claimed: ReadonlySet<string>) => RecordDraft;

interface QueuedCall {
  /** Runs in a session; undefined for a record, and for work that runs alone, outside any session (the repair). */
  work: SessionWork<unknown> | undefined;
  /** A record: its draft, made under the lock, persisted with the record calls queued with it. */
  record?: { draft: RecordDrafter; repaired: boolean };
  alone?: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  outcome?: { value: unknown } | { error: unknown };
}

export class ServedJournal {
  private readonly kept: KeptDatabase = { db: undefined };
  private reader: { journal: ReadJournal; identity: number | undefined; schema: number } | undefined;
  private readonly queue: QueuedCall[] = [];
  private draining: Promise<void> | undefined;
  private repairing: Promise<void> | undefined;
  private activeCalls = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly layout: JournalLayout,
    readonly options: SessionOptions,
    private readonly idle: { idleMs: number },
  ) {}

  /** Runs `work` on the read connection, in one snapshot; no lock is taken. */
  read<T>(work: (journal: ReadJournal) => T): T {
    this.callStarted();
    try {
      const journal = this.readJournal();
      return journal.snapshot(() => work(journal));
    } finally {
      this.callEnded();
    }
  }

  /** Runs `work` in a journal session shared with the writes queued with it; resolves once that session ended. */
  write<T>(work: SessionWork<T>): Promise<T> {
    return this.enqueue({ work: work as SessionWork<unknown> }) as Promise<T>;
  }

  /** Records the draft made under the lock, committed with the records of the same session. */
  async record(draft: RecordDrafter): Promise<PersistedRecord> {
    const persist = (repaired: boolean) =>
      this.enqueue({ work: undefined, record: { draft, repaired } }) as Promise<PersistedRecord>;
    try {
      return await persist(false);
    } catch (error) {
      if (!(error instanceof DatabaseBehindError)) throw error;
      await this.repair(error);
      return persist(true);
    }
  }

  /**
   * Opens both connections ahead of the first call, as its session would
   * (no lock is taken), so that the first call does not pay for it; they
   * are let go when idle, as after a call. A journal that cannot be opened
   * now is left to the first call to report.
   */
  warm(): void {
    this.callStarted();
    try {
      openKeptDatabase(this.layout, this.options, this.kept);
      this.readJournal();
    } catch {
      // The first call opens them again and reports what fails.
    } finally {
      this.callEnded();
    }
  }

  /** Waits until every call made is done (those whose input is still being read included), then closes the connections. */
  async close(): Promise<void> {
    do {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.draining !== undefined) await this.draining.catch(() => {});
    } while (this.activeCalls > 0 || this.draining !== undefined);
    this.release();
  }

  private repair(error: DatabaseBehindError): Promise<void> {
    this.repairing ??= (
      this.enqueue({
        work: undefined,
        alone: () => repairBehindDatabase(this.layout, this.options, error),
      }) as Promise<void>
    ).finally(() => {
      this.repairing = undefined;
    });
    return this.repairing;
  }

  private enqueue(call: Omit<QueuedCall, "resolve" | "reject">): Promise<unknown> {
    this.callStarted();
    return new Promise((resolve, reject) => {
      this.queue.push({ ...call, resolve, reject });
      this.draining ??= this.drain();
    }).finally(() => this.callEnded());
  }

  private async drain(): Promise<void> {
    // The calls read with this one from the client's stream are queued by the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (next.alone) {
          this.queue.shift();
          await next.alone().then(next.resolve, next.reject);
        } else {
          await this.runSession();
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** The calls queued for a session (up to one that runs alone). */
  private takeSessionCalls(taken: QueuedCall[]): QueuedCall | undefined {
    if (taken.length >= MAX_CALLS_PER_SESSION || this.queue.length === 0 || this.queue[0].alone) return undefined;
    const call = this.queue.shift() as QueuedCall;
    taken.push(call);
    return call;
  }

  private async runSession(): Promise<void> {
    const taken: QueuedCall[] = [];
    this.takeSessionCalls(taken);
    let handedOff: PersistedRecord[] = [];
    try {
      await withJournalSession(
        this.layout,
        this.options,
        async (session) => {
          const batch = new RecordBatch(session);
          try {
            let index = 0;
            do {
              for (; index < taken.length || this.takeSessionCalls(taken); index++) {
                const call = taken[index];
                if (call.record) {
                  // The record calls from here on, those queued included, are persisted together.
                  while (this.queue[0]?.record && this.takeSessionCalls(taken));
                  let end = index + 1;
                  while (end < taken.length && taken[end].record) end++;
                  await this.persistRecordCalls(batch, taken.slice(index, end));
                  index = end - 1;
                  continue;
                }
                try {
                  call.outcome = { value: await (call.work as SessionWork<unknown>)(batch, session) };
                } catch (error) {
                  call.outcome = { error };
                }
              }
            } while (await this.moreArrived(taken));
          } finally {
            handedOff = await batch.commitOrHandOff();
          }
        },
        this.kept,
      );
    } catch (error) {
      for (const call of taken) call.outcome ??= { error };
    }
    // Each handed-off record's call is answered once its commit is made (or its commit error known).
    await awaitHandedOff(this.layout, this.options, handedOff, this.kept);
    for (const call of taken) {
      const outcome = call.outcome ?? { error: new Error("the journal session ended before this call ran") };
      if ("error" in outcome) call.reject(outcome.error);
      else call.resolve(outcome.value);
    }
  }

  /**
   * Whether calls arrived while the session ran, before its commit: the
   * event loop takes in what the client and the relay sent meanwhile (one
   * turn), so that calls that arrive over a few milliseconds share the
   * session's one git commit instead of waiting for a session of their own.
   */
  private async moreArrived(taken: QueuedCall[]): Promise<boolean> {
    if (taken.length >= MAX_CALLS_PER_SESSION) return false;
    await new Promise((resolve) => setImmediate(resolve));
    return this.queue.length > 0 && !this.queue[0].alone;
  }

  /**
   * Persists record calls in order, as few write transactions as their
   * files allow (RecordBatch.persistAll: drafts on distinct files). A
   * draft is made when its turn comes, under the lock, its own file named
   * apart from the group's (RecordDrafter: records with one title take
   * `-2`, `-3`, ... as they would one after another); one on a file the
   * group holds already (a heuristic's domain) persists the group first and
   * is made again. A
   * group that fails is persisted again call by call, so that each call
   * gets its own outcome (an unsafe path, a damaged file) rather than
   * another's.
   */
  private async persistRecordCalls(batch: RecordBatch, calls: QueuedCall[]): Promise<void> {
    let group: Array<{ call: QueuedCall; draft: RecordDraft }> = [];
    const persistGroup = async () => {
      const members = group;
      group = [];
      try {
        const repaired = members.some(({ call }) => call.record?.repaired);
        const records = await batch.persistAll(
          members.map(({ draft }) => draft),
          { repaired },
        );
        for (const [index, { call }] of members.entries()) call.outcome = { value: records[index] };
      } catch (error) {
        if (members.length === 1) members[0].call.outcome = { error };
        else for (const { call, draft } of members) await this.persistAlone(batch, call, draft);
      }
    };
    for (const call of calls) {
      const draft = (call.record as NonNullable<QueuedCall["record"]>).draft;
      try {
        let made = draft(this.layout, new Set(group.map((member) => member.draft.target)));
        if (group.some((member) => member.draft.target === made.target)) {
          await persistGroup();
          made = draft(this.layout, new Set());
        }
        group.push({ call, draft: made });
      } catch (error) {
        call.outcome = { error };
      }
    }
    if (group.length > 0) await persistGroup();
  }

  private async persistAlone(batch: RecordBatch, call: QueuedCall, draft: RecordDraft): Promise<void> {
    try {
      call.outcome = { value: await batch.persist(draft, { repaired: call.record?.repaired }) };
    } catch (error) {
      call.outcome = { error };
    }
  }

  /** The read connection: the one open while it is to the file `index.db` names and its schema is unchanged. */
  private readJournal(): ReadJournal {
    const identity = databaseFileIdentity(this.layout.dbFile);
    const open = this.reader;
    if (open?.journal.sqlite.open && open.identity === identity && schemaOf(open.journal) === open.schema) {
      return open.journal;
    }
    open?.journal.close();
    this.reader = undefined;
    const journal = openReadJournal(this.layout);
    this.reader = { journal, identity, schema: schemaOf(journal) };
    return journal;
  }

  private callStarted(): void {
    this.activeCalls++;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private callEnded(): void {
    this.activeCalls--;
    if (this.activeCalls > 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.activeCalls === 0 && this.draining === undefined) this.release();
    }, this.idle.idleMs);
    this.idleTimer.unref();
  }

  /** Closes both connections; the next call opens them again. */
  private release(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.reader?.journal.close();
    this.reader = undefined;
    this.kept.db?.close();
    this.kept.db = undefined;
  }
}

/** SQLite's schema cookie: it changes with every change of the schema, by any connection. */
function schemaOf(journal: ReadJournal): number {
  return Number(journal.sqlite.pragma("schema_version", { simple: true }));
}
