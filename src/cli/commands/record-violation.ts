/** `lore record-violation RULE DESCRIPTION [SESSION_ID]`: ELF's record-violation.sh, argument-compatible. */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { journalOptions } from "../journal-options.js";
import { runViolationCommand, type ViolationArgs } from "../violation-command.js";

export const recordViolationCommand = defineCommand<ViolationArgs>({
  command: "record-violation [rule] [description] [session_id]",
  describe:
    "record a violation of golden rule RULE; 10 in 7 days escalate once to ceo-inbox/ (SESSION_ID: default the time)",
  options: { ...journalOptions } satisfies Record<string, Options>,
  run: (args) => runViolationCommand(args),
});
