/**
 * `lore elf install | uninstall | status [--elf-dir DIR] [--json]`: lore's
 * shims in place of ELF's recorder scripts (src/setup/elf-shims.ts). The work
 * is loaded on demand from manage-elf.ts.
 */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { loadManageElf } from "../on-demand-parts.js";
import type { ElfArgs } from "../manage-elf.js";

const elfOptions = {
  "elf-dir": { type: "string", describe: "ELF's install root (default: ~/.claude/emergent-learning)" },
  json: { type: "boolean", default: false, describe: "print one JSON object" },
} satisfies Record<string, Options>;

export const elfCommand = defineCommand<ElfArgs>({
  command: "elf <action>",
  describe:
    "replace ELF's record-failure.sh, record-heuristic.sh and record-violation.sh with lore, or put them back (install | uninstall | status)",
  options: elfOptions,
  run: (args) => loadManageElf().manageElf(args),
});
