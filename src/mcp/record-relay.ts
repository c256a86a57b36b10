/**
 * The record calls of a journal's `lore mcp` servers, written by one of
 * them: the first server of a journal listens on a Unix socket,
 * `memory/.lore/mcp.sock`, and the servers that start after it send it their
 * `record_failure` and `record_heuristic` calls. It takes them into its own
 * queue (served-journal.ts), so that records that reach many servers at
 * once are written in one journal session, under one lock, and committed as
 * one group, as the calls of one server are, instead of one session after
 * another, each process waiting its turn for the lock.
 *
 *   const relay = await RecordRelay.start(layout, key, { waitMs });   // listens, or knows where to send
 *   relay.take((call) => recordAnswerOf(call));   // the leader's: what it answers a call sent to it
 *   const answer = await relay.forward(call);     // the leader's answer; undefined: record it here
 *   await relay.close();                          // stops taking calls; answers those it took first
 *
 * Once: a call carries the lore id its record is to have, chosen where the
 * call arrived, and its time. A record whose lore id is in the database
 * already is never written again: it is answered as the record made
 * (txn/record-batch.ts `persist`). So a call is recorded once whoever
 * writes it: `forward` gives undefined when the call was not answered (no
 * server leads; this one does; the leader declined it; the connection went,
 * or no answer came within `waitMs`), and the caller then records it
 * itself, under the journal lock: a leader killed mid-call has left either
 * the whole record, which the caller's session finds (recovery committed
 * it) and answers, or none of it, and the caller writes it.
 *
 * Which calls: only the records. Their lore id makes them once; a verdict or
 * a golden change has none, and stays with the server its client called.
 * The leader declines a call whose `key` is not its own (another lore
 * version, other session options, another time zone): that call is made as
 * its own server would make it.
 *
 * Who leads: the server that puts its socket in place first. It binds it
 * under a name of its own (`mcp.sock.<pid>`) and links that to
 * `mcp.sock`, which fails where the name is taken; Node removes at close
 * only the name it bound, which is gone by then, never another server's
 * socket. A socket file no server listens on (its server was killed) is
 * taken over: removed, and linked again. Two servers doing so at once may
 * each link theirs, the second after removing the first's; the first then
 * finds at its next call that the file is not the one it linked (another
 * inode), stops taking calls (it answers those taken) and sends its own on.
 * A leader removes the socket at `close` while it is still its own. Where
 * the path is too long for a Unix socket (about 94 bytes with the pid), or
 * on Windows, there is no relay: every server writes its own calls.
 *
 * Errors: nothing here is thrown to a caller. A failed connection or a
 * broken message is a call not relayed, which its server then records.
 * Messages are JSON lines: `{"id", "key", "call"}` one way, `{"id",
 * "answer"}` or `{"id", "declined": true}` the other.
 * Design: docs/DESIGN.md#the-mcp-server
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { linkPath, noteSocketBound, removeFile } from "../io/file-system.js";
import type { JournalLayout } from "../journal/layout.js";

/** A record call as it reached a server: its tool, its arguments, its time and the lore id of its record. */
export interface RecordCall {
  tool: "record_failure" | "record_heuristic";
  args: Record<string, unknown>;
  /** ISO 8601. */
  now: string;
  loreId: string;
}

type Answerer = (call: RecordCall) => Promise<CallToolResult>;

/** Longest socket path bound: `sun_path` holds 108 bytes on Linux and 104 on macOS, with its terminator. */
const MAX_SOCKET_PATH_BYTES = 103;
/** What a server adds to the socket's path for the name it binds first: `.<pid>`. */
const OWN_NAME_BYTES = 9;

/** Where a journal's leading server listens; undefined where there is no relay. */
export function relaySocketPath(layout: JournalLayout): string | undefined {
  if (process.platform === "win32") return undefined;
  const socket = path.join(layout.loreDir, "mcp.sock");
  return Buffer.byteLength(socket) + OWN_NAME_BYTES <= MAX_SOCKET_PATH_BYTES ? socket : undefined;
}

/** Removes `file` if it is there (another server may have removed it first). */
function removeIfThere(file: string): void {
  try {
    removeFile(file);
  } catch {
    // Gone already.
  }
}

/** Splits a stream into its JSON lines; a line that is no JSON is passed over. */
function onJsonLines(socket: net.Socket, each: (message: Record<string, unknown>) => void): void {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf("\n");
    while (end >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      end = buffered.indexOf("\n");
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      if (message !== null && typeof message === "object") each(message as Record<string, unknown>);
    }
  });
}

export class RecordRelay {
  private server: net.Server | undefined;
  /** The inode of the socket file this server bound, to remove only its own. */
  private boundInode: number | undefined;
  private answerer: Answerer | undefined;
  private readonly connections = new Set<net.Socket>();
  private taken = 0;
  private allAnswered: (() => void) | undefined;
  private closing = false;
  private toLeader: Promise<net.Socket | undefined> | undefined;
  private leaderSocket: net.Socket | undefined;
  private readonly waiting = new Map<number, (answer: CallToolResult | undefined) => void>();
  private nextId = 1;

  private constructor(
    private readonly socketPath: string | undefined,
    private readonly key: string,
    private readonly options: { waitMs: number },
  ) {}

  /** A relay for the journal: leading where no server does yet. */
  static async start(layout: JournalLayout, key: string, options: { waitMs: number }): Promise<RecordRelay> {
    const relay = new RecordRelay(relaySocketPath(layout), key, options);
    if (relay.socketPath !== undefined && !fs.existsSync(relay.socketPath)) await relay.lead();
    return relay;
  }

