/**
 * `npm run chaos -- [--writers N] [--mcp-servers N] [--duration S] [--seed X] [--kill-every MS] [--hand-off-always] [--keep]`:
 * a kill -9 harness that tries to make lore lose an acknowledged record.
 *
 * The run: a journal in a new git repository with lore's hooks installed.
 * N writers each start, one after another, `record-failure`,
 * `record-heuristic` (into a new or an existing domain), `validate` or
 * `violate` (of a heuristic acknowledged earlier) or `sync --fix`, each
 * in a process group of its own. A killer sends SIGKILL to a random group
 * every `--kill-every` ms on average (default 150), so lore and its git child
 * die together, in every phase, a git commit included. With
 * `--hand-off-always` every record hands its git commit off to a group commit
 * (LORE_HAND_OFF=always), so that kills strike that path all the time. Each record that
 * exited 0 is written, with the lore id it printed, to an ack log outside the
 * journal.
 *
 * Beside them, `--mcp-servers` (default 2) `lore mcp` servers, each in a
 * process group of its own with an SDK client that sends 1 to 3 calls at once,
 * again and again, making the same choices as a writer (record_failure,
 * record_heuristic, validate, violate; a search where a writer would sync).
 * The killer strikes a server as it strikes a command once the server has
 * answered the protocol's initialize (a kill while it starts reaches nothing
 * of the journal), mid-call and between calls; a killed server is started
 * again. A call answered without error and committed
 * (`commit` not null: a command's exit 0) is acknowledged as a command's
 * record is. A search that fails, a call with no answer from a server still
 * running, a server that does not start, and one that does not exit 0
 * within 30 s of its client closing are violations.
 *
 * The end: one `lore sync --fix` (its time is a recovery time), then the
 * checks, each of which counts as a violation:
 *   - every acknowledged record is in its file, in the DB and in git HEAD,
 *     exactly once; every acknowledged validation or violation is an event
 *     in the feedback files and in git HEAD exactly once, and each
 *     heuristic's counters in the DB are its events' count;
 *   - every record file parses; the DB passes `integrity_check`;
 *   - the search index matches the rows, before the final sync and after it
 *     (the index changes with its rows in one transaction: no kill may leave
 *     them apart);
 *   - `lore sync` reports 0 findings;
 *   - no temp file, lore lock, owner file, takeover tomb, wait-queue ticket or
 *     `.git/index.lock` is left (takeover gates are kept for a minute by
 *     design and only counted);
 *   - `git fsck` passes.
 * It prints a table (runs, tool calls, kills, of servers and mid-call,
 * acknowledged, lost, duplicated, corrupt files, orphans, stuck locks, the
 * longest recovery) and exits 1 on any
 * violation, printing the seed that replays the run's choices.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { Prng } from "../support/prng.js";
import { parseFailure } from "../../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../../src/journal/heuristic-markdown.js";
import { searchIndexViolations } from "../support/search-index-check.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lore = path.join(root, "bin", "lore.js");
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

interface Options {
  writers: number;
  mcpServers: number;
  durationMs: number;
  seed: number;
  killEveryMs: number;
  keep: boolean;
  handOffAlways: boolean;
}

/** `lore mcp` servers beside the command writers unless `--mcp-servers` says otherwise. */
const DEFAULT_MCP_SERVERS = 2;

function options(): Options {
  const { values } = parseArgs({
    options: {
      writers: { type: "string", default: "4" },
      "mcp-servers": { type: "string", default: String(DEFAULT_MCP_SERVERS) },
      duration: { type: "string", default: "60" },
      seed: { type: "string" },
      "kill-every": { type: "string", default: "150" },
      keep: { type: "boolean", default: false },
      "hand-off-always": { type: "boolean", default: false },
    },
    strict: true,
  });
  const number = (value: string | undefined, name: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      process.stderr.write(`chaos: --${name} must be a positive number (got ${JSON.stringify(value)})\n`);
      process.exit(2);
    }
    return parsed;
  };
  const servers = Number(values["mcp-servers"]);
  if (!Number.isInteger(servers) || servers < 0) {
    process.stderr.write(
      `chaos: --mcp-servers must be a whole number, 0 or more (got ${JSON.stringify(values["mcp-servers"])})\n`,
    );
    process.exit(2);
  }
  return {
    writers: Math.floor(number(values.writers, "writers")),
    mcpServers: servers,
    durationMs: number(values.duration, "duration") * 1000,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.floor(number(values.seed, "seed")),
    killEveryMs: number(values["kill-every"], "kill-every"),
    keep: values.keep,
    handOffAlways: values["hand-off-always"],
  };
}

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const environment = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(FAILURE_|HEURISTIC_|LORE_|GIT_)/.test(key)),
);

