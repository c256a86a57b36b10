/**
 * The work of `lore claude install | uninstall | status [--user | --project]
 * [--base DIR] [--json]` and `lore claude hook <name>` (declared in
 * commands/claude.ts). Entry of the on-demand bundle dist/claude-code.js
 * (on-demand-parts.ts), so a record never loads it.
 *
 *   const code = await manageClaude(args);
 *
 * install, uninstall: one settings file (src/claude/claude-settings.ts),
 * `--user` (`~/.claude/settings.json`, the default) or `--project`
 * (`.claude/settings.json` of the project); prints what changed, one line,
 * or `--json`. install registers this lore (this-lore.ts) with the journal of
 * `--base`, which must be a journal (NoJournalError, exit 2), else none: the
 * hooks then find it from the session's directory. It warns when the file
 * also registers ELF's learning-loop hooks. With `--mcp`, install also
 * registers `lore mcp` as an MCP server in the same scope's MCP
 * configuration (`~/.claude.json`, or `.mcp.json` of the project:
 * src/claude/mcp-registration.ts), one more line; uninstall always removes
 * it too (a line when it was there). status: every lore or ELF hook in the
 * user's and the project's settings (or the one named), one line each, and
 * lore's MCP server where one is registered, exit 0 also for a file that is
 * missing or not JSON.
 *
 * hook: reads stdin whole, runs src/claude/claude-hooks.ts (a writing hook
 * with the session options of lore's writers: LORE_LOCK_TIMEOUT,
 * LORE_LOCK_STALE), prints its output, and exits 0 or 1, never 2 (that would
 * block the agent's tool call).
 *
 * Throws UsageError (exit 2) for another action, extra arguments, both
 * `--user` and `--project`, or `--base` where it means nothing;
 * SettingsFileError (exit 2) for a settings file that is not a JSON object;
 * main.ts reports it.
 */
import fs from "node:fs";
import os from "node:os";
import { ExitCode, type ExitCodeValue, UsageError } from "../base/errors.js";
import { warn } from "../base/warn.js";
import { runClaudeHook } from "../claude/claude-hooks.js";
import {
  assertLoreEntriesInstallable,
  installLoreEntries,
  installLoreHooks,
  type SettingsScope,
  type SettingsStatus,
  settingsFileFor,
  settingsStatus,
  uninstallLoreEntries,
  uninstallLoreHooks,
} from "../claude/claude-settings.js";
import {
  LORE_MCP_SERVER,
  loreMcpServer,
  type McpServerStatus,
  mcpConfigFileFor,
  mcpServerStatus,
} from "../claude/mcp-registration.js";
import { type HookEntry, LORE_HOOKS, loreHookGroups } from "../claude/settings-hooks.js";
import { locateJournal } from "../journal/layout.js";
import { sessionOptionsFrom } from "./journal-options.js";
import { thisLore } from "./this-lore.js";

export interface ClaudeArgs {
  _: string[];
  user?: boolean;
  project?: boolean;
  base?: string;
  /** install: also register `lore mcp` as an MCP server. */
  mcp?: boolean;
  json: boolean;
}

const ACTIONS = ["install", "uninstall", "status", "hook"];

