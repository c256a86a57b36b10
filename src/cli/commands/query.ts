/**
 * `lore query`: ELF's query.py, read-only. Only the declaration lives here
 * (read-options.ts); the work is in dist/read-commands.js (read-commands.ts),
 * loaded on demand, so a record's start-up never pays for it.
 */
import { defineCommand } from "../command.js";
import { loadReadCommands } from "../on-demand-parts.js";
import { queryDeclaration, type QueryArgs } from "../read-options.js";

export const queryCommand = defineCommand<QueryArgs>({
  ...queryDeclaration,
  run: (args) => loadReadCommands().runQuery(args),
});
