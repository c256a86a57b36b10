/**
 * A record's repair of a database found behind its journal
 * (txn/database-behind.ts): `lore sync --fix`, run in the record's process,
 * which rebuilds a damaged `index.db` (kept aside in the quarantine), inserts
 * the rows the database lost, commits record files git lacks (a writer that
 * lost power before its commit leaves one), and raises its id sequences
 * above every id issued. Part of the on-demand bundle dist/sync-and-hooks.js: a record loads
 * it only when its database is behind.
 *
 *   const done = await repairDatabase(layout, options);   // what was done, in words, for the warning
 *
 * Errors: what the sync throws (LockTimeoutError, exit 75, ...).
 */
import type { JournalLayout } from "../journal/layout.js";
import type { SessionOptions } from "../txn/session.js";
import { runSync } from "../sync/run-sync.js";
import { countedFindings } from "../sync/report.js";

export async function repairDatabase(layout: JournalLayout, options: SessionOptions): Promise<string> {
  const report = await runSync(layout, {
    mode: "fix",
    restore: false,
    prune: false,
    prefer: undefined,
    rebuild: false,
    full: false,
    timeoutMs: options.timeoutMs,
    staleMs: options.staleMs,
    noCommit: options.noCommit,
    // A record the database lacked may be in a file git lacks too (its writer lost power before its commit).
    checkCommitted: true,
  });
  const found = countedFindings(report.findings).length;
  const left = countedFindings(report.remaining).length;
  const rebuilt = report.rebuild
    ? `rebuilt it from the files (${report.rebuild.records} records)` +
      (report.rebuild.quarantine ? `, the old one kept in ${report.rebuild.quarantine}` : "")
    : `${found - left} of ${found} finding(s) fixed`;
  return `repaired it as \`lore sync --fix\` would: ${rebuilt}${left > 0 ? `; \`lore sync\` shows the ${left} left` : ""}`;
}
