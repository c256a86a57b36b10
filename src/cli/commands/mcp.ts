/**
 * `lore mcp`: the journal served to an MCP client over stdio. Only the
 * declaration lives here (mcp-options.ts); the server is dist/mcp-server.js
 * (src/mcp/mcp-server.ts), loaded on demand.
 */
import { defineCommand } from "../command.js";
import { type McpArgs, mcpDeclaration } from "../mcp-options.js";
import { loadMcpServer } from "../on-demand-parts.js";

export const mcpCommand = defineCommand<McpArgs>({
  ...mcpDeclaration,
  run: (args) => loadMcpServer().serveMcp(args),
});
