// `lore mcp`: the built bin/lore.js served to a real MCP client (the SDK's
// Client over StdioClientTransport, which spawns it), on real journals, with
// the command line run beside it: the tools and their schemas, the same JSON
// as each command's --json, bad input, the per-call timing the bench reads,
// concurrent records sharing git, a journal written and rebuilt by others
// under a running server, an idle server letting the journal go, and a client
// or a server gone mid-call.
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, readRows, tempDir } from "./support/journal.js";
import {
  cleanEnv,
  holdJournalLock,
  mcpInput,
  recordFailure,
  recordHeuristic,
  REPO_ROOT,
  runLore,
} from "./support/lore.js";
import { isStopped, waitUntil } from "./support/processes.js";

interface Served {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
}

const running: Served[] = [];

afterEach(async () => {
  for (const served of running.splice(0)) await served.client.close();
});

async function serve(dir: string, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<Served> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(REPO_ROOT, "bin", "lore.js"), "mcp", "--base", dir, ...extraArgs],
    env: cleanEnv(env) as Record<string, string>,
    cwd: dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => (stderr += chunk));
  const client = new Client({ name: "lore-test", version: "1" });
  await client.connect(transport);
  const served = { client, transport, stderr: () => stderr };
  running.push(served);
  return served;
}

async function callTool(served: Served, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await served.client.callTool({ name, arguments: args })) as CallToolResult;
}

function textsOf(result: CallToolResult): string[] {
  return result.content.map((item) => (item.type === "text" ? item.text : `<${item.type}>`));
}

/** The JSON answer of a call that succeeded. */
function jsonOf(result: CallToolResult): unknown {
  expect(result.isError ?? false, textsOf(result).join("\n")).toBe(false);
  return JSON.parse(textsOf(result)[0]);
}

/** The JSON-RPC messages a server piped `mcpInput` wrote to its stdout, one a line. */
function messagesOf(stdout: string): Array<{ id: number; result: { content: Array<{ text: string }> } }> {
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

/** A JSON value with what differs between two journals made alike (ids that are random, commits, the base) named instead. */
function normalized(value: unknown, base: string): unknown {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  if (typeof value === "string") {
    if (uuid.test(value)) return "<uuid>";
    if (/^[0-9a-f]{40}$/.test(value)) return "<commit>";
    return value.replaceAll(base, "<base>");
  }
  if (Array.isArray(value)) return value.map((item) => normalized(item, base));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalized(item, base)]));
  }
  return value;
}

function commitsOf(dir: string): string[] {
  return git(dir, ["log", "--format=%s"]).trim().split("\n");
}

function pendingOf(dir: string): string[] {
  const pending = path.join(dir, "memory", ".lore", "pending");
  return fs.existsSync(pending) ? fs.readdirSync(pending) : [];
}

/** A file the user staged: lore then leaves its commits to git (src/git/direct-commit.ts). */
function stageFileOfTheUser(dir: string): void {
  fs.writeFileSync(path.join(dir, "staged-by-the-user.txt"), "not lore's\n");
  git(dir, ["add", "staged-by-the-user.txt"]);
}

/** Each git process that made commits, as GIT_TRACE logged it: `git commit` and `git fast-import`. */
function committingGits(trace: string): string[] {
  if (!fs.existsSync(trace)) return [];
  return fs
    .readFileSync(trace, "utf8")
    .split("\n")
    .filter((line) => /trace: built-in: git (commit|fast-import)\b/.test(line));
}