interface Ack {
  kind: "failure" | "heuristic";
  loreId: string;
  path: string;
}

/** An acknowledged validation or violation: its heuristic and the ids of the events it printed. */
interface FeedbackAck {
  kind: "validated" | "violated";
  loreId: string;
  events: string[];
}

interface Child {
  pid: number;
  startedAt: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>;
}

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv = environment): Child {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [lore, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return {
    pid: child.pid as number,
    startedAt,
    done: new Promise((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - startedAt })),
    ),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function setUp(): Promise<{ base: string; ackLog: string; work: string }> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lore-chaos-"));
  const base = path.join(work, "journal");
  fs.mkdirSync(base);
  git(base, ["init", "-q"]);
  git(base, ["config", "user.name", "lore chaos"]);
  git(base, ["config", "user.email", "chaos@example.invalid"]);
  git(base, ["config", "gc.auto", "0"]);
  execFileSync(process.execPath, [lore, "init"], { cwd: base, env: environment, stdio: "ignore" });
  execFileSync(process.execPath, [lore, "hooks", "install"], { cwd: base, env: environment, stdio: "ignore" });
  git(base, ["add", ".gitignore", ".gitattributes", "memory/golden-rules.md"]);
  git(base, ["commit", "-q", "-m", "journal"]);
  return { base, ackLog: path.join(work, "acks.ndjson"), work };
}

interface Counters {
  runs: number;
  kills: number;
  killsInGit: number;
  /** Of the kills, those of a `lore mcp` server, and of them those with a call in flight. */
  serverKills: number;
  serverKillsMidCall: number;
  /** `lore mcp` servers started (restarts after a kill included), and the tool calls sent to them. */
  serverStarts: number;
  calls: number;
  /** Tool errors of writes (a lock timed out, ...): not acknowledged, as a command's exit other than 0; the first few said. */
  callErrors: number;
  callErrorsSaid: string[];
  acked: number;
  /** Of them, validations and violations; and the records and verdicts acknowledged by a server. */
  ackedFeedback: number;
  ackedByServers: number;
  longestRecoveryMs: number;
  /** The command of the longest recovery, and what it said on stderr (its warnings: what it had to repair). */
  longestRecovery: string;
  /** What went wrong with a server that no kill explains: a read that failed, a call unanswered, an exit that was not 0. */
  serverFaults: string[];
}

/** Whether a process group has a git process in it (a kill then lands mid-git). */
function groupRunsGit(pgid: number): boolean {
  try {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && stat.includes("(git")) return true;
    }
  } catch {
    // Not Linux, or a process ended while we looked.
  }
  return false;
}

/**
 * `lore mcp` on the journal, in a process group of its own (the SDK's
 * StdioClientTransport makes none), so that the killer's SIGKILL takes its
 * git children with it, as for a command: the SDK's framing (ReadBuffer,
 * serializeMessage) over the child's stdin and stdout.
 */
class ServerInGroup implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly pid: number;
  /** Resolves once the server exited, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set once it exited, before the client hears of the close. */
  gone = false;
  stderr = "";
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly buffer = new ReadBuffer();

  constructor(base: string) {
    this.child = spawn(process.execPath, [lore, "mcp", "--base", base], {
      cwd: base,
      env: environment,
      detached: true,
    });
    this.pid = this.child.pid as number;
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        this.gone = true;
        resolve({ code, signal });
        this.onclose?.();
      }),
    );
  }

  async start(): Promise<void> {
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      try {
        for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) {
          this.onmessage?.(message);
        }
      } catch (error) {
        this.onerror?.(error as Error);
      }
    });
    this.child.stderr.on("data", (chunk) => (this.stderr += chunk));
    // A killed server's stdin breaks: the client hears of it from the close.
    this.child.stdin.on("error", () => {});
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.stdin.write(serializeMessage(message))) resolve();
      else this.child.stdin.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
  }
}

/** A command or a server the killer may strike: its process group, and the calls it has in flight. */
interface Victim {
  pid: number;
  server: boolean;
  inFlight: () => number;
}

