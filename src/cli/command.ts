/**
 * The shape of a lore command module: its declaration (`command`, the name
 * and positionals in yargs's syntax; `describe`; `options`, in yargs's
 * option format) and `run`, which resolves to the exit code.
 *
 * main.ts picks the command whose name is the first argument, parses the
 * rest against `options` with parse-arguments.ts (the positionals in
 * `command` bound how many it takes; a last `[name..]` takes any number),
 * calls `run`, and reports what `run` throws. yargs sees the declarations
 * only to show help and usage errors (help-and-usage.ts), never to run one.
 */
import type { Options } from "yargs";
import type { ExitCodeValue } from "../base/errors.js";

export interface LoreCommand<Args = Record<string, unknown>> {
  /** yargs command string, e.g. `init [dir]`. */
  command: string;
  describe: string;
  options: Record<string, Options>;
  /** Runs with the arguments as parsed under `options`. */
  run(args: Args): Promise<ExitCodeValue>;
}

/** Declares a command whose `run` takes the arguments its `options` produce. */
export function defineCommand<Args>(command: LoreCommand<Args>): LoreCommand {
  return command as unknown as LoreCommand;
}
