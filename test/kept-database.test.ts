/**
 * The connection a writer that stays up keeps between its sessions
 * (txn/journal-session.ts KeptDatabase): opened once, and still open after
 * a session that ended without the lock, as the wait of a server whose
 * handed-off record another holder committed ends. Closing it there made
 * every server of a busy journal open its database again at its next call.
 */
import { describe, expect, it } from "vitest";
import { journalLayout } from "../src/journal/layout.js";
import {
  type KeptDatabase,
  openKeptDatabase,
  withJournalSession,
  withJournalSessionUntil,
} from "../src/txn/journal-session.js";
import { createJournal } from "./support/journal.js";

const OPTIONS = { timeoutMs: 5_000, staleMs: 10_000, noCommit: true, staysUp: true };

describe("a kept connection", () => {
  it("outlives a session that ended without the lock, and serves the next session", async () => {
    const layout = journalLayout(await createJournal());
    const kept: KeptDatabase = { db: undefined };
    openKeptDatabase(layout, OPTIONS, kept);
    const opened = kept.db;
    expect(opened?.sqlite.open).toBe(true);
    // Done before it waited: no lock, no session.
    const ran = await withJournalSessionUntil(
      layout,
      OPTIONS,
      () => true,
      async () => "ran",
      kept,
    );
    expect(ran).toBeUndefined();
    expect(kept.db).toBe(opened);
    expect(opened?.sqlite.open).toBe(true);
    const used = await withJournalSession(layout, OPTIONS, async (session) => session.db, kept);
    expect(used).toBe(opened);
    opened?.close();
  });
});