  /** Whether this server takes the calls of others. */
  private get leads(): boolean {
    return this.server !== undefined;
  }

  /** What the leader answers a call sent to it; set before any call can arrive. */
  take(answerer: Answerer): void {
    this.answerer = answerer;
  }

  /** The leader's answer to `call`, or undefined: this server records it (once: see the header). */
  async forward(call: RecordCall): Promise<CallToolResult | undefined> {
    if (this.socketPath === undefined || this.closing) return undefined;
    if (this.leads && this.stillBound()) return undefined;
    this.toLeader ??= this.connect();
    const socket = await this.toLeader;
    if (socket === undefined || socket.destroyed) {
      this.toLeader = undefined;
      return undefined;
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, undefined), this.options.waitMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      socket.ref();
      socket.write(`${JSON.stringify({ id, key: this.key, call })}\n`);
    });
  }

  /** Stops taking calls, answers every call taken, and lets the socket go (its file too, while it is this server's). */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.server;
    if (server !== undefined) {
      this.removeOwnSocketFile();
      server.close();
    }
    // Calls taken before another server took the socket over are answered too.
    if (this.taken > 0) await new Promise<void>((resolve) => (this.allAnswered = resolve));
    for (const connection of this.connections) connection.end();
    this.leaderSocket?.destroy();
  }

  private settle(id: number, answer: CallToolResult | undefined): void {
    const resolve = this.waiting.get(id);
    if (resolve === undefined) return;
    this.waiting.delete(id);
    resolve(answer);
    if (this.waiting.size === 0) this.leaderSocket?.unref();
  }

  /**
   * Binds the socket: under a name of this process's own, linked into place
   * (the link fails where a server leads already, and Node removes at close
   * only the name it bound, never another server's socket). True once this
   * server leads.
   */
  private async lead(): Promise<boolean> {
    const socketPath = this.socketPath as string;
    const ownName = `${socketPath}.${process.pid}`;
    removeIfThere(ownName);
    const server = net.createServer((connection) => this.accept(connection));
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(ownName, () => resolve(true));
    });
    if (!bound) return false;
    noteSocketBound(ownName);
    try {
      linkPath(ownName, socketPath);
    } catch {
      removeIfThere(ownName);
      server.close();
      return false;
    }
    removeIfThere(ownName);
    server.unref();
    this.server = server;
    try {
      this.boundInode = fs.statSync(socketPath).ino;
    } catch {
      this.boundInode = undefined;
    }
    return true;
  }

  /**
   * Whether the socket file is still the one this server bound; when it is
   * not (another server took it over, racing this one), this one stops
   * taking calls (it answers those taken) and sends its own on.
   */
  private stillBound(): boolean {
    if (this.ownsSocketFile()) return true;
    this.server?.close();
    this.server = undefined;
    return false;
  }

  /** Whether the socket file is the one this server linked (its inode). */
  private ownsSocketFile(): boolean {
    try {
      return this.boundInode !== undefined && fs.statSync(this.socketPath as string).ino === this.boundInode;
    } catch {
      return false;
    }
  }

  private removeOwnSocketFile(): void {
    // Another server's socket by now, or gone already: left as it is.
    if (this.ownsSocketFile()) removeIfThere(this.socketPath as string);
  }

  /** The connection to the leader; undefined when none leads (this server may lead from now on). */
  private async connect(): Promise<net.Socket | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const connected = await this.tryConnect();
      if (connected instanceof net.Socket) return connected;
      if (connected !== "ENOENT" && connected !== "ECONNREFUSED") return undefined;
      // No server listens: take the socket over (its file first, when a killed leader left it).
      if (connected === "ECONNREFUSED") {
        removeIfThere(this.socketPath as string);
      }
      if (await this.lead()) return undefined;
    }
    return undefined;
  }

  private tryConnect(): Promise<net.Socket | string> {
    return new Promise((resolve) => {
      const socket = net.connect(this.socketPath as string);
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      socket.once("connect", () => {
        socket.removeAllListeners("error");
        socket.on("error", () => {});
        socket.on("close", () => {
          if (this.leaderSocket !== socket) return;
          this.leaderSocket = undefined;
          this.toLeader = undefined;
          for (const id of [...this.waiting.keys()]) this.settle(id, undefined);
        });
        onJsonLines(socket, (message) => {
          const id = Number(message.id);
          this.settle(id, message.declined === true ? undefined : (message.answer as CallToolResult));
        });
        socket.unref();
        this.leaderSocket = socket;
        resolve(socket);
      });
    });
  }

  /** A server that sends its calls here. */
  private accept(connection: net.Socket): void {
    this.connections.add(connection);
    connection.on("error", () => {});
    connection.on("close", () => this.connections.delete(connection));
    onJsonLines(connection, (message) => {
      const call = message.call as RecordCall | undefined;
      if (this.closing || this.answerer === undefined || message.key !== this.key || call === undefined) {
        connection.write(`${JSON.stringify({ id: message.id, declined: true })}\n`);
        return;
      }
      this.taken++;
      // An answerer that threw has not answered: the call's own server records it (once).
      const answered = this.answerer(call).then(
        (answer) => ({ id: message.id, answer }),
        () => ({ id: message.id, declined: true }),
      );
      void answered.then((reply) => {
        if (!connection.destroyed) connection.write(`${JSON.stringify(reply)}\n`);
        this.taken--;
        if (this.taken === 0) this.allAnswered?.();
      });
    });
  }
}
