/**
 * The `.gitattributes` entry that lets clones merge heuristic domain files.
 *
 *   ensureUnionMerge(base)   // adds the entry once; returns whether it added it
 *
 * A domain file only ever grows by whole blocks at its end, so when two clones
 * both add heuristics to one domain, git's built-in `union` merge driver keeps
 * the blocks of both sides, ours first, without a conflict, and with no
 * program of lore's for git to run. If both clones gave a block the same
 * `H-<id>`, `lore sync` gives the second its own row (README: matching). A
 * failure is a file of its own and merges as any new file.
 */
import fs from "node:fs";
import path from "node:path";
import { writeFile } from "../io/file-system.js";

export const UNION_MERGE_ENTRY = "memory/heuristics/*.md merge=union";

export function ensureUnionMerge(base: string): boolean {
  const file = path.join(base, ".gitattributes");
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (existing.split(/\r?\n/).some((line) => line.trim() === UNION_MERGE_ENTRY)) return false;
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  writeFile(
    file,
    `${existing}${separator}# lore: heuristic domain files grow by whole blocks; keep both sides' blocks\n${UNION_MERGE_ENTRY}\n`,
  );
  return true;
}
