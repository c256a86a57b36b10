/**
 * Entry of dist/sync-and-hooks.js, the bundle of what a record never runs:
 * `lore sync`, `lore hooks` and the work of lore's git hooks, and the repair
 * of a database a record found behind its journal. The main bundle requires
 * it only when one of them runs (on-demand-parts.ts), so a record's start-up
 * never pays for it.
 */
export { syncAndReport } from "./sync-and-report.js";
export { manageHooks } from "./manage-hooks.js";
export { runGitHookWork } from "./git-hook-work.js";
export { repairDatabase } from "./repair-database.js";