describe("lore mcp: the tools", () => {
  it("lists eight tools in under 1,500 tokens, the readers read-only and the writers not", async () => {
    const dir = await createJournal();
    const served = await serve(dir);
    const listed = await served.client.listTools();
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual(
      ["context", "golden", "query", "record_failure", "record_heuristic", "search", "validate", "violate"].sort(),
    );
    expect(JSON.stringify(listed).length / 4).toBeLessThan(1500);
    const readOnly = Object.fromEntries(listed.tools.map((tool) => [tool.name, tool.annotations?.readOnlyHint]));
    expect(readOnly).toEqual({
      record_failure: false,
      record_heuristic: false,
      search: true,
      query: true,
      context: true,
      validate: false,
      violate: false,
      golden: false,
    });
    const golden = listed.tools.find((tool) => tool.name === "golden");
    expect(golden?.annotations?.idempotentHint).toBe(true);
    const recordTool = listed.tools.find((tool) => tool.name === "record_failure");
    expect(recordTool?.annotations?.destructiveHint).toBe(false);
    expect(recordTool?.inputSchema.required).toEqual(["title", "domain"]);
  });

  it("answers every tool with the JSON of the command's --json", async () => {
    // Two journals made alike: the writers run on one through the server and on the other through the command.
    const served = await createJournal();
    const cli = await createJournal();
    for (const dir of [served, cli]) {
      expect((await recordHeuristic(dir, { domain: "testing", rule: "run the suite first" })).code).toBe(0);
    }
    const server = await serve(served);
    const sameAsCli = async (tool: string, args: Record<string, unknown>, command: string[]) => {
      const answer = jsonOf(await callTool(server, tool, args));
      const printed = await runLore([...command, "--json"], { cwd: cli });
      expect(printed.code, printed.stderr).toBe(0);
      expect(normalized(answer, served)).toEqual(normalized(JSON.parse(printed.stdout), cli));
    };
    await sameAsCli("record_failure", { title: "flaky test", domain: "testing", severity: 4, tags: "ci,flaky" }, [
      "record-failure",
      ...["--title", "flaky test", "--domain", "testing", "--severity", "4", "--tags", "ci,flaky"],
    ]);
    await sameAsCli("record_heuristic", { domain: "testing", rule: "pin the seed", confidence: 0.8 }, [
      "record-heuristic",
      ...["--domain", "testing", "--rule", "pin the seed", "--confidence", "0.8"],
    ]);
    await sameAsCli("validate", { ids: [1, "H-2"] }, ["validate", "1", "H-2"]);
    await sameAsCli("violate", { ids: ["H-1"] }, ["violate", "H-1"]);
    await sameAsCli("golden", { action: "promote", id: 2 }, ["golden", "promote", "2"]);
    await sameAsCli("golden", {}, ["golden"]);

    // The readers on the one journal: the server's answer and the command's output are the same (but for
    // a search hit's score, whose recency moves with the clock between the two).
    const withoutScores = (value: unknown) =>
      JSON.parse(JSON.stringify(value, (key, item) => (key === "score" ? undefined : item)));
    const sameRead = async (tool: string, args: Record<string, unknown>, command: string[]) => {
      const answer = jsonOf(await callTool(server, tool, args));
      const printed = await runLore(command, { cwd: served });
      expect(printed.code, printed.stderr).toBe(0);
      expect(withoutScores(answer)).toEqual(withoutScores(JSON.parse(printed.stdout)));
    };
    await sameRead("search", { text: "seed OR flaky", limit: 5 }, [
      "search",
      "seed",
      "OR",
      "flaky",
      "--limit",
      "5",
      "--json",
    ]);
    await sameRead("query", { mode: "domain", domain: "testing" }, [
      "query",
      "--domain",
      "testing",
      "--format",
      "json",
    ]);
    await sameRead("query", { mode: "recent", recent: 3 }, ["query", "--recent", "3", "--format", "json"]);
    await sameRead("query", { mode: "stats" }, ["query", "--stats", "--format", "json"]);
    await sameRead("context", { task: "fix the flaky test", domain: "testing", "max-tokens": 800 }, [
      "context",
      ...["--task", "fix the flaky test", "--domain", "testing", "--max-tokens", "800", "--json"],
    ]);
    // A text mode of query answers with the command's text.
    const rules = await callTool(server, "query", { mode: "golden-rules" });
    expect(textsOf(rules)[0]).toBe((await runLore(["query", "--golden-rules"], { cwd: served })).stdout.trimEnd());
    expect(server.stderr()).toBe("");
    expect(invariantViolations(served)).toEqual([]);
  });

  it("answers bad input with the command's one-line error naming the field, and writes nothing", async () => {
    const dir = await createJournal();
    const server = await serve(dir);
    const commitsBefore = commitsOf(dir);
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      [
        "record_failure",
        { title: "two\nlines", domain: "x" },
        ["record-failure", "--title", "two\nlines", "--domain", "x"],
      ],
      [
        "record_failure",
        { title: "t", domain: "x", severity: 9 },
        ["record-failure", "--title", "t", "--domain", "x", "--severity", "9"],
      ],
      [
        "record_heuristic",
        { domain: "x", rule: "r", confidence: "sure" },
        ["record-heuristic", "--domain", "x", "--rule", "r", "--confidence", "sure"],
      ],
      ["search", { text: "x", type: "note" }, ["search", "x", "--type", "note"]],
      ["query", { mode: "recent", recent: 0 }, ["query", "--recent", "0"]],
      ["context", { "max-tokens": "many" }, ["context", "--max-tokens", "many"]],
      ["validate", { ids: ["H-99"] }, ["validate", "H-99"]],
      ["validate", { ids: [] }, ["validate"]],
      ["golden", { action: "crown", id: 1 }, ["golden", "crown", "1"]],
    ];
    for (const [tool, args, command] of cases) {
      const result = await callTool(server, tool, args);
      const printed = await runLore(command, { cwd: dir });
      expect(printed.code).toBe(2);
      const line = printed.stderr.trim().split("\n").at(-1) ?? "";
      const message = line.replace(/^lore [a-z-]+: /, "");
      expect(result.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(textsOf(result)).toEqual([message]);
      expect(message).toMatch(/^[A-Za-z-]+: /);
    }
    const typeError = await callTool(server, "record_failure", { title: 3, domain: "x" });
    expect(typeError.isError).toBe(true);
    expect(textsOf(typeError)[0]).toContain("title");
    expect(commitsOf(dir)).toEqual(commitsBefore);
    expect(readRows(dir)).toEqual({ learnings: [], heuristics: [] });
    expect(pendingOf(dir)).toEqual([]);
  });

  it("with LORE_MCP_TIMING=1 writes one timing line per tool call to stderr, and none without it", async () => {
    const dir = await createJournal();
    const timed = await serve(dir, { LORE_MCP_TIMING: "1" });
    const untimed = await serve(dir);
    for (const server of [timed, untimed]) {
      await server.client.listTools();
      jsonOf(await callTool(server, "record_failure", { title: "timed", domain: "bench" }));
      jsonOf(await callTool(server, "search", { text: "timed" }));
      expect((await callTool(server, "search", { text: '"unclosed' })).isError).toBe(true);
    }
    const timingLines = (served: Served) => served.stderr().match(/^lore mcp: timing .*$/gm) ?? [];
    await waitUntil(() => timingLines(timed).length === 3, "the server times its three calls");
    expect(timingLines(timed).map((line) => line.replace(/ \d+\.\d{3} ms$/, " <ms>"))).toEqual([
      "lore mcp: timing record_failure <ms>",
      "lore mcp: timing search <ms>",
      "lore mcp: timing search <ms>",
    ]);
    await untimed.client.close();
    expect(untimed.stderr()).not.toContain("timing");
  });
});

