/**
 * The `.gitattributes` entries that let clones merge the journal's files that
 * only ever grow at their end, with git's built-in `union` merge driver (no
 * program of lore's for git to run): when two clones both added to one such
 * file, the merge keeps the additions of both sides, ours first, without a
 * conflict.
 *
 *   const text = withUnionMerge(existing);   // undefined: every entry is there
 *
 * A heuristic domain file grows by whole blocks (if both clones gave a block
 * the same `H-<id>`, `lore sync` gives the second its own row); a feedback
 * file (feedback-events.ts) by whole lines, each event with its own id. A
 * failure is a file of its own and merges as any new file.
 */
export const UNION_MERGE_ENTRIES = [
  {
    entry: "memory/heuristics/*.md merge=union",
    why: "heuristic domain files grow by whole blocks; keep both sides' blocks",
  },
  {
    entry: "memory/feedback/*.jsonl merge=union",
    why: "feedback files grow by whole lines; keep both sides' lines",
  },
] as const;

export const GITATTRIBUTES = ".gitattributes";

/** The entries `existing` (a `.gitattributes` text) lacks. */
export function missingUnionMergeEntries(existing: string): string[] {
  const lines = new Set(existing.split(/\r?\n/).map((line) => line.trim()));
  return UNION_MERGE_ENTRIES.filter(({ entry }) => !lines.has(entry)).map(({ entry }) => entry);
}

/** `existing` with the entries it lacks added at its end, each under a comment; undefined when it lacks none. */
export function withUnionMerge(existing: string): string | undefined {
  const missing = new Set(missingUnionMergeEntries(existing));
  if (missing.size === 0) return undefined;
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  const added = UNION_MERGE_ENTRIES.filter(({ entry }) => missing.has(entry))
    .map(({ entry, why }) => `# lore: ${why}\n${entry}\n`)
    .join("");
  return `${existing}${separator}${added}`;
}
