/**
 * The work of `lore elf install | uninstall | status [--elf-dir DIR] [--json]`
 * (declared in commands/elf.ts): replaces ELF's recorder scripts in DIR (ELF's
 * install root, default `~/.claude/emergent-learning`) with shims that run
 * this lore on that journal, puts them back, or says where each stands
 * (src/setup/elf-shims.ts). The shims run this lore's `bin/lore.js` with the
 * node that runs this command (process.execPath), both by absolute path.
 * Prints what changed (or each script's state), as text or `--json`; install
 * warns when it leaves shims in a DIR that holds no journal yet, since they
 * fail until `lore init`.
 *
 *   const code = await manageElf(args);   // 0
 *
 * Throws UsageError for another action, ElfDirError (exit 2) when DIR is not
 * a directory, UnsafePathError (exit 6) for a symbolic link where lore would
 * write, ElfOriginalConflictError (exit 1); main.ts reports it. Entry of the
 * on-demand bundle dist/manage-elf.js (on-demand-parts.ts), so a record never
 * loads it.
 */
import fs from "node:fs";
import path from "node:path";
import { elfInstallRoot, journalLayout } from "../journal/layout.js";
import {
  type ElfPaths,
  elfPaths,
  elfShimStatus,
  installElfShims,
  uninstallElfShims,
  unsafeElfPath,
} from "../setup/elf-shims.js";
import { warn } from "../base/warn.js";
import { thisLore } from "./this-lore.js";
import { ExitCode, UsageError, type ExitCodeValue } from "../base/errors.js";

export interface ElfArgs {
  _: string[];
  "elf-dir"?: string;
  json: boolean;
}

function holdsJournal(paths: ElfPaths): boolean {
  return fs.existsSync(journalLayout(paths.dir).dbFile);
}

const CHANGE_TEXT: Record<string, string> = {
  installed: "installed lore's shim (ELF's script kept in scripts/.lore-originals/)",
  updated: "updated lore's shim (it ran another lore or node)",
  unchanged: "lore's shim installed and current, unchanged",
  missing: "missing: ELF's script is not there, nothing to do",
  restored: "restored ELF's script",
  removed: "removed lore's shim (no original was kept)",
  "not-installed": "not lore's shim, left as it is",
  left: "not lore's shim (ELF reinstalled?), left as it is; an earlier original is still kept in scripts/.lore-originals/",
};

export async function manageElf(args: ElfArgs): Promise<ExitCodeValue> {
  const action = args._[0];
  if (!["install", "uninstall", "status"].includes(action)) {
    throw new UsageError(`the action must be install, uninstall or status (got ${JSON.stringify(action)})`);
  }
  const paths = elfPaths(path.resolve(args["elf-dir"] ?? elfInstallRoot()));
  const program = thisLore();
  const journal = holdsJournal(paths);
  let result: Record<string, unknown>;
  let lines: string[];
  if (action === "status") {
    const states = elfShimStatus(paths, program);
    const unsafe = unsafeElfPath(paths);
    result = { elfDir: paths.dir, journal, unsafe: unsafe ?? null, scripts: states };
    lines = [
      `${paths.dir}: ${journal ? "holds a journal" : "holds no journal (memory/index.db): run `lore init` there"}`,
      ...states.map((state) => {
        const what =
          state.found === "shim"
            ? state.current
              ? `lore's shim, current (runs lore ${state.command})`
              : "lore's shim, not current: it runs another lore or node (run `lore elf install`)"
            : state.found === "elf"
              ? "ELF's script (lore's shim not installed)"
              : "missing (ELF is not installed here)";
        const kept = state.originalKept
          ? `; ELF's original kept${state.originalChanged ? ", but changed since install" : ""}`
          : "";
        return `${state.script}: ${what}${kept}`;
      }),
      ...(unsafe ? [`lore elf install would refuse: ${unsafe}`] : []),
    ];
  } else {
    const changes = action === "install" ? installElfShims(paths, program) : uninstallElfShims(paths);
    result = { elfDir: paths.dir, journal, scripts: changes };
    lines = changes.map((change) => `${change.script}: ${CHANGE_TEXT[change.change]}`);
    const shimsInPlace = changes.some((change) => ["installed", "updated", "unchanged"].includes(change.change));
    if (action === "install" && shimsInPlace && !journal) {
      warn(`${paths.dir} holds no journal (memory/index.db): the shims fail until \`lore init\` runs there`);
    }
  }
  process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${lines.join("\n")}\n`);
  return ExitCode.Ok;
}