/** What a writer does next: the same choices for a command and for a server's client. */
type Work =
  | { kind: "failure"; title: string }
  | { kind: "heuristic"; domain: string; rule: string }
  | { kind: "validate" | "violate"; loreId: string }
  /** `lore sync --fix`; a server, which has no such tool, searches instead. */
  | { kind: "sync" };

function commandArgs(work: Work, seed: number): string[] {
  switch (work.kind) {
    case "failure":
      return ["record-failure", "--json", "--title", work.title, "--domain", "chaos", "--summary", `run ${seed}`];
    case "heuristic":
      return ["record-heuristic", "--json", "--domain", work.domain, "--rule", work.rule];
    case "validate":
    case "violate":
      return [work.kind, "--json", work.loreId];
    case "sync":
      return ["sync", "--fix", "--json"];
  }
}

function toolCall(work: Work, seed: number): { name: string; arguments: Record<string, unknown> } {
  switch (work.kind) {
    case "failure":
      return { name: "record_failure", arguments: { title: work.title, domain: "chaos", summary: `run ${seed}` } };
    case "heuristic":
      return { name: "record_heuristic", arguments: { domain: work.domain, rule: work.rule } };
    case "validate":
    case "violate":
      return { name: work.kind, arguments: { ids: [work.loreId] } };
    case "sync":
      return { name: "search", arguments: { text: "chaos OR rule", limit: 10 } };
  }
}

/** How long the harness waits for a server to exit once its client closed stdin. */
const SERVER_EXIT_MS = 30_000;

