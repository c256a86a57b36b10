/**
 * `npm run chaos -- [--writers N] [--duration S] [--seed X] [--kill-every MS] [--hand-off-always] [--keep]`:
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
 * It prints a table (runs, kills, acknowledged, lost, duplicated, corrupt
 * files, orphans, stuck locks, the longest recovery) and exits 1 on any
 * violation, printing the seed that replays the run's choices.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { Prng } from "../support/prng.js";
import { parseFailure } from "../../src/journal/failure-markdown.js";
import { parseHeuristicFile } from "../../src/journal/heuristic-markdown.js";
import { searchIndexViolations } from "../support/search-index-check.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lore = path.join(root, "bin", "lore.js");
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

interface Options {
  writers: number;
  durationMs: number;
  seed: number;
  killEveryMs: number;
  keep: boolean;
  handOffAlways: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      writers: { type: "string", default: "4" },
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
  return {
    writers: Math.floor(number(values.writers, "writers")),
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
  acked: number;
  /** Of them, validations and violations. */
  ackedFeedback: number;
  longestRecoveryMs: number;
  /** The command of the longest recovery, and what it said on stderr (its warnings: what it had to repair). */
  longestRecovery: string;
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

async function chaos(run: Options, base: string, ackLog: string): Promise<Counters> {
  const random = new Prng(run.seed);
  const counters: Counters = {
    runs: 0,
    kills: 0,
    killsInGit: 0,
    acked: 0,
    ackedFeedback: 0,
    longestRecoveryMs: 0,
    longestRecovery: "",
  };
  const live = new Map<number, Child>();
  const deadline = Date.now() + run.durationMs;
  let killedSinceSuccess = false;
  const domains: string[] = [];
  const heuristics: string[] = [];
  let sequence = 0;

  const writer = async (index: number) => {
    while (Date.now() < deadline) {
      const roll = random.next();
      const name = `w${index}-${sequence++}`;
      let args: string[];
      if (roll < 0.45)
        args = [
          "record-failure",
          "--json",
          "--title",
          `Chaos ${name}`,
          "--domain",
          "chaos",
          "--summary",
          `run ${run.seed}`,
        ];
      else if (roll < 0.75 || (roll < 0.9 && heuristics.length === 0)) {
        const fresh = domains.length === 0 || random.chance(0.3);
        const domain = fresh ? `domain-${name}` : random.pick(domains);
        if (fresh) domains.push(domain);
        args = ["record-heuristic", "--json", "--domain", domain, "--rule", `Chaos rule ${name}`];
      } else if (roll < 0.9) {
        args = [random.chance(0.7) ? "validate" : "violate", "--json", random.pick(heuristics)];
      } else args = ["sync", "--fix", "--json"];
      const child = start(args, base, run.handOffAlways ? { ...environment, LORE_HAND_OFF: "always" } : environment);
      live.set(child.pid, child);
      const result = await child.done;
      live.delete(child.pid);
      counters.runs++;
      if (result.code === 0) {
        if (killedSinceSuccess) {
          if (result.ms > counters.longestRecoveryMs) {
            counters.longestRecoveryMs = result.ms;
            counters.longestRecovery = `lore ${args[0]}: ${result.stderr.trim().split("\n").join(" / ") || "(nothing on stderr)"}`;
          }
          killedSinceSuccess = false;
        }
        if (args[0] === "validate" || args[0] === "violate") {
          const printed = JSON.parse(result.stdout) as { verdict: FeedbackAck["kind"]; events: string[] };
          const ack: FeedbackAck = { kind: printed.verdict, loreId: args[2], events: printed.events };
          fs.appendFileSync(ackLog, `${JSON.stringify(ack)}\n`);
          counters.acked++;
          counters.ackedFeedback++;
        } else if (args[0] !== "sync") {
          const printed = JSON.parse(result.stdout) as Ack;
          fs.appendFileSync(
            ackLog,
            `${JSON.stringify({ kind: printed.kind, loreId: printed.loreId, path: printed.path })}\n`,
          );
          if (printed.kind === "heuristic") heuristics.push(printed.loreId);
          counters.acked++;
        }
      }
    }
  };

  const killer = async () => {
    while (Date.now() < deadline) {
      await sleep(random.next() * 2 * run.killEveryMs);
      const victims = [...live.values()];
      if (victims.length === 0) continue;
      const victim = random.pick(victims);
      const inGit = groupRunsGit(victim.pid);
      try {
        process.kill(-victim.pid, "SIGKILL");
        counters.kills++;
        if (inGit) counters.killsInGit++;
        killedSinceSuccess = true;
      } catch {
        // It ended on its own meanwhile.
      }
    }
  };

  await Promise.all([...Array.from({ length: run.writers }, (_, index) => writer(index)), killer()]);
  return counters;
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
  const report = execFileSync(process.execPath, [lore, "sync", "--json"], {
    cwd: base,
    env: environment,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  for (const finding of (
    JSON.parse(report) as { findings: Array<{ type: string; path: string | null; detail: string }> }
  ).findings) {
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
    `chaos: ${run.writers} writers for ${run.durationMs / 1000} s, a SIGKILL every ${run.killEveryMs} ms on average, seed ${run.seed}${run.handOffAlways ? ", every commit handed off" : ""}\n`,
  );
  const counters = await chaos(run, base, ackLog);
  const searchIndexBefore = searchIndexApart(base);
  const repairStarted = Date.now();
  const repair = start(["sync", "--fix", "--json"], base);
  const repaired = await repair.done;
  const repairMs = Date.now() - repairStarted;
  const verdict = verify(base, ackLog, searchIndexBefore);
  if (repaired.code !== 0) verdict.other.push(`the final lore sync --fix exited ${repaired.code}`);
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
    ["runs (lore commands started)", String(counters.runs)],
    ["kills (SIGKILL to a process group)", `${counters.kills} (${counters.killsInGit} while git ran)`],
    ["acknowledged records", String(counters.acked)],
    ["of which validations and violations", String(counters.ackedFeedback)],
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
      `chaos: ${violations} violation(s); replay with: npm run chaos -- --writers ${run.writers} --duration ${run.durationMs / 1000} --seed ${run.seed}${run.handOffAlways ? " --hand-off-always" : ""}\n`,
    );
    process.stderr.write(`chaos: the journal is kept in ${base}\n`);
    process.exit(1);
  }
  if (run.keep) process.stderr.write(`chaos: the journal is in ${base}\n`);
  else fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

await main();
