/**
 * This lore, as a command that other programs run (ELF's shims, Claude Code's
 * hooks): the node that runs this process (process.execPath) and the
 * `bin/lore.js` beside this bundle's `dist/`, both absolute. Not `node` or
 * `lore` from PATH: the caller's shell may have neither, or another node,
 * whose ABI better-sqlite3's native addon was not built for.
 *
 *   const program = thisLore();   // { node, lore }
 *
 * Runs from a bundle in dist/ (scripts/build.mjs), where `../bin/lore.js` is
 * lore's executable.
 */
import { fileURLToPath } from "node:url";
import type { LoreProgram } from "../setup/elf-shims.js";

export function thisLore(): LoreProgram {
  return { node: process.execPath, lore: fileURLToPath(new URL("../bin/lore.js", import.meta.url)) };
}