async function chaos(run: Options, base: string, ackLog: string): Promise<Counters> {
  const random = new Prng(run.seed);
  const counters: Counters = {
    runs: 0,
    kills: 0,
    killsInGit: 0,
    serverKills: 0,
    serverKillsMidCall: 0,
    serverStarts: 0,
    calls: 0,
    callErrors: 0,
    callErrorsSaid: [],
    acked: 0,
    ackedFeedback: 0,
    ackedByServers: 0,
    longestRecoveryMs: 0,
    longestRecovery: "",
    serverFaults: [],
  };
  const live = new Map<number, Victim>();
  const deadline = Date.now() + run.durationMs;
  let killedSinceSuccess = false;
  const domains: string[] = [];
  const heuristics: string[] = [];
  let sequence = 0;

  const nextWork = (writer: string): Work => {
    const roll = random.next();
    const name = `${writer}-${sequence++}`;
    if (roll < 0.45) return { kind: "failure", title: `Chaos ${name}` };
    if (roll < 0.75 || (roll < 0.9 && heuristics.length === 0)) {
      const fresh = domains.length === 0 || random.chance(0.3);
      const domain = fresh ? `domain-${name}` : random.pick(domains);
      if (fresh) domains.push(domain);
      return { kind: "heuristic", domain, rule: `Chaos rule ${name}` };
    }
    if (roll < 0.9) return { kind: random.chance(0.7) ? "validate" : "violate", loreId: random.pick(heuristics) };
    return { kind: "sync" };
  };

  /** A command or call that succeeded: its JSON acknowledged, and the first success after a kill timed. */
  const succeeded = (work: Work, printed: string, ms: number, what: () => string) => {
    if (killedSinceSuccess) {
      if (ms > counters.longestRecoveryMs) {
        counters.longestRecoveryMs = ms;
        counters.longestRecovery = what();
      }
      killedSinceSuccess = false;
    }
    if (work.kind === "validate" || work.kind === "violate") {
      const answer = JSON.parse(printed) as { verdict: FeedbackAck["kind"]; events: string[] };
      const ack: FeedbackAck = { kind: answer.verdict, loreId: work.loreId, events: answer.events };
      fs.appendFileSync(ackLog, `${JSON.stringify(ack)}\n`);
      counters.acked++;
      counters.ackedFeedback++;
    } else if (work.kind !== "sync") {
      const answer = JSON.parse(printed) as Ack;
      fs.appendFileSync(ackLog, `${JSON.stringify({ kind: answer.kind, loreId: answer.loreId, path: answer.path })}\n`);
      if (answer.kind === "heuristic") heuristics.push(answer.loreId);
      counters.acked++;
    }
  };

  const writer = async (index: number) => {
    while (Date.now() < deadline) {
      const work = nextWork(`w${index}`);
      const args = commandArgs(work, run.seed);
      const child = start(args, base, run.handOffAlways ? { ...environment, LORE_HAND_OFF: "always" } : environment);
      live.set(child.pid, { pid: child.pid, server: false, inFlight: () => 1 });
      const result = await child.done;
      live.delete(child.pid);
      counters.runs++;
      if (result.code === 0) {
        succeeded(work, result.stdout, result.ms, () => {
          const said = result.stderr.trim().split("\n").join(" / ") || "(nothing on stderr)";
          return `lore ${args[0]}: ${said}`;
        });
      }
    }
  };

  /**
   * One call to a server: acknowledged when it answered without error and,
   * for a write, committed (a command's exit 0); false once the server is
   * gone (killed mid-call: the call is not acknowledged, as a killed command).
   */
  const callServer = async (client: Client, work: Work, serverGone: () => boolean): Promise<boolean> => {
    const call = toolCall(work, run.seed);
    const startedAt = Date.now();
    counters.calls++;
    let result: CallToolResult;
    try {
      result = (await client.callTool(call)) as CallToolResult;
    } catch (error) {
      if (!serverGone()) counters.serverFaults.push(`${call.name}: no answer (${(error as Error).message})`);
      return false;
    }
    const texts = result.content.map((item) => (item.type === "text" ? item.text : ""));
    if (work.kind === "sync") {
      if (result.isError) counters.serverFaults.push(`search failed: ${texts.join(" / ")}`);
      return true;
    }
    if (result.isError) {
      counters.callErrors++;
      if (counters.callErrorsSaid.length < 5) counters.callErrorsSaid.push(`${call.name}: ${texts.join(" / ")}`);
      return true;
    }
    if ((JSON.parse(texts[0]) as { commit: string | null }).commit === null) return true;
    counters.ackedByServers++;
    succeeded(
      work,
      texts[0],
      Date.now() - startedAt,
      () => `lore mcp ${call.name}: ${texts.slice(1).join(" / ") || "(no note)"}`,
    );
    return true;
  };

  /** A server's client: 1 to 3 calls at once, again and again; a server killed is started again. */
  const serverClient = async (index: number) => {
    while (Date.now() < deadline) {
      const server = new ServerInGroup(base);
      let inFlight = 0;
      counters.serverStarts++;
      const client = new Client({ name: "lore-chaos", version: "1" });
      try {
        await client.connect(server);
        live.set(server.pid, { pid: server.pid, server: true, inFlight: () => inFlight });
        while (Date.now() < deadline && !server.gone) {
          const works = Array.from({ length: random.int(1, 3) }, () => nextWork(`s${index}`));
          inFlight = works.length;
          const answered = await Promise.all(works.map((work) => callServer(client, work, () => server.gone)));
          inFlight = 0;
          if (answered.includes(false)) break;
        }
      } catch (error) {
        counters.serverFaults.push(`did not start: ${(error as Error).message}: ${server.stderr.trim()}`);
      }
      live.delete(server.pid);
      if (!server.gone) await closeServer(client, server, counters);
    }
  };

  const killer = async () => {
    while (Date.now() < deadline) {
      await sleep(random.next() * 2 * run.killEveryMs);
      const victims = [...live.values()];
      if (victims.length === 0) continue;
      const victim = random.pick(victims);
      const inGit = groupRunsGit(victim.pid);
      const midCall = victim.inFlight() > 0;
      try {
        process.kill(-victim.pid, "SIGKILL");
        counters.kills++;
        if (inGit) counters.killsInGit++;
        if (victim.server) counters.serverKills++;
        if (victim.server && midCall) counters.serverKillsMidCall++;
        killedSinceSuccess = true;
      } catch {
        // It ended on its own meanwhile.
      }
    }
  };

  await Promise.all([
    ...Array.from({ length: run.writers }, (_, index) => writer(index)),
    ...Array.from({ length: run.mcpServers }, (_, index) => serverClient(index)),
    killer(),
  ]);
  return counters;
}

