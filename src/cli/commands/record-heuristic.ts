/** `lore record-heuristic`: ELF's record-heuristic.sh, flag- and env-compatible. */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { resolveHeuristicInput, type HeuristicFlags } from "../../record/inputs.js";
import { draftHeuristic } from "../../record/record-heuristic.js";
import { journalOptions, type JournalArgs } from "../journal-options.js";
import { runRecordCommand } from "../record-command.js";

type Args = JournalArgs & HeuristicFlags;

const heuristicOptions = {
  domain: { type: "string", describe: "domain; its slug names the file (required; $HEURISTIC_DOMAIN)" },
  rule: { type: "string", describe: "the rule, one line (required; $HEURISTIC_RULE)" },
  explanation: { type: "string", describe: "why, may span lines ($HEURISTIC_EXPLANATION)" },
  source: { type: "string", describe: "where it came from (default observation; $HEURISTIC_SOURCE)" },
  confidence: { type: "string", describe: "0..1 or low|medium|high (default 0.7; $HEURISTIC_CONFIDENCE)" },
  ...journalOptions,
} satisfies Record<string, Options>;

export const recordHeuristicCommand = defineCommand<Args>({
  command: "record-heuristic",
  describe: "record a heuristic (flags win over HEURISTIC_* environment variables)",
  options: heuristicOptions,
  run: async (args) => {
    return runRecordCommand(args, {
      kind: "heuristic",
      flags: {
        domain: args.domain,
        rule: args.rule,
        explanation: args.explanation,
        source: args.source,
        confidence: args.confidence,
      },
      resolve: resolveHeuristicInput,
      draft: draftHeuristic,
      promptLabels: { domain: "Domain", rule: "Rule" },
      describe: (record) => [
        `Created: H-${record.id} in ${record.file}`,
        `Database record created (ID: ${record.id})`,
        ...(record.commit ? [`Committed: ${record.commit}`] : []),
        "Heuristic recorded successfully!",
      ],
    });
  },
});
