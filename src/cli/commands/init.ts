/**
 * `lore init [DIR] [--base DIR] [--git] [--no-commit]`: create or update a
 * journal; running it again changes nothing. `--base` names DIR as every
 * other command names its journal; both, naming two directories, is exit 2.
 */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { initJournal } from "../../setup/init-journal.js";
import { sessionOptionsFrom, type JournalArgs } from "../journal-options.js";
import path from "node:path";
import { ExitCode, InvalidFieldError, quoted } from "../../base/errors.js";

interface Args {
  _: string[];
  base?: string;
  git: boolean;
  commit: boolean;
  json: boolean;
  "lock-timeout"?: string;
}

const initOptions = {
  base: { type: "string", describe: "the journal's directory: DIR, as the other commands name it" },
  git: { type: "boolean", default: false, describe: "run git init when DIR is not inside a work tree" },
  commit: {
    type: "boolean",
    default: true,
    describe: "records are committed to git (--no-commit: the journal is kept out of git; git may ignore it)",
  },
  json: { type: "boolean", default: false, describe: "print one JSON object" },
  "lock-timeout": { type: "string", describe: "seconds to wait for the journal lock" },
} satisfies Record<string, Options>;

/** The directory to make a journal of: DIR or --base (they must agree), else the working directory. */
function directoryOf(args: Args): string {
  const [dir] = args._;
  if (args.base !== undefined && dir !== undefined && path.resolve(args.base) !== path.resolve(dir)) {
    throw new InvalidFieldError("base", `names another directory than DIR ${quoted(dir)}: give one of them`);
  }
  return args.base ?? dir ?? process.cwd();
}

export const initCommand = defineCommand<Args>({
  command: "init [dir]",
  describe: "create a journal in DIR (default: the current directory), or update an existing one",
  options: initOptions,
  run: async (args) => {
    const { timeoutMs, staleMs } = sessionOptionsFrom({ ...args, commit: false } as JournalArgs, process.env);
    const result = await initJournal(directoryOf(args), {
      git: args.git,
      commit: args.commit,
      timeoutMs,
      staleMs,
    });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ base: result.layout.base, ...result, layout: undefined })}\n`);
    } else {
      const lines = [
        `${result.createdDatabase ? "Created" : "Updated"} journal: ${result.layout.base}`,
        ...(result.gitInitialized ? ["Initialized a git repository"] : []),
        ...(result.gitignoreAdded.length ? [`Added to .gitignore: ${result.gitignoreAdded.join(" ")}`] : []),
        ...(result.ignoreFix
          ? [
              `git ignored the record files (${result.ignoreFix.rules.join(", ")}); so that records are committed, added ${Object.entries(
                result.ignoreFix.added,
              )
                .map(([file, lines]) => `to ${file}: ${lines.join(" ")}`)
                .join("; ")}`,
            ]
          : []),
        ...(result.untracked.length
          ? [
              `Stopped git tracking ${result.untracked.join(" ")}${result.untrackCommit ? ` (commit ${result.untrackCommit})` : ""}; the file stays`,
            ]
          : []),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    return ExitCode.Ok;
  },
});