/** Closes a server's client (its stdin): the server must exit 0 within SERVER_EXIT_MS, else it is a fault and is killed. */
async function closeServer(client: Client, server: ServerInGroup, counters: Counters): Promise<void> {
  await client.close();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SERVER_EXIT_MS);
  });
  const exit = await Promise.race([server.exited, timedOut]);
  clearTimeout(timer);
  if (exit === "timeout") {
    counters.serverFaults.push(`lore mcp did not exit within ${SERVER_EXIT_MS} ms of its client closing`);
    process.kill(-server.pid, "SIGKILL");
    await server.exited;
  } else if (exit.code !== 0) {
    counters.serverFaults.push(
      `lore mcp exited ${exit.code ?? exit.signal} once its client closed: ${server.stderr.trim()}`,
    );
  }
}

interface Verdict {
  lost: string[];
  duplicated: string[];
  corrupt: string[];
  orphans: string[];
  /** Where the search index and the rows differ. */
  searchIndex: string[];
  stuckLocks: string[];
  other: string[];
  gates: number;
}

function countOf<T>(values: T[], value: T): number {
  return values.filter((entry) => entry === value).length;
}

/** How the search index differs from the rows, one line each. */
function searchIndexApart(base: string): string[] {
  const db = new Database(path.join(base, "memory", "index.db"), { readonly: true });
  try {
    return searchIndexViolations(db);
  } finally {
    db.close();
  }
}

function isFeedbackAck(ack: Ack | FeedbackAck): ack is FeedbackAck {
  return ack.kind === "validated" || ack.kind === "violated";
}

/**
 * Every acknowledged event once in the feedback files and once in HEAD's, and
 * each heuristic's counters in the DB equal to its events in the files.
 */
function verifyFeedback(
  base: string,
  db: BetterSqlite3.Database,
  acks: FeedbackAck[],
  inHead: (file: string) => string,
  verdict: Verdict,
): void {
  const folder = path.join(base, "memory", "feedback");
  const names = fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => name.endsWith(".jsonl")) : [];
  const events: Array<{ id: string; event: string; heuristic: string }> = [];
  const headIds: string[] = [];
  for (const name of names) {
    const read = (text: string, into: (line: { id: string; event: string; heuristic: string }) => void) => {
      for (const line of text.split("\n").filter(Boolean)) {
        try {
          into(JSON.parse(line) as { id: string; event: string; heuristic: string });
        } catch {
          verdict.corrupt.push(`memory/feedback/${name}: a line that is not JSON`);
        }
      }
    };
    read(fs.readFileSync(path.join(folder, name), "utf8"), (line) => events.push(line));
    read(inHead(`memory/feedback/${name}`), (line) => headIds.push(line.id));
  }
  const ids = events.map((event) => event.id);
  for (const ack of acks) {
    for (const id of ack.events) {
      const inFiles = countOf(ids, id);
      const head = countOf(headIds, id);
      if (inFiles === 0 || head === 0)
        verdict.lost.push(`${ack.kind} of ${ack.loreId}: event ${id}, files ${inFiles}, HEAD ${head}`);
      else if (inFiles > 1 || head > 1)
        verdict.duplicated.push(`${ack.kind} of ${ack.loreId}: event ${id}, files ${inFiles}, HEAD ${head}`);
    }
  }
  const rows = db
    .prepare("SELECT lore_id AS loreId, times_validated AS validated, times_violated AS violated FROM heuristics")
    .all() as Array<{ loreId: string | null; validated: number; violated: number }>;
  for (const row of rows) {
    const mine = events.filter((event) => event.heuristic === row.loreId);
    const validated = mine.filter((event) => event.event === "validated").length;
    const violated = mine.filter((event) => event.event === "violated").length;
    if (row.validated !== validated || row.violated !== violated) {
      verdict.other.push(
        `heuristic ${row.loreId}: the DB counts ${row.validated} validations and ${row.violated} violations, the journal ${validated} and ${violated}`,
      );
    }
  }
}