describe("lore mcp: writes", () => {
  it.each([
    ["by git, with fewer git processes than records (the user has staged a file)", true],
    ["without git: lore writes the commits itself, and no git process commits", false],
  ])("commits 10 concurrent records each in a commit of its own %s", async (_, staged) => {
    const dir = await createJournal();
    if (staged) stageFileOfTheUser(dir);
    const trace = path.join(dir, "..", `${path.basename(dir)}.git-trace`);
    const server = await serve(dir, { GIT_TRACE: trace });
    const titles = Array.from({ length: 10 }, (_, index) => `concurrent ${index}`);
    const answers = await Promise.all(
      titles.map((title) => callTool(server, "record_failure", { title, domain: "load" })),
    );
    const records = answers.map((answer) => jsonOf(answer) as { id: number; path: string; commit: string | null });
    expect(new Set(records.map((record) => record.id)).size).toBe(10);
    for (const record of records) {
      expect(record.commit).toMatch(/^[0-9a-f]{40}$/);
      // Its own commit holds its own file, and nothing else.
      expect(git(dir, ["show", "--name-only", "--format=", record.commit as string]).trim()).toBe(record.path);
    }
    expect(new Set(records.map((record) => record.commit)).size).toBe(10);
    expect(commitsOf(dir).filter((subject) => subject.startsWith("failure: concurrent"))).toHaveLength(10);
    const committers = committingGits(trace);
    if (staged) {
      expect(committers.length).toBeGreaterThan(0);
      expect(committers.length).toBeLessThan(10);
      expect(git(dir, ["diff", "--cached", "--name-only"]).trim()).toBe("staged-by-the-user.txt");
    } else {
      expect(committers).toEqual([]);
      expect(git(dir, ["status", "--porcelain", "--", "memory"])).toBe("");
    }
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("commits each of the first records of a repository without a commit yet, sent together", async () => {
    const dir = path.join(tempDir(), "journal");
    const init = await runLore(["init", "--git", dir], { cwd: path.dirname(dir) });
    expect(init.code, init.stderr).toBe(0);
    expect(() => git(dir, ["rev-parse", "--verify", "HEAD"])).toThrow();
    const server = await serve(dir);
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        callTool(server, "record_failure", { title: `first ${index}`, domain: "unborn" }),
      ),
    );
    for (const answer of answers) {
      expect(textsOf(answer)).toHaveLength(1);
      const record = jsonOf(answer) as { path: string; commit: string | null };
      expect(record.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(git(dir, ["show", "--name-only", "--format=", record.commit as string]).trim()).toBe(record.path);
    }
    expect(commitsOf(dir).filter((subject) => subject.startsWith("failure: first"))).toHaveLength(5);
    expect(pendingOf(dir)).toEqual([]);
    // (`lore init` leaves its golden-rules.md for the user to commit.)
    expect(git(dir, ["status", "--porcelain", "--", "memory/failures"])).toBe("");
  });

  it("writes records with one title that arrive together in one write transaction, named as one after another", async () => {
    const dir = await createJournal();
    const calls = Array.from({ length: 6 }, () => ({
      name: "record_failure",
      arguments: { title: "Same title", domain: "together" },
    }));
    const result = await runLore(["mcp", "--base", dir], {
      cwd: dir,
      input: mcpInput(calls),
      env: { LORE_TRACE_STEPS: "1" },
    });
    expect(result.code, result.stderr).toBe(0);
    const answers = messagesOf(result.stdout)
      .filter((answer) => answer.id !== 1)
      .sort((a, b) => a.id - b.id)
      .map((answer) => JSON.parse(answer.result.content[0].text) as { path: string; commit: string | null });
    const stem = `memory/failures/${answers[0].path.slice("memory/failures/".length, -".md".length)}`;
    expect(answers.map((answer) => answer.path)).toEqual([
      `${stem}.md`,
      ...[2, 3, 4, 5, 6].map((suffix) => `${stem}-${suffix}.md`),
    ]);
    for (const answer of answers) {
      expect(git(dir, ["show", "--name-only", "--format=", answer.commit as string]).trim()).toBe(answer.path);
    }
    // One BEGIN for the six rows, and their files' fsyncs side by side.
    expect(result.stderr.match(/ step db-begin /g)).toHaveLength(1);
    expect(result.stderr.match(/ step db-insert /g)).toHaveLength(6);
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  // LORE_STOP_AT reads /proc: Linux only.
  it.runIf(process.platform === "linux")(
    "takes a call that arrives while its session writes into that session, before the session's one commit",
    async () => {
      const dir = await createJournal();
      const server = await serve(dir, { LORE_STOP_AT: "db-committed", LORE_TRACE_STEPS: "1" });
      const first = callTool(server, "record_failure", { title: "first call", domain: "join" });
      const pid = server.transport.pid as number;
      await waitUntil(() => isStopped(pid), "the server stops after its first COMMIT");
      // Sent while the session is under way: read once the server runs again.
      const second = callTool(server, "record_failure", { title: "second call", domain: "join" });
      process.kill(pid, "SIGCONT");
      const records = [jsonOf(await first), jsonOf(await second)] as Array<{ path: string; commit: string }>;
      for (const record of records) {
        expect(git(dir, ["show", "--name-only", "--format=", record.commit]).trim()).toBe(record.path);
      }
      const steps = server.stderr();
      expect(steps.match(/ step lock-acquired /g)).toHaveLength(1);
      expect(steps.match(/ step db-begin /g)).toHaveLength(2);
      // One commit run for both: lore's own commit passes git-staged once per run.
      expect(steps.match(/ step git-staged /g)).toHaveLength(1);
      expect(pendingOf(dir)).toEqual([]);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );

  it("answers a record whose commit failed with a note, and commits it at its next session", async () => {
    const dir = await createJournal();
    // A pre-commit hook that refuses the first commit only.
    const refused = path.join(dir, ".git", "refused-once");
    fs.writeFileSync(
      path.join(dir, ".git", "hooks", "pre-commit"),
      `#!/bin/sh\nif [ -e '${refused}' ]; then exit 0; fi\ntouch '${refused}'\necho refused >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const server = await serve(dir);
    const first = await callTool(server, "record_failure", { title: "refused at first", domain: "hooks" });
    expect(first.isError ?? false).toBe(false);
    expect(jsonOf(first)).toMatchObject({ commit: null });
    expect(textsOf(first)[1]).toMatch(/but the git commit failed: .*the next lore command commits it/);
    expect(pendingOf(dir)).toHaveLength(1);
    // The server's next session recovers its own record like any other writer's: committed, its intent gone.
    const second = jsonOf(await callTool(server, "record_failure", { title: "then accepted", domain: "hooks" }));
    expect(second).toMatchObject({ commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(pendingOf(dir)).toEqual([]);
    expect(commitsOf(dir)).toEqual(expect.arrayContaining(["failure: refused at first", "failure: then accepted"]));
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("shares a journal with another server and the command line, all writing at once", async () => {
    const dir = await createJournal();
    const servers = [await serve(dir), await serve(dir)];
    const calls = servers.flatMap((server, which) =>
      Array.from({ length: 5 }, (_, index) =>
        callTool(server, index % 2 === 0 ? "record_failure" : "record_heuristic", {
          ...(index % 2 === 0
            ? { title: `server ${which} record ${index}` }
            : { rule: `server ${which} rule ${index}` }),
          domain: "shared",
        }).then(jsonOf),
      ),
    );
    const commands = Array.from({ length: 5 }, (_, index) =>
      index % 2 === 0
        ? recordFailure(dir, { title: `command record ${index}`, domain: "shared" })
        : recordHeuristic(dir, { domain: "shared", rule: `command rule ${index}` }),
    );
    await Promise.all(calls);
    for (const result of await Promise.all(commands)) expect(result.code, result.stderr).toBe(0);
    const rows = readRows(dir);
    expect(rows.learnings.length + rows.heuristics.length).toBe(15);
    expect(commitsOf(dir).filter((subject) => /^(failure|heuristic): /.test(subject))).toHaveLength(15);
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("hands its records' commits off to a server queued behind it, and answers each only once committed", async () => {
    const dir = await createJournal();
    // git makes the commits (lore leaves them to git while the user has something staged), so its processes tell.
    stageFileOfTheUser(dir);
    const trace = path.join(dir, "..", `${path.basename(dir)}.git-trace`);
    const servers = [];
    // Servers whose options differ relay no records to one another (src/mcp/record-relay.ts): each waits itself.
    for (let index = 0; index < 3; index++) {
      servers.push(await serve(dir, { GIT_TRACE: trace }, ["--lock-timeout", String(30 + index)]));
    }
    // All three wait for the lock before any takes it: each then finds writers queued behind it.
    const holder = await holdJournalLock(path.join(dir, "memory", ".lore", "journal.lock"));
    const waiters = path.join(dir, "memory", ".lore", "lock-waiters");
    const answers = Promise.all(
      servers.flatMap((server, which) =>
        Array.from({ length: 3 }, (_, index) =>
          callTool(server, "record_failure", { title: `handed off ${which}.${index}`, domain: "handoff" }),
        ),
      ),
    );
    await waitUntil(() => fs.existsSync(waiters) && fs.readdirSync(waiters).length === 3, "three servers wait");
    holder.kill("SIGKILL");
    const records = (await answers).map((answer) => jsonOf(answer) as { path: string; commit: string | null });
    for (const record of records) {
      expect(record.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(git(dir, ["show", "--name-only", "--format=", record.commit as string]).trim()).toBe(record.path);
    }
    expect(new Set(records.map((record) => record.commit)).size).toBe(9);
    // Fewer git processes made commits than there were servers: the last holder committed the others' records.
    const committers = committingGits(trace);
    expect(committers.length).toBeGreaterThan(0);
    expect(committers.length).toBeLessThan(servers.length);
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("sees at its next call a record the command line made while it runs", async () => {
    const dir = await createJournal();
    const server = await serve(dir);
    expect(jsonOf(await callTool(server, "search", { text: "outsider" }))).toMatchObject({ count: 0 });
    expect((await recordFailure(dir, { title: "outsider failure", domain: "cli" })).code).toBe(0);
    const found = jsonOf(await callTool(server, "search", { text: "outsider" })) as { hits: Array<{ title: string }> };
    expect(found.hits.map((hit) => hit.title)).toEqual(["outsider failure"]);
    // And writes after it, with the next id.
    const next = jsonOf(await callTool(server, "record_failure", { title: "after the outsider", domain: "mcp" }));
    expect(next).toMatchObject({ id: 2 });
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("notices a database removed and rebuilt under it: reads the new one and writes into it", async () => {
    const dir = await createJournal();
    const server = await serve(dir);
    jsonOf(await callTool(server, "record_failure", { title: "before the rebuild", domain: "db" }));
    jsonOf(await callTool(server, "record_heuristic", { domain: "db", rule: "keep the wal" }));
    for (const name of fs.readdirSync(path.join(dir, "memory")).filter((file) => file.startsWith("index.db"))) {
      fs.rmSync(path.join(dir, "memory", name));
    }
    const rebuilt = await runLore(["sync", "--rebuild"], { cwd: dir });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const found = jsonOf(await callTool(server, "search", { text: "rebuild OR wal" })) as { count: number };
    expect(found.count).toBe(2);
    const after = jsonOf(await callTool(server, "record_failure", { title: "after the rebuild", domain: "db" }));
    expect(after).toMatchObject({ id: 2 });
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["before the rebuild", "after the rebuild"]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("repairs a database emptied under it, as a record of the command line does, and records above every id", async () => {
    const dir = await createJournal();
    const server = await serve(dir);
    for (const title of ["first", "second"]) jsonOf(await callTool(server, "record_failure", { title, domain: "db" }));
    const memory = path.join(dir, "memory");
    fs.truncateSync(path.join(memory, "index.db"), 0);
    for (const name of ["index.db-wal", "index.db-shm"]) fs.rmSync(path.join(memory, name), { force: true });
    const after = jsonOf(await callTool(server, "record_failure", { title: "third", domain: "db" }));
    expect(after).toMatchObject({ id: 3 });
    expect(server.stderr()).toContain("the database was behind the journal");
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["first", "second", "third"]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it("opens the journal at start, lets it go when its client is idle, and opens it again at the next call", async () => {
    const dir = await createJournal();
    const openJournalFiles = (served: Served) => {
      const pid = served.transport.pid as number;
      return fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return "";
          }
        })
        .filter((target) => target.startsWith(path.join(dir, "memory")));
    };
    // Before any call, so that the first one does not pay for opening the database.
    const ready = await serve(dir);
    await waitUntil(
      () => openJournalFiles(ready).filter((file) => file.endsWith("index.db")).length === 2,
      "the server opens its write and read connections at start",
    );
    const server = await serve(dir, {}, ["--idle-seconds", "0.2"]);
    jsonOf(await callTool(server, "record_failure", { title: "then idle", domain: "idle" }));
    await waitUntil(() => openJournalFiles(server).length === 0, "the idle server closes the journal's files");
    jsonOf(await callTool(server, "record_failure", { title: "awake again", domain: "idle" }));
    expect(readRows(dir).learnings).toHaveLength(2);
    expect(invariantViolations(dir)).toEqual([]);
  });
});

describe("lore mcp: gone mid-call", () => {
  it("a client that disconnects while its record waits for the lock leaves nothing the next command does not resolve", async () => {
    const dir = await createJournal();
    const server = await serve(dir);
    const holder = await holdJournalLock(path.join(dir, "memory", ".lore", "journal.lock"));
    const waiters = path.join(dir, "memory", ".lore", "lock-waiters");
    const call = callTool(server, "record_failure", { title: "left behind", domain: "gone" }).catch(
      (error: Error) => error,
    );
    await waitUntil(() => fs.existsSync(waiters) && fs.readdirSync(waiters).length > 0, "the call waits for the lock");
    const closed = server.client.close();
    running.splice(running.indexOf(server), 1);
    holder.kill("SIGKILL");
    await closed;
    await call;
    const next = await recordFailure(dir, { title: "the next command", domain: "gone" });
    expect(next.code, next.stderr).toBe(0);
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
    // The record that was mid-call is wholly there (the server finished it) or wholly absent, never in part.
    const titles = readRows(dir).learnings.map((row) => row.title);
    expect(titles).toContain("the next command");
    expect(commitsOf(dir).filter((subject) => subject === "failure: left behind")).toHaveLength(
      titles.includes("left behind") ? 1 : 0,
    );
    expect((await runLore(["sync"], { cwd: dir })).code).toBe(0);
  });

  it("answers every request it read before stdin ended, then exits 0", async () => {
    const dir = await createJournal();
    const input = mcpInput(
      [2, 3].map((id) => ({ name: "record_failure", arguments: { title: `piped ${id}`, domain: "pipe" } })),
    );
    const result = await runLore(["mcp", "--base", dir], { cwd: dir, input });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    const answers = messagesOf(result.stdout);
    expect(answers.map((answer) => answer.id).sort()).toEqual([1, 2, 3]);
    for (const answer of answers.filter((each) => each.id !== 1)) {
      expect(JSON.parse(answer.result.content[0].text).commit).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(commitsOf(dir)).toEqual(expect.arrayContaining(["failure: piped 2", "failure: piped 3"]));
    expect(pendingOf(dir)).toEqual([]);
  });

  it.each(["intent-written", "file-written", "db-committed", "git-add", "git-committed"])(
    "a server SIGKILLed at %s is recovered by the next command: the record wholly there or wholly absent",
    async (step) => {
      const dir = await createJournal();
      const server = await serve(dir, { LORE_CRASH_AT: step });
      const failed = await callTool(server, "record_failure", { title: "killed mid-call", domain: "crash" }).catch(
        (error: Error) => error,
      );
      expect(failed).toBeInstanceOf(Error);
      const next = await recordFailure(dir, { title: "the next command", domain: "crash" }, { LORE_LOCK_STALE: "60" });
      expect(next.code, next.stderr).toBe(0);
      expect(pendingOf(dir)).toEqual([]);
      expect(invariantViolations(dir)).toEqual([]);
      const titles = readRows(dir).learnings.map((row) => row.title);
      const committed = ["db-committed", "git-add", "git-committed"].includes(step);
      expect(titles).toEqual(committed ? ["killed mid-call", "the next command"] : ["the next command"]);
      expect(commitsOf(dir).filter((subject) => subject === "failure: killed mid-call")).toHaveLength(
        committed ? 1 : 0,
      );
    },
  );
});

describe("lore mcp: one server writes the records of the journal's others", () => {
  const socketOf = (dir: string) => path.join(dir, "memory", ".lore", "mcp.sock");
  /** How many records a server with LORE_TRACE_STEPS=1 has written (each passes db-insert once). */
  const writtenBy = (served: Served) => served.stderr().match(/ step db-insert /g)?.length ?? 0;

  it("records a later server's calls in the first server's sessions, and answers each there", async () => {
    const dir = await createJournal();
    const leader = await serve(dir, { LORE_TRACE_STEPS: "1" });
    const others = [await serve(dir, { LORE_TRACE_STEPS: "1" }), await serve(dir, { LORE_TRACE_STEPS: "1" })];
    expect(fs.statSync(socketOf(dir)).isSocket()).toBe(true);
    const answers = await Promise.all(
      others.flatMap((server, which) => [
        callTool(server, "record_failure", { title: `relayed ${which}`, domain: "relay", severity: 4 }),
        callTool(server, "record_heuristic", { domain: "relay", rule: `relayed rule ${which}`, confidence: "high" }),
      ]),
    );
    const records = answers.map(
      (answer) => jsonOf(answer) as { id: number; loreId: string; path: string; commit: string },
    );
    for (const record of records) {
      expect(git(dir, ["show", "--name-only", "--format=", record.commit]).trim()).toBe(record.path);
    }
    expect(writtenBy(leader)).toBe(4);
    expect(others.map(writtenBy)).toEqual([0, 0]);
    const rows = readRows(dir);
    expect(rows.learnings.map((row) => [row.title, row.severity])).toEqual(
      expect.arrayContaining([
        ["relayed 0", 4],
        ["relayed 1", 4],
      ]),
    );
    expect([...rows.learnings, ...rows.heuristics].map((row) => row.lore_id).sort()).toEqual(
      records.map((record) => record.loreId).sort(),
    );
    // Bad input is the error of the server called, as without a relay.
    const bad = await callTool(others[0], "record_failure", { title: "two\nlines", domain: "relay" });
    expect(bad.isError).toBe(true);
    expect(textsOf(bad)).toEqual(["title: must be one line without control characters (found U+000A at position 4)"]);
    expect(writtenBy(leader)).toBe(4);
    expect(pendingOf(dir)).toEqual([]);
    expect(invariantViolations(dir)).toEqual([]);
  });

  it.each(["db-insert", "file-written", "db-committed", "git-committed"])(
    "a leader SIGKILLed at %s of a call it took: the call's own server records it, once",
    async (step) => {
      const dir = await createJournal();
      await serve(dir, { LORE_CRASH_AT: step });
      const caller = await serve(dir, { LORE_TRACE_STEPS: "1" });
      const record = jsonOf(await callTool(caller, "record_failure", { title: "leader killed", domain: "relay" })) as {
        id: number;
        loreId: string;
        path: string;
        commit: string;
      };
      expect(git(dir, ["show", "--name-only", "--format=", record.commit]).trim()).toBe(record.path);
      // Written again by its own server only where the leader's COMMIT had not taken effect.
      const committed = step === "db-committed" || step === "git-committed";
      expect(writtenBy(caller)).toBe(committed ? 0 : 1);
      const rows = readRows(dir).learnings;
      expect(rows.map((row) => [row.id, row.lore_id, row.title])).toEqual([
        [record.id, record.loreId, "leader killed"],
      ]);
      expect(commitsOf(dir).filter((subject) => subject === "failure: leader killed")).toHaveLength(1);
      expect(pendingOf(dir)).toEqual([]);
      expect(invariantViolations(dir)).toEqual([]);
      // The killed leader's socket is taken over at the caller's next call: it leads, and writes the next server's.
      jsonOf(await callTool(caller, "record_failure", { title: "after the leader", domain: "relay" }));
      const next = await serve(dir);
      jsonOf(await callTool(next, "record_failure", { title: "from the next server", domain: "relay" }));
      expect(writtenBy(caller)).toBe(committed ? 2 : 3);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );

  // LORE_STOP_AT reads /proc: Linux only.
  it.runIf(process.platform === "linux")(
    "a leader frozen mid-call: the call's own server answers it once the lock is stale; the leader commits nothing more",
    async () => {
      const dir = await createJournal();
      // Frozen after its COMMIT, before git: SQLite's own lock is free, the journal lock held.
      const leader = await serve(dir, { LORE_STOP_AT: "git-commit", LORE_LOCK_STALE: "2" });
      const caller = await serve(dir, { LORE_TRACE_STEPS: "1", LORE_LOCK_STALE: "2" });
      const started = Date.now();
      const answer = callTool(caller, "record_failure", { title: "leader frozen", domain: "relay" });
      const pid = leader.transport.pid as number;
      await waitUntil(() => isStopped(pid), "the leader stops at git-commit");
      const record = jsonOf(await answer) as { id: number; loreId: string; path: string; commit: string };
      // Not before the lock's stale age and a second, nor long after.
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(Date.now() - started).toBeLessThan(20_000);
      // Recovery committed the leader's record, and the caller answered it as it is.
      expect(writtenBy(caller)).toBe(0);
      expect(git(dir, ["show", "--name-only", "--format=", record.commit]).trim()).toBe(record.path);
      process.kill(pid, "SIGCONT");
      // The leader, taken over while frozen, commits nothing more: the record is there once.
      jsonOf(await callTool(caller, "record_failure", { title: "after the thaw", domain: "relay" }));
      const rows = readRows(dir).learnings;
      expect(rows.filter((row) => row.title === "leader frozen").map((row) => row.lore_id)).toEqual([record.loreId]);
      expect(commitsOf(dir).filter((subject) => subject === "failure: leader frozen")).toHaveLength(1);
      await leader.client.close();
      running.splice(running.indexOf(leader), 1);
      await recordFailure(dir, { title: "the next command", domain: "relay" });
      expect(pendingOf(dir)).toEqual([]);
      expect(invariantViolations(dir)).toEqual([]);
    },
    60_000,
  );

  it("a leader whose client leaves answers what it took, and the next call finds a new leader", async () => {
    const dir = await createJournal();
    const leader = await serve(dir, { LORE_TRACE_STEPS: "1" });
    const caller = await serve(dir, { LORE_TRACE_STEPS: "1" });
    const taken = callTool(caller, "record_failure", { title: "taken before the leader left", domain: "relay" });
    await waitUntil(() => writtenBy(leader) === 1, "the leader writes the call");
    await leader.client.close();
    running.splice(running.indexOf(leader), 1);
    jsonOf(await taken);
    expect(fs.existsSync(socketOf(dir))).toBe(false);
    jsonOf(await callTool(caller, "record_failure", { title: "after the leader left", domain: "relay" }));
    expect(writtenBy(caller)).toBe(1);
    expect(fs.statSync(socketOf(dir)).isSocket()).toBe(true);
    expect(
      readRows(dir)
        .learnings.map((row) => row.title)
        .sort(),
    ).toEqual(["after the leader left", "taken before the leader left"]);
    expect(invariantViolations(dir)).toEqual([]);
  });
});
