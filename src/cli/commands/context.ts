/**
 * `lore context`: the briefing for an agent starting a task. Only the
 * declaration lives here (read-options.ts); the work is in
 * dist/read-commands.js (read-commands.ts), loaded on demand.
 */
import { defineCommand } from "../command.js";
import { loadReadCommands } from "../on-demand-parts.js";
import { contextDeclaration, type ContextArgs } from "../read-options.js";

export const contextCommand = defineCommand<ContextArgs>({
  ...contextDeclaration,
  run: (args) => loadReadCommands().runContext(args),
});
