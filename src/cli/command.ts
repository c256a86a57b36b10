/**
 * The shape of a lore command module: its yargs declaration (name, text,
 * options) and `run`, which returns the exit code.
 *
 * main.ts registers the declarations with yargs without a handler and
 * dispatches to `run` itself after parsing. A yargs handler would make yargs
 * render and cache the whole help text on every run, about 20 ms of a
 * record's start-up; parsing alone costs a fraction of that.
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
