/**
 * Entry of dist/mcp-server.js: `lore mcp`, one journal served to an MCP
 * client over stdio with the official TypeScript SDK (McpServer,
 * StdioServerTransport; the protocol version is the one the SDK negotiates).
 * Loaded on demand by the main bundle (cli/on-demand-parts.ts), so that the
 * SDK never slows a record's start.
 *
 *   const code = await serveMcp(args);   // resolves once the client closed stdin
 *
 * At start: the journal is found as every lore command finds it (`--base`,
 * LORE_BASE, ...) and opened for reading once, so that a missing journal or
 * database is the command's error (exit 2) before the server answers
 * anything; the session options are the writers' (--lock-timeout,
 * LORE_LOCK_TIMEOUT, LORE_LOCK_STALE, --no-commit). The server joins the
 * journal's record relay (record-relay.ts): it leads it, taking the record
 * calls of the journal's other servers, or sends its own to the one that
 * does. Then the tools (journal-tools.ts) are served on the journal
 * (served-journal.ts), whose write connection is opened too once the client
 * is connected (`warm`), until stdin ends (the client closed it, or went):
 * every request read is answered (the calls in flight finished first), the
 * relay let go (the calls it took from other servers answered first), the
 * connections closed, and it resolves to 0.
 * SIGTERM and SIGINT end it the same way. Nothing but protocol messages goes
 * to stdout; lore's warnings go to stderr, one line each; a failed write of
 * an answer (the client gone) is ignored, so that the calls in flight still
 * finish. A kill at any point is a writer's kill: the next lore command
 * recovers what it left (txn/recover.ts).
 *
 * Measuring: with LORE_MCP_TIMING=1 (read once at start) the server writes
 * one line to stderr per tool call, `lore mcp: timing <tool> <ms> ms`: the
 * time from the call's message read from stdin to its answer written to
 * stdout, SDK dispatch and input checks included (`npm run bench` reads it).
 * Design: docs/DESIGN.md#the-mcp-server
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ExitCode, InvalidFieldError, quoted } from "../base/errors.js";
import { warn } from "../base/warn.js";
import { findWorkTree } from "../git/git-process.js";
import { locateJournal } from "../journal/layout.js";
import { sessionOptionsFrom } from "../cli/journal-options.js";
import type { McpServerBundle } from "../cli/mcp-options.js";
import type { SessionOptions } from "../txn/session.js";
import { registerJournalTools } from "./journal-tools.js";
import { RecordRelay } from "./record-relay.js";
import { ServedJournal } from "./served-journal.js";

/** Set by the bundler (scripts/build.mjs) from package.json. */
declare const LORE_VERSION: string;

const DEFAULT_IDLE_MS = 10_000;

function idleMsOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_IDLE_MS;
  const seconds = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim())) {
    throw new InvalidFieldError("idle-seconds", `must be a number of seconds (got ${quoted(value)})`);
  }
  return seconds * 1000;
}

/** What servers that relay records to one another share: the lore that drafts them, how they write, the local date. */
function relayKey(options: SessionOptions): string {
  const { timeoutMs, staleMs, noCommit } = options;
  return JSON.stringify([LORE_VERSION, timeoutMs, staleMs, noCommit, process.env.TZ ?? ""]);
}

/**
 * The stdio transport, counting the requests not answered yet: once stdin
 * ends, the server answers every request it read before it closes (the
 * SDK's server would drop an answer sent after its close).
 */
class AnsweringTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private readonly unanswered = new Set<RequestId>();
  private allAnswered: (() => void) | undefined;
  /** With LORE_MCP_TIMING: each tool call not answered yet, its tool and when its message was read. */
  private readonly callsTimed: Map<RequestId, { tool: string; readAt: number }> | undefined;

  constructor(
    private readonly stdio: StdioServerTransport,
    timeCalls: boolean,
  ) {
    this.callsTimed = timeCalls ? new Map() : undefined;
  }

  start(): Promise<void> {
    this.stdio.onclose = () => this.onclose?.();
    this.stdio.onerror = (error) => this.onerror?.(error);
    this.stdio.onmessage = (message: JSONRPCMessage) => {
      if ("method" in message && "id" in message) {
        this.unanswered.add(message.id);
        if (this.callsTimed && message.method === "tools/call") {
          this.callsTimed.set(message.id, { tool: String(message.params?.name), readAt: performance.now() });
        }
      }
      this.onmessage?.(message);
    };
    return this.stdio.start();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    try {
      await this.stdio.send(message);
    } finally {
      if (!("method" in message) && "id" in message && message.id !== undefined) {
        this.unanswered.delete(message.id);
        this.reportTime(message.id);
      }
      if (this.unanswered.size === 0) this.allAnswered?.();
    }
  }

  /** With LORE_MCP_TIMING: the line of a tool call just answered. */
  private reportTime(id: RequestId): void {
    const timed = this.callsTimed?.get(id);
    if (timed === undefined) return;
    this.callsTimed?.delete(id);
    process.stderr.write(`lore mcp: timing ${timed.tool} ${(performance.now() - timed.readAt).toFixed(3)} ms\n`);
  }

  close(): Promise<void> {
    return this.stdio.close();
  }

  /** Resolves once every request read so far is answered. */
  answered(): Promise<void> {
    if (this.unanswered.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.allAnswered = resolve;
    });
  }
}

export const serveMcp: McpServerBundle["serveMcp"] = async (args) => {
  const idleMs = idleMsOf(args["idle-seconds"]);
  const options = sessionOptionsFrom({ ...args, json: false }, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  const served = new ServedJournal(layout, options, { idleMs });
  served.read(() => undefined);
  if (!options.noCommit && findWorkTree(layout.base) === undefined) {
    warn(`${layout.base} is not inside a git work tree: records are made without a commit (--no-commit silences this)`);
  }
  // A leader frozen with the lock: by then its lock is stale, and the call's own server takes it over.
  const relay = await RecordRelay.start(layout, relayKey(options), { waitMs: options.staleMs + 1000 });
  const server = new McpServer({ name: "lore", version: LORE_VERSION });
  registerJournalTools(server, served, relay);
  // The client may be gone before an answer is written: the calls in flight still finish.
  process.stdout.on("error", () => {});
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const transport = new AnsweringTransport(new StdioServerTransport(), process.env.LORE_MCP_TIMING === "1");
  await server.connect(transport);
  setImmediate(() => served.warm());
  await ended;
  await transport.answered();
  await relay.close();
  await served.close();
  await server.close();
  return ExitCode.Ok;
};
