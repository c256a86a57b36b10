/**
 * `lore claude install | uninstall | status [--user | --project] [--base DIR]
 * [--mcp] [--json]` and `lore claude hook <name>`: lore's hooks (and, with
 * --mcp, its MCP server) in Claude Code's settings, and what they run
 * (src/claude/). The work is loaded on demand
 * from claude-code.ts, so a record never loads it.
 */
import type { Options } from "yargs";
import { defineCommand } from "../command.js";
import { loadClaudeCode } from "../on-demand-parts.js";
import type { ClaudeArgs } from "../claude-code.js";

const claudeOptions = {
  user: {
    type: "boolean",
    describe: "~/.claude/settings.json (the default of install and uninstall; status shows both)",
  },
  project: {
    type: "boolean",
    describe: ".claude/settings.json of the project: the git work tree's top level, else the working directory",
  },
  base: {
    type: "string",
    describe:
      "install: the journal the hooks read (default: at each call, the one lore finds from the session's directory: " +
      "$LORE_BASE, else the nearest one above, else ~/.claude/emergent-learning)",
  },
  mcp: {
    type: "boolean",
    describe: "install: also register `lore mcp` as an MCP server (~/.claude.json, or .mcp.json with --project)",
  },
  json: { type: "boolean", default: false, describe: "print one JSON object" },
} satisfies Record<string, Options>;

export const claudeCommand = defineCommand<ClaudeArgs>({
  command: "claude <action> [hook]",
  describe:
    "register lore's Claude Code hooks in settings.json, remove them or show them (install | uninstall | status); " +
    "`hook session-start | pre-tool-use | post-tool-use` is what the hooks run",
  options: claudeOptions,
  run: (args) => loadClaudeCode().manageClaude(args),
});
