/**
 * lore's MCP server (`lore mcp`) in Claude Code's MCP configuration:
 * registered by `lore claude install --mcp`, removed by `lore claude
 * uninstall`, reported by `lore claude status`, every other entry kept.
 *
 *   const file = mcpConfigFileFor("project", { home, cwd });
 *   installLoreEntries(file, LORE_MCP_SERVER, loreMcpServer(program, base));   // claude-settings.ts
 *   uninstallLoreEntries(file, LORE_MCP_SERVER);
 *   mcpServerStatus(file, program)   ->  lore's server in it, and whether it is current
 *
 * Where Claude Code keeps MCP servers: project scope in `.mcp.json` at the
 * project's root (here the git work tree's top level around `cwd`, else
 * `cwd`), user scope in `~/.claude.json` (its top-level `mcpServers`); both
 * hold `mcpServers: { <name>: { type: "stdio", command, args, env? } }`.
 * lore's entry is named `lore` and runs this lore's node and bin/lore.js with
 * `mcp` (and `--base DIR` when install was given one), absolute paths, so
 * that no PATH is needed (cli/this-lore.ts). An entry is lore's when its
 * arguments run lore's `mcp` (a path ending in `lore` or `lore.js`, then
 * `mcp`), by any path, so another lore's is updated in place.
 * `~/.claude.json` also holds Claude Code's own state, which it rewrites:
 * install keeps all of it as parsed, and backs the file up as for the hooks
 * (claude-settings.ts installLoreEntries).
 *
 * Errors: SettingsFileError (exit 2) when `mcpServers` is not an object, or
 * when its `lore` entry is a server that is not lore's: lore will not replace
 * another program's server.
 */
import path from "node:path";
import { findWorkTree } from "../git/git-process.js";
import type { LoreProgram } from "../setup/elf-shims.js";
import type { LoreEntries, SettingsScope } from "./claude-settings.js";
import { describeJson, isJsonObject, type JsonObject, readSettingsFile, SettingsFileError } from "./settings-file.js";

/** The name of lore's server in `mcpServers`. */
export const LORE_MCP_NAME = "lore";

export function mcpConfigFileFor(scope: SettingsScope, where: { home: string; cwd: string }): string {
  if (scope === "user") return path.join(where.home, ".claude.json");
  return path.join(findWorkTree(where.cwd)?.root ?? path.resolve(where.cwd), ".mcp.json");
}

/** The entry install writes: this lore's `mcp`, on the journal `base` when given. */
export function loreMcpServer(program: LoreProgram, base?: string): JsonObject {
  return {
    type: "stdio",
    command: program.node,
    args: [program.lore, "mcp", ...(base === undefined ? [] : ["--base", base])],
  };
}

function argumentsOf(entry: unknown): string[] | undefined {
  if (!isJsonObject(entry) || !Array.isArray(entry.args)) return undefined;
  return entry.args.every((argument) => typeof argument === "string") ? (entry.args as string[]) : undefined;
}

/** Whether an `mcpServers` entry runs lore's `mcp`: `<node> <...>/lore.js mcp ...` or `lore mcp ...`. */
function isLoreMcpServer(entry: unknown): boolean {
  const args = argumentsOf(entry);
  if (args === undefined || !isJsonObject(entry) || typeof entry.command !== "string") return false;
  const words = [entry.command, ...args];
  const mcp = words.indexOf("mcp");
  return mcp > 0 && /(?:^|[/\\])lore(?:\.js)?$/.test(words[mcp - 1]);
}

function serversOf(value: JsonObject, file: string): JsonObject | undefined {
  if (value.mcpServers === undefined) return undefined;
  if (!isJsonObject(value.mcpServers)) {
    throw new SettingsFileError(
      `${file}: "mcpServers" must be an object of servers (it is ${describeJson(value.mcpServers)}); nothing was written`,
    );
  }
  return value.mcpServers;
}

export const LORE_MCP_SERVER: LoreEntries<JsonObject> = {
  holds: (value) =>
    value !== undefined && isJsonObject(value.mcpServers) && isLoreMcpServer(value.mcpServers[LORE_MCP_NAME]),
  installed: (value) => (value.mcpServers as JsonObject)[LORE_MCP_NAME] as JsonObject,
  withLore(value, entry, file) {
    const servers = serversOf(value, file) ?? {};
    const present = servers[LORE_MCP_NAME];
    if (present !== undefined && !isLoreMcpServer(present)) {
      throw new SettingsFileError(
        `${file}: "mcpServers.${LORE_MCP_NAME}" is another program's server; rename it to register lore's; nothing was written`,
      );
    }
    return { ...value, mcpServers: { ...servers, [LORE_MCP_NAME]: entry } };
  },
  withoutLore(value) {
    if (!isJsonObject(value.mcpServers) || !isLoreMcpServer(value.mcpServers[LORE_MCP_NAME])) return value;
    const { [LORE_MCP_NAME]: _lore, ...servers } = value.mcpServers;
    if (Object.keys(servers).length > 0) return { ...value, mcpServers: servers };
    const { mcpServers: _servers, ...rest } = value;
    return rest;
  },
};

export interface McpServerStatus {
  file: string;
  /** "missing": no file; "invalid": not a JSON object (`error` says why); "read". */
  state: "missing" | "invalid" | "read";
  error?: string;
  /** lore's server in the file, if any: its command line, whether it is what install writes now, its journal. */
  server?: { command: string; args: string[]; current: boolean; base: string | undefined };
}

export function mcpServerStatus(file: string, program: LoreProgram): McpServerStatus {
  let value: JsonObject | undefined;
  try {
    value = readSettingsFile(file).value;
  } catch (error) {
    return { file, state: "invalid", error: (error as Error).message };
  }
  if (value === undefined) return { file, state: "missing" };
  if (!LORE_MCP_SERVER.holds(value)) return { file, state: "read" };
  const entry = LORE_MCP_SERVER.installed(value);
  const args = argumentsOf(entry) as string[];
  const baseAt = args.indexOf("--base");
  const base = baseAt >= 0 ? args[baseAt + 1] : undefined;
  const current = JSON.stringify(entry) === JSON.stringify(loreMcpServer(program, base));
  return { file, state: "read", server: { command: entry.command as string, args, current, base } };
}
