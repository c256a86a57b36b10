/** `lore record-failure`: ELF's record-failure.sh, flag- and env-compatible. */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { resolveFailureInput, type FailureFlags } from "../../record/inputs.js";
import { draftFailure } from "../../record/record-failure.js";
import { journalOptions, type JournalArgs } from "../journal-options.js";
import { runRecordCommand } from "../record-command.js";

type Args = JournalArgs & FailureFlags;

const failureOptions = {
  title: { type: "string", describe: "what failed (required; $FAILURE_TITLE)" },
  domain: { type: "string", describe: "area, stored as typed (required; $FAILURE_DOMAIN)" },
  severity: { type: "string", describe: "1-5 or low|medium|high|critical (default 3; $FAILURE_SEVERITY)" },
  tags: { type: "string", describe: "comma-separated tags ($FAILURE_TAGS)" },
  summary: { type: "string", describe: "what happened, may span lines ($FAILURE_SUMMARY)" },
  ...journalOptions,
} satisfies Record<string, Options>;

export const recordFailureCommand = defineCommand<Args>({
  command: "record-failure",
  describe: "record a failure (flags win over FAILURE_* environment variables)",
  options: failureOptions,
  run: async (args) => {
    return runRecordCommand(args, {
      kind: "failure",
      flags: {
        title: args.title,
        domain: args.domain,
        severity: args.severity,
        tags: args.tags,
        summary: args.summary,
      },
      resolve: resolveFailureInput,
      draft: draftFailure,
      promptLabels: { title: "Title", domain: "Domain" },
      describe: (record) => [
        `Created: ${record.file}`,
        `Database record created (ID: ${record.id})`,
        ...(record.commit ? [`Committed: ${record.commit}`] : []),
        "Failure recorded successfully!",
      ],
    });
  },
});
