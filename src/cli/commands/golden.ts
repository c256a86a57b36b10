/** `lore golden [promote|demote ID] [--auto]`: golden rules, their candidates, and promotion by hand or by ELF's criteria. */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { type GoldenArgs, runGoldenCommand } from "../golden-command.js";
import { journalOptions } from "../journal-options.js";

export const goldenCommand = defineCommand<GoldenArgs>({
  command: "golden [action] [id]",
  describe: "list golden rules and candidates; promote or demote ID; --auto promotes every candidate",
  options: {
    auto: { type: "boolean", default: false, describe: "promote every heuristic that meets ELF's criteria" },
    ...journalOptions,
  } satisfies Record<string, Options>,
  run: (args) => runGoldenCommand(args),
});
