/**
 * Loads, on demand, the parts of lore that a record never needs, each a
 * bundle of its own beside dist/lore.js (scripts/build.mjs):
 *
 *   loadSyncAndHooks()   dist/sync-and-hooks.js: `lore sync`, `lore hooks`,
 *                        the work of lore's git hooks, a record's repair of
 *                        a database behind its journal
 *   loadHelpAndUsage()   dist/help-and-usage.js: help, the version and
 *                        usage errors, with all of yargs
 *   loadManageElf()      dist/manage-elf.js: `lore elf`
 *   loadReadCommands()   dist/read-commands.js: `lore query`, `lore context`
 *                        (bin/run.js also starts them from it directly)
 *   loadClaudeCode()     dist/claude-code.js: `lore claude`, its settings and
 *                        the hooks Claude Code runs
 *   loadMcpServer()      dist/mcp-server.js: `lore mcp`, with the MCP SDK
 *
 * They are required, not imported (docs/DESIGN.md#on-demand-bundles); those
 * that a short-lived process loads often (sync and the git hooks' work, the
 * hooks Claude Code runs) through bin/run.js's `loadBundle`, which compiles
 * them with their code cache, as it compiles dist/lore.js. Runs from the
 * bundle only, where this file and those bundles sit side by side in dist/,
 * beside bin/.
 */
import { createRequire } from "node:module";
import type { McpServerBundle } from "./mcp-options.js";
import type { ReadCommandsBundle } from "./read-options.js";

const requireBesideBundle = createRequire(import.meta.filename);

/** dist/<name>.js compiled with its code cache (bin/run.js). */
function compiledBundle(name: string): unknown {
  const run = requireBesideBundle("../bin/run.js") as { loadBundle(name: string): { exports: unknown } };
  return run.loadBundle(name).exports;
}

export function loadSyncAndHooks(): typeof import("./sync-and-hooks.js") {
  return compiledBundle("sync-and-hooks") as typeof import("./sync-and-hooks.js");
}

export function loadHelpAndUsage(): typeof import("./help-and-usage.js") {
  return requireBesideBundle("./help-and-usage.js") as typeof import("./help-and-usage.js");
}

export function loadManageElf(): typeof import("./manage-elf.js") {
  return requireBesideBundle("./manage-elf.js") as typeof import("./manage-elf.js");
}

export function loadReadCommands(): ReadCommandsBundle {
  return requireBesideBundle("./read-commands.js") as ReadCommandsBundle;
}

export function loadClaudeCode(): typeof import("./claude-code.js") {
  return compiledBundle("claude-code") as typeof import("./claude-code.js");
}

export function loadMcpServer(): McpServerBundle {
  return requireBesideBundle("./mcp-server.js") as McpServerBundle;
}
