/**
 * Writing down what a sync verified (sync-cache.ts), so the next one skips it.
 *
 *   recordVerification(cache, comparison, { worktreeDirty, indexFingerprint, gone }, startedAtMs);
 *
 * A file read in this run is recorded as verified, with the rows its records
 * matched, only when all of them are in sync and it did not change while it
 * was read; a file with any finding is kept on the list to read again. A row
 * leaves `lore_dirty` only when it was found in sync with its record, and
 * only if it did not change again after the comparison began; rows in
 * findings, and rows left alone, stay there. A file that is gone from disk but
 * still in git's index stays on the list too. Call inside a write transaction.
 */
import { type Comparison, RefSet } from "./compare-journal.js";
import type { RowRef, SyncCache, VerifiedFile } from "./sync-cache.js";
import type { IndexFingerprint } from "./sync-cache.js";

export interface VerifiedState {
  worktreeDirty: ReadonlySet<string>;
  indexFingerprint: IndexFingerprint | undefined;
  gone?: Iterable<string>;
  /** Gone files git's index still holds (they stay on the recheck list). */
  goneTracked?: ReadonlySet<string>;
}

const RECORD_FINDINGS = new Set(["missing-row", "edited", "duplicate-id", "db-edited", "db-deleted", "conflict"]);

/** Rows by table and id. */
function refSet(rows: Iterable<RowRef>): RefSet {
  const set = new RefSet();
  for (const row of rows) set.add(row);
  return set;
}

export function recordVerification(
  cache: SyncCache,
  comparison: Comparison,
  state: VerifiedState,
  verifiedAtMs: number,
): void {
  const findings = [...comparison.problems, ...comparison.findings];
  const unsettledPaths = new Set<string>();
  const unsettledRows: RowRef[] = [...comparison.leftAlone];
  for (const finding of findings) {
    if (finding.path !== undefined && RECORD_FINDINGS.has(finding.type)) unsettledPaths.add(finding.path);
    if (finding.row) unsettledRows.push(finding.row);
  }
  const verified = new Set<string>();
  const verifiedFiles: VerifiedFile[] = [];
  for (const content of comparison.files.values()) {
    if (content.problem || unsettledPaths.has(content.path) || !content.settled) {
      cache.recordRecheck(content.path);
      continue;
    }
    verified.add(content.path);
    verifiedFiles.push({
      path: content.path,
      stat: content.stat,
      contentId: content.contentId,
      recheck: state.worktreeDirty.has(content.path),
    });
  }
  const verifiedPairs = comparison.pairs.filter((pair) => verified.has(pair.path));
  cache.recordVerifiedFiles(verifiedFiles, verifiedPairs, verifiedAtMs);
  for (const file of state.gone ?? []) if (!comparison.files.has(file)) cache.forget(file);
  // A tracked file deleted from the work tree can come back clean (a checkout)
  // without changing git's index: it must be looked at again every time.
  for (const file of state.goneTracked ?? []) if (!comparison.files.has(file)) cache.recordRecheck(file);
  const unsettled = refSet(unsettledRows);
  cache.clearDirty(
    verifiedPairs.filter((pair) => !unsettled.has(pair)),
    comparison.seenUpTo,
  );
  // Changed rows that no longer exist (or are not lore's) have had their files read: done with.
  const loaded = comparison.rows;
  cache.clearDirty(
    comparison.dirtyRefs.filter((ref) => !loaded.has(ref)),
    comparison.seenUpTo,
  );
  cache.markDirty(unsettledRows.map((row) => ({ table: row.table, id: row.id })));
  cache.setIndexFingerprint(state.indexFingerprint);
}
