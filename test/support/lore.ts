// Running lore as users do: a real `node bin/<name>.js` child process, with an
// environment cleaned of the variables lore reads, so that the machine's own
// settings never leak into a test.
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import fs from "node:fs";
import type { Readable, Writable } from "node:stream";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout: the nearest directory above this module with bin/lore.js (test/support here, dist-test when bundled). */
function checkoutRoot(): string {
  for (let directory = path.dirname(fileURLToPath(import.meta.url)); ; directory = path.dirname(directory)) {
    if (fs.existsSync(path.join(directory, "bin", "lore.js"))) return directory;
    if (path.dirname(directory) === directory) throw new Error("no bin/lore.js above the test support code");
  }
}

export const REPO_ROOT = checkoutRoot();

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  bin?: "lore" | "record-failure" | "record-heuristic";
  /** Written to the process's stdin, which is then closed; without it, stdin is ignored. */
  input?: string;
  /** Start the process in its own process group (so a test can kill it and its git child). */
  detached?: boolean;
  onSpawn?: (pid: number) => void;
}

export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // LORE_SYNC_BATCH_FILES is kept: the suite can be run with sync comparing a few files at a time.
    if (/^(FAILURE_|HEURISTIC_|LORE_|GIT_)/.test(key) && key !== "LORE_SYNC_BATCH_FILES") continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * What an MCP client sends `lore mcp` on its stdin in one chunk: the
 * protocol's initialize and initialized, then one `tools/call` per call, with
 * ids 2, 3, ... in order (the initialize is id 1).
 */
export function mcpInput(calls: Array<{ name: string; arguments: Record<string, unknown> }>): string {
  const messages = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "piped", version: "1" } },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    ...calls.map((params, index) => ({ jsonrpc: "2.0", id: index + 2, method: "tools/call", params })),
  ];
  return messages.map((message) => `${JSON.stringify(message)}\n`).join("");
}

export function runLore(args: string[], options: RunOptions): Promise<RunResult> {
  return runNode([path.join(REPO_ROOT, "bin", `${options.bin ?? "lore"}.js`), ...args], options);
}

/** A real `node <nodeArgs...>` child process, its output collected. */
export function runNode(nodeArgs: string[], options: RunOptions): Promise<RunResult> {
  return runProcess(process.execPath, nodeArgs, options);
}

/** A real `command args...` child process (bash, a script by path, node), its output collected, in a clean environment. */
export function runProcess(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: options.detached ?? false,
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    child.stdin?.end(options.input);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `record-failure` with the given flags. */
export function recordFailure(cwd: string, flags: Record<string, string>, env?: Record<string, string | undefined>) {
  return runLore(["record-failure", ...toFlags(flags)], { cwd, env });
}

/** Runs `record-heuristic` with the given flags. */
export function recordHeuristic(cwd: string, flags: Record<string, string>, env?: Record<string, string | undefined>) {
  return runLore(["record-heuristic", ...toFlags(flags)], { cwd, env });
}

export function toFlags(flags: Record<string, string>): string[] {
  return Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]);
}

/**
 * A real process holding the journal lock at `lockDir` (test/fixtures/lock-contender.ts)
 * until the test kills it; resolves once it holds the lock.
 */
export async function holdJournalLock(lockDir: string): Promise<ChildProcessByStdio<null, Readable, null>> {
  const holder = spawn(
    process.execPath,
    [path.join(REPO_ROOT, "dist-test", "lock-contender.js"), "hold", lockDir, "0", "10000"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once("data", () => resolve());
    holder.once("close", (code) => reject(new Error(`the lock holder exited (${code}) before it held the lock`)));
  });
  return holder;
}

/** Whether util-linux's `script` (a real pseudo-terminal for a child) is here. */
export function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
