/**
 * The `.gitattributes` entries that let clones merge heuristic domain files
 * and feedback files (journal/union-merge.ts says why).
 *
 *   ensureUnionMerge(base)   // adds the entries it lacks; returns those it added
 */
import fs from "node:fs";
import path from "node:path";
import { writeFile } from "../io/file-system.js";
import { GITATTRIBUTES, missingUnionMergeEntries, withUnionMerge } from "../journal/union-merge.js";

export function ensureUnionMerge(base: string): string[] {
  const file = path.join(base, GITATTRIBUTES);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const added = missingUnionMergeEntries(existing);
  const text = withUnionMerge(existing);
  if (text !== undefined) writeFile(file, text);
  return added;
}
