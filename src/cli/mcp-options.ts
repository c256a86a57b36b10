/**
 * The declaration of `lore mcp` (name, description, options in yargs's
 * format, and the arguments they parse to) and the shape of
 * dist/mcp-server.js, the bundle that serves it (src/mcp/mcp-server.ts).
 * The main bundle declares the command from here (commands/mcp.ts) and loads
 * the server only when `lore mcp` runs (on-demand-parts.ts), so that the MCP
 * SDK never slows a record's start. Nothing here runs a command.
 */
import type { Options } from "yargs";
import type { ExitCodeValue } from "../base/errors.js";
import { type JournalArgs, journalOptions } from "./journal-options.js";

const { json: _json, ...writerOptions } = journalOptions;

const mcpOptions = {
  ...writerOptions,
  "idle-seconds": {
    type: "string",
    describe: "close the journal's database after this many seconds without a call; reopened on the next (default 10)",
  },
} satisfies Record<string, Options>;

export interface McpArgs extends JournalArgs {
  "idle-seconds"?: string;
}

export const mcpDeclaration = {
  command: "mcp",
  describe:
    "serve the journal to an MCP client over stdio (record_failure, record_heuristic, search, query, context, " +
    "validate, violate, golden); runs until the client closes stdin",
  options: mcpOptions,
};

/** What dist/mcp-server.js exports (src/mcp/mcp-server.ts). */
export interface McpServerBundle {
  /** Serves the journal on stdin and stdout until the client goes; resolves to the exit code. */
  serveMcp(args: McpArgs): Promise<ExitCodeValue>;
}