/** Stdin, whole; empty when there is none to read. */
function readStdin(): string {
  try {
    return fs.readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

async function runHook(name: string | undefined, base: string | undefined): Promise<ExitCodeValue> {
  const outcome = await runClaudeHook(name ?? "", {
    stdin: readStdin(),
    base,
    env: process.env,
    cwd: process.cwd(),
    home: os.homedir(),
    sessionOptions: () => sessionOptionsFrom({ json: false, commit: true }, process.env),
  });
  process.stdout.write(outcome.stdout);
  process.stderr.write(outcome.stderr);
  return outcome.exitCode;
}

const REGISTERED = LORE_HOOKS.map((spec) => spec.event + (spec.matcher ? ` (${spec.matcher})` : "")).join(", ");

function entryLine(entry: HookEntry): string {
  const where = `${entry.event}${entry.matcher === undefined ? "" : ` ${entry.matcher}`}`;
  if (entry.owner === "elf") {
    return (
      `${where}: ELF's learning-loop hook (${entry.command}); it briefs sub-agents or judges their tasks too, ` +
      "so both would run: remove one of them"
    );
  }
  const journal = entry.base === undefined ? "the journal found from the session's directory" : entry.base;
  return entry.current
    ? `${where}: lore's hook, current, reads ${journal}`
    : `${where}: lore's hook, not current (${entry.command}): run \`lore claude install\` to update it`;
}

function statusLines(scope: SettingsScope, status: SettingsStatus): string[] {
  const head = `${scope} settings ${status.file}`;
  if (status.state === "missing") return [`${head}: no such file`];
  if (status.state === "invalid") return [`${head}: ${status.error}`];
  if (status.entries.length === 0) return [`${head}: no hook of lore's or ELF's`];
  return status.entries.map((entry) => `${head}: ${entryLine(entry)}`);
}

function mcpStatusLine(scope: SettingsScope, status: McpServerStatus): string[] {
  if (status.server === undefined) return [];
  const journal = status.server.base ?? "the journal found from the session's directory";
  const state = status.server.current
    ? `current, serves ${journal}`
    : `not current (${[status.server.command, ...status.server.args].join(" ")}): run \`lore claude install --mcp\` to update it`;
  return [`${scope} MCP servers ${status.file}: lore's MCP server (lore mcp), ${state}`];
}

const MCP_INSTALL_TEXT = {
  installed: "registered lore's MCP server (lore mcp)",
  updated: "updated lore's MCP server (it ran another lore or node, or served another journal)",
  unchanged: "lore's MCP server is registered and current, nothing changed",
} as const;

const MCP_UNINSTALL_TEXT = {
  restored: "removed lore's MCP server: the file is back as it was before `lore claude install --mcp`",
  removed: "removed lore's MCP server and kept the rest of the file as it is now",
} as const;

const INSTALL_TEXT = {
  installed: `registered lore's hooks, ${REGISTERED}`,
  updated: "updated lore's hooks (they ran another lore or node, or read another journal)",
  unchanged: "lore's hooks are registered and current, nothing changed",
} as const;

const UNINSTALL_TEXT = {
  restored: "removed lore's hooks: the file is back as it was before `lore claude install`",
  removed:
    "removed lore's hooks and kept the rest of the file as it is now (it is not what `lore claude install` wrote, " +
    "so no backup was put back)",
  "not-installed": "no hook of lore's, nothing changed",
  missing: "no such file, nothing changed",
} as const;

export async function manageClaude(args: ClaudeArgs): Promise<ExitCodeValue> {
  const [action, extra] = args._;
  if (!ACTIONS.includes(action)) {
    throw new UsageError(`the action must be install, uninstall, status or hook (got ${JSON.stringify(action)})`);
  }
  if (action === "hook") return runHook(extra, args.base);
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  if (args.user && args.project) throw new UsageError("give --user or --project, not both");
  if (args.base !== undefined && action !== "install")
    throw new UsageError(`--base is for install only, not ${action}`);
  if (args.mcp && action !== "install") throw new UsageError(`--mcp is for install only, not ${action}`);
  const where = { home: os.homedir(), cwd: process.cwd() };
  const program = thisLore();
  let result: Record<string, unknown>;
  let lines: string[];
  if (action === "status") {
    const scopes: SettingsScope[] = args.user ? ["user"] : args.project ? ["project"] : ["user", "project"];
    const statuses = scopes.map((scope) => ({ scope, ...settingsStatus(settingsFileFor(scope, where), program) }));
    const servers = scopes.map((scope) => ({ scope, ...mcpServerStatus(mcpConfigFileFor(scope, where), program) }));
    result = { settings: statuses, mcp: servers };
    lines = [
      ...statuses.flatMap((status) => statusLines(status.scope, status)),
      ...servers.flatMap((status) => mcpStatusLine(status.scope, status)),
    ];
  } else {
    const scope: SettingsScope = args.project ? "project" : "user";
    const file = settingsFileFor(scope, where);
    if (action === "install") {
      const base =
        args.base === undefined ? undefined : locateJournal({ base: args.base, env: {}, cwd: where.cwd }).base;
      const mcpFile = mcpConfigFileFor(scope, where);
      const mcpServer = loreMcpServer(program, base);
      // Refused before anything is written: a bad MCP configuration must not leave the hooks installed alone.
      if (args.mcp) assertLoreEntriesInstallable(mcpFile, LORE_MCP_SERVER, mcpServer);
      const installed = installLoreHooks(file, loreHookGroups(program, base));
      result = { scope, ...installed };
      const kept = installed.backup === undefined ? "" : `; the file before is kept in ${installed.backup}`;
      lines = [`${file}: ${INSTALL_TEXT[installed.change]}${kept}`];
      if (args.mcp) {
        const mcp = installLoreEntries(mcpFile, LORE_MCP_SERVER, mcpServer);
        result = { ...result, mcp };
        const mcpKept = mcp.backup === undefined ? "" : `; the file before is kept in ${mcp.backup}`;
        lines.push(`${mcp.file}: ${MCP_INSTALL_TEXT[mcp.change]}${mcpKept}`);
      }
      const elf = settingsStatus(file, program).entries.filter((entry) => entry.owner === "elf");
      if (elf.length > 0) {
        warn(
          `${file} also registers ELF's learning-loop hooks (${elf.map((entry) => entry.event).join(", ")}): ` +
            "they brief sub-agents and judge their tasks too, so both would run; remove ELF's entries to keep lore's alone",
        );
      }
    } else {
      const removed = uninstallLoreHooks(file);
      result = { scope, ...removed };
      const kept = removed.backup === undefined ? "" : `; the file from before install is still in ${removed.backup}`;
      lines = [`${file}: ${UNINSTALL_TEXT[removed.change]}${kept}`];
      const mcp = uninstallLoreEntries(mcpConfigFileFor(scope, where), LORE_MCP_SERVER);
      if (mcp.change === "restored" || mcp.change === "removed") {
        result = { ...result, mcp };
        const mcpKept = mcp.backup === undefined ? "" : `; the file from before install is still in ${mcp.backup}`;
        lines.push(`${mcp.file}: ${MCP_UNINSTALL_TEXT[mcp.change]}${mcpKept}`);
      }
    }
  }
  process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${lines.join("\n")}\n`);
  return ExitCode.Ok;
}
