/**
 * `lore hooks install | uninstall | status`: lore's git hooks for a journal
 * (src/setup/hook-files.ts). The work is loaded on demand from manage-hooks.ts.
 */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { loadSyncAndHooks } from "../on-demand-parts.js";
import type { HooksArgs } from "../manage-hooks.js";

const hooksOptions = {
  base: {
    type: "string",
    describe: "journal directory (default: $LORE_BASE, else the nearest one above, else ~/.claude/emergent-learning)",
  },
  json: { type: "boolean", default: false, describe: "print one JSON object" },
} satisfies Record<string, Options>;

export const hooksCommand = defineCommand<HooksArgs>({
  command: "hooks <action>",
  describe: "install, uninstall or show lore's git hooks (install | uninstall | status)",
  options: hooksOptions,
  run: (args) => loadSyncAndHooks().manageHooks(args),
});
