/**
 * Loads `lore sync`'s implementation on demand: dist/sync-main.js, a bundle of
 * its own (scripts/build.mjs), so that a record's start-up never pays for it.
 * It is required, not imported: Node's `import()` of a CommonJS file first
 * scans all of it for its exports (about 15 ms here). Runs from the bundle
 * only, where this file and sync-main.js sit side by side in dist/.
 */
import { createRequire } from "node:module";

export function loadSyncMain(): typeof import("./sync-main.js") {
  return createRequire(import.meta.url)("./sync-main.js") as typeof import("./sync-main.js");
}
