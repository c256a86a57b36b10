/** `lore validate ID...`: a task that followed these heuristics succeeded (ELF's post-tool update). */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { type FeedbackArgs, runFeedbackCommand } from "../feedback-command.js";
import { journalOptions } from "../journal-options.js";

export const validateCommand = defineCommand<FeedbackArgs>({
  command: "validate <id..>",
  describe:
    "a task that followed these heuristics succeeded: times_validated +1, confidence +0.01 (row id, H-<id> or lore id)",
  options: { ...journalOptions } satisfies Record<string, Options>,
  run: (args) => runFeedbackCommand(args, "validated"),
});
