/** `lore violate ID...`: a task that followed these heuristics failed (ELF's post-tool update). */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { type FeedbackArgs, runFeedbackCommand } from "../feedback-command.js";
import { journalOptions } from "../journal-options.js";

export const violateCommand = defineCommand<FeedbackArgs>({
  command: "violate <id..>",
  describe:
    "a task that followed these heuristics failed: times_violated +1, confidence -0.02 (row id, H-<id> or lore id)",
  options: { ...journalOptions } satisfies Record<string, Options>,
  run: (args) => runFeedbackCommand(args, "violated"),
});
