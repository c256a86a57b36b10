/**
 * `lore hook <name> [git's arguments]`: what lore's git hook shims run
 * (src/hooks/hook-runner.ts). Decides here, cheaply, whether there is work;
 * the work itself (the pre-commit check, a sync) is loaded on demand from
 * git-hook-work.ts.
 */
import { defineCommand } from "../command.js";
import { loadSyncAndHooks } from "../on-demand-parts.js";
import { runHook } from "../../hooks/hook-runner.js";
import type { ExitCodeValue } from "../../base/errors.js";

interface HookArgs {
  _: string[];
}

export const hookCommand = defineCommand<HookArgs>({
  command: "hook <name> [args..]",
  describe: "run by lore's git hooks (see `lore hooks`)",
  options: {},
  run: async (args) => {
    const [name, ...gitArgs] = args._;
    return (await runHook(name, gitArgs, () => loadSyncAndHooks().runGitHookWork)) as ExitCodeValue;
  },
});