function verify(base: string, ackLog: string, searchIndexBefore: string[]): Verdict {
  const verdict: Verdict = {
    lost: [],
    duplicated: [],
    corrupt: [],
    orphans: [],
    searchIndex: [
      ...searchIndexBefore.map((line) => `before the final sync --fix: ${line}`),
      ...searchIndexApart(base),
    ],
    stuckLocks: [],
    other: [],
    gates: 0,
  };
  const acks = fs.existsSync(ackLog)
    ? fs
        .readFileSync(ackLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Ack | FeedbackAck)
    : [];
  const fileIds: string[] = [];
  for (const sub of ["failures", "heuristics"]) {
    const directory = path.join(base, "memory", sub);
    for (const name of fs.existsSync(directory) ? fs.readdirSync(directory) : []) {
      const file = path.join(directory, name);
      if (/\.md\.\d+$/.test(name)) {
        verdict.stuckLocks.push(`temp file memory/${sub}/${name}`);
        continue;
      }
      if (!name.endsWith(".md")) continue;
      try {
        const text = fs.readFileSync(file, "utf8");
        if (sub === "failures") fileIds.push(parseFailure(text).loreId ?? "");
        else for (const block of parseHeuristicFile(text)) fileIds.push(block.loreId ?? "");
      } catch (error) {
        verdict.corrupt.push(`memory/${sub}/${name}: ${(error as Error).message}`);
      }
    }
  }
  const db = new Database(path.join(base, "memory", "index.db"), { readonly: true });
  const integrity = db.pragma("integrity_check", { simple: true });
  if (integrity !== "ok") verdict.corrupt.push(`index.db: integrity_check says ${String(integrity)}`);
  const rowIds = [
    ...(db.prepare("SELECT lore_id FROM learnings WHERE lore_id IS NOT NULL").pluck().all() as string[]),
    ...(db.prepare("SELECT lore_id FROM heuristics WHERE lore_id IS NOT NULL").pluck().all() as string[]),
  ];
  const headText = new Map<string, string>();
  const inHead = (file: string): string => {
    if (!headText.has(file)) {
      try {
        headText.set(file, git(base, ["show", `HEAD:${file}`]));
      } catch {
        headText.set(file, "");
      }
    }
    return headText.get(file) as string;
  };
  verifyFeedback(base, db, acks.filter(isFeedbackAck), inHead, verdict);
  db.close();
  for (const ack of acks) {
    if (isFeedbackAck(ack)) continue;
    const marker = `<!-- lore:id=${ack.loreId} -->`;
    const inFiles = countOf(fileIds, ack.loreId);
    const inRows = countOf(rowIds, ack.loreId);
    const head = inHead(ack.path).split(marker).length - 1;
    if (inFiles === 0 || inRows === 0 || head === 0)
      verdict.lost.push(`${ack.kind} ${ack.loreId} (${ack.path}): files ${inFiles}, rows ${inRows}, HEAD ${head}`);
    else if (inFiles > 1 || inRows > 1 || head > 1)
      verdict.duplicated.push(`${ack.kind} ${ack.loreId}: files ${inFiles}, rows ${inRows}, HEAD ${head}`);
  }
  // `lore sync` exits 3 when it finds anything; any other failure is a
  // finding of its own, with what it said, rather than the harness's crash.
  const report = spawnSync(process.execPath, [lore, "sync", "--json"], {
    cwd: base,
    env: environment,
    encoding: "utf8",
  });
  if (report.status !== 0 && report.status !== 3) {
    verdict.other.push(`lore sync exited ${report.status ?? report.signal}: ${report.stderr.trim()}`);
  }
  const findings =
    report.status === 0 || report.status === 3
      ? (JSON.parse(report.stdout) as { findings: Array<{ type: string; path: string | null; detail: string }> })
          .findings
      : [];
  for (const finding of findings) {
    const line = `${finding.type} ${finding.path}: ${finding.detail}`;
    if (["missing-row", "missing-file"].includes(finding.type)) verdict.orphans.push(line);
    else if (["stale-lock", "temp-file"].includes(finding.type)) verdict.stuckLocks.push(line);
    else verdict.other.push(line);
  }
  const loreDir = path.join(base, "memory", ".lore");
  for (const name of fs.readdirSync(loreDir)) {
    if (name.startsWith("journal.lock.takeover-")) verdict.gates++;
    else if (name.startsWith("journal.lock") || name.startsWith("rebuild-"))
      verdict.stuckLocks.push(`memory/.lore/${name}`);
  }
  if (fs.readdirSync(path.join(loreDir, "pending")).length > 0)
    verdict.stuckLocks.push("memory/.lore/pending is not empty");
  const waitQueue = path.join(loreDir, "lock-waiters");
  for (const ticket of fs.existsSync(waitQueue) ? fs.readdirSync(waitQueue) : [])
    verdict.stuckLocks.push(`memory/.lore/lock-waiters/${ticket}`);
  if (fs.existsSync(path.join(base, ".git", "index.lock"))) verdict.stuckLocks.push(".git/index.lock");
  try {
    git(base, ["fsck", "--no-progress"]);
  } catch (error) {
    verdict.other.push(`git fsck: ${String((error as { stderr?: unknown }).stderr ?? error)}`);
  }
  return verdict;
}

