/**
 * `lore search TEXT...`: full-text search over every record. Only the
 * declaration lives here (read-options.ts); the work is in
 * dist/read-commands.js (read-commands.ts), loaded on demand.
 */
import { defineCommand } from "../command.js";
import { loadReadCommands } from "../on-demand-parts.js";
import { searchDeclaration, type SearchArgs } from "../read-options.js";

export const searchCommand = defineCommand<SearchArgs>({
  ...searchDeclaration,
  run: (args) => loadReadCommands().runSearch(args),
});
