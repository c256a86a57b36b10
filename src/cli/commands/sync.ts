/**
 * `lore sync`: reconcile the markdown files and the SQLite index (the files
 * are the truth). Only the declaration lives here; the work is loaded on
 * demand from sync-and-report.ts, so a record's start-up never pays for it.
 */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { journalOptions } from "../journal-options.js";
import type { SyncArgs } from "../sync-and-report.js";
import { loadSyncAndHooks } from "../on-demand-parts.js";

const syncOptions = {
  fix: { type: "boolean", default: false, describe: "apply the fixes (the database follows the files)" },
  "dry-run": {
    type: "boolean",
    default: false,
    describe: "print exactly the actions --fix would take, change nothing",
  },
  restore: {
    type: "boolean",
    default: false,
    describe: "write files back from rows whose record is in no file (implies --fix)",
  },
  rebuild: { type: "boolean", default: false, describe: "rebuild the database from the files (implies --fix)" },
  prune: {
    type: "boolean",
    default: false,
    describe: "also archive the rows ELF's hooks made for files that never existed",
  },
  full: { type: "boolean", default: false, describe: "read every file, not only what changed since the last sync" },
  prefer: {
    type: "string",
    describe: "settle conflicts (record and row both changed): files or db",
  },
  ...journalOptions,
} satisfies Record<string, Options>;

export const syncCommand = defineCommand<SyncArgs>({
  command: "sync",
  describe: "compare the markdown files with the database; exit 0 in sync, 3 when not",
  options: syncOptions,
  run: (args) => loadSyncAndHooks().syncAndReport(args),
});