async function main(): Promise<void> {
  const run = options();
  const { base, ackLog, work } = await setUp();
  process.stderr.write(
    `chaos: ${run.writers} writers and ${run.mcpServers} lore mcp servers for ${run.durationMs / 1000} s, a SIGKILL every ${run.killEveryMs} ms on average, seed ${run.seed}${run.handOffAlways ? ", every commit handed off" : ""}\n`,
  );
  const counters = await chaos(run, base, ackLog);
  const searchIndexBefore = searchIndexApart(base);
  const repairStarted = Date.now();
  const repair = start(["sync", "--fix", "--json"], base);
  const repaired = await repair.done;
  const repairMs = Date.now() - repairStarted;
  const verdict = verify(base, ackLog, searchIndexBefore);
  if (repaired.code !== 0)
    verdict.other.push(`the final lore sync --fix exited ${repaired.code}: ${repaired.stderr.trim()}`);
  verdict.other.push(...counters.serverFaults.map((fault) => `lore mcp: ${fault}`));
  const violations =
    verdict.lost.length +
    verdict.duplicated.length +
    verdict.corrupt.length +
    verdict.orphans.length +
    verdict.searchIndex.length +
    verdict.stuckLocks.length +
    verdict.other.length;
  const rows: Array<[string, string]> = [
    ["seed", String(run.seed)],
    ["writers x duration", `${run.writers} x ${run.durationMs / 1000} s`],
    ["lore mcp servers (started, restarts included)", `${run.mcpServers} (${counters.serverStarts})`],
    ["runs (lore commands started)", String(counters.runs)],
    [
      "tool calls to the servers (of which writes answered with an error)",
      `${counters.calls} (${counters.callErrors})`,
    ],
    ["kills (SIGKILL to a process group)", `${counters.kills} (${counters.killsInGit} while git ran)`],
    [
      "of which of a lore mcp server (with a call in flight)",
      `${counters.serverKills} (${counters.serverKillsMidCall})`,
    ],
    ["acknowledged records", String(counters.acked)],
    ["of which validations and violations", String(counters.ackedFeedback)],
    ["of which acknowledged by a lore mcp server", String(counters.ackedByServers)],
    ["lost", String(verdict.lost.length)],
    ["duplicated", String(verdict.duplicated.length)],
    ["corrupt files (and DB)", String(verdict.corrupt.length)],
    ["orphans (file without row, row without file)", String(verdict.orphans.length)],
    ["search index apart from the rows", String(verdict.searchIndex.length)],
    ["stuck locks and leftovers", String(verdict.stuckLocks.length)],
    ["other findings", String(verdict.other.length)],
    ["longest recovery (first command to succeed after a kill)", `${counters.longestRecoveryMs} ms`],
    ["final lore sync --fix", `${repairMs} ms`],
    ["takeover gates left (kept 60 s by design)", String(verdict.gates)],
  ];
  process.stdout.write(
    `| measure | value |\n| --- | --- |\n${rows.map(([name, value]) => `| ${name} | ${value} |`).join("\n")}\n`,
  );
  if (counters.longestRecovery) process.stderr.write(`chaos: longest recovery: ${counters.longestRecovery}\n`);
  for (const said of counters.callErrorsSaid) process.stderr.write(`chaos: a tool error: ${said}\n`);
  for (const [label, lines] of Object.entries({
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    corrupt: verdict.corrupt,
    orphans: verdict.orphans,
    "search index": verdict.searchIndex,
    "stuck locks": verdict.stuckLocks,
    other: verdict.other,
  })) {
    for (const line of lines.slice(0, 20)) process.stderr.write(`chaos: ${label}: ${line}\n`);
  }
  if (violations > 0) {
    process.stderr.write(
      `chaos: ${violations} violation(s); replay with: npm run chaos -- --writers ${run.writers} --mcp-servers ${run.mcpServers} --duration ${run.durationMs / 1000} --seed ${run.seed}${run.handOffAlways ? " --hand-off-always" : ""}\n`,
    );
    process.stderr.write(`chaos: the journal is kept in ${base}\n`);
    process.exit(1);
  }
  if (run.keep) process.stderr.write(`chaos: the journal is in ${base}\n`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

await main();
