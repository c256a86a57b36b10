// lore's Claude Code hooks as Claude Code runs them: `lore claude install`
// writes the settings, and each test runs the exact command string it wrote
// through `sh -c`, with a JSON payload on stdin (the current field names, and
// ELF's older ones), from another directory and with no lore or node on PATH,
// on a real journal with golden and domain heuristics and failures. The
// output is checked as Claude Code reads it, and the journal is checked
// unchanged (but for the pre-tool-use note in lore's runtime directory,
// which test/claude-post-tool-use.test.ts follows further).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, recordFailure, recordHeuristic, runLore } from "./support/lore.js";
import { createJournal, git, runSql, tempDir } from "./support/journal.js";

interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` as Claude Code does (`sh -c`), with `stdin` and no lore or node on PATH. */
function runAsClaudeCode(command: string, stdin: string, options: { cwd: string; home: string }): Promise<HookRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: options.cwd,
      env: cleanEnv({ HOME: options.home, PATH: path.join(options.home, "no-such-bin") }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The command lore registered for `event` in `settingsFile`. */
function registeredCommand(settingsFile: string, event: string): string {
  const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
  return settings.hooks[event][0].hooks[0].command;
}

/** SQLite's -wal and -shm files, which a reader may create (empty of commits) beside the database. */
const READER_FILES = /index\.db-(wal|shm)$/;

/** A hash of every file under `dir` (SQLite's -wal and -shm aside), and git's view of the work tree. */
function journalState(dir: string): { files: Record<string, string>; status: string[] } {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!READER_FILES.test(entry.name)) {
        files[path.relative(dir, full)] = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
      }
    }
  };
  walk(dir);
  const status = git(dir, ["status", "--porcelain", "--ignored"]).split("\n");
  return { files, status: status.filter((line) => line !== "" && !READER_FILES.test(line)) };
}

const AGENT_INPUT = {
  description: "Fix the sqlite test",
  prompt: "The sqlite lock test is flaky; make it deterministic.",
  subagent_type: "general-purpose",
  model: "sonnet",
  run_in_background: false,
};

function currentPayload(cwd: string, toolName = "Agent", toolInput: Record<string, unknown> = AGENT_INPUT): string {
  return JSON.stringify({
    session_id: "abc123",
    transcript_path: path.join(cwd, "transcript.jsonl"),
    cwd,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: "toolu_01ABC",
  });
}

let journal: string;
let home: string;
let preToolUse: string;
let sessionStart: string;

beforeAll(async () => {
  journal = await createJournal();
  home = tempDir("lore-home-");
  const recorded = [
    await recordHeuristic(journal, {
      domain: "sqlite",
      rule: "Take BEGIN IMMEDIATE before a read that writes",
      confidence: "0.9",
    }),
    await recordHeuristic(journal, { domain: "sqlite", rule: "Set a busy timeout on every connection" }),
    await recordHeuristic(journal, { domain: "frontend", rule: "Keep components small" }),
    await recordHeuristic(journal, { domain: "general", rule: "Never commit secrets" }),
    await recordFailure(journal, {
      title: "Flaky lock test",
      domain: "sqlite",
      summary: "It slept 10 ms and hoped. ".repeat(8),
    }),
    await recordFailure(journal, {
      title: "CSS overflow",
      domain: "frontend",
      summary: "A long word broke the layout",
    }),
  ];
  for (const result of recorded) expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  runSql(journal, "UPDATE heuristics SET is_golden = 1 WHERE rule = ?", "Never commit secrets");
  const install = await runLore(["claude", "install", "--user"], { cwd: tempDir(), env: { HOME: home } });
  expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: "" });
  preToolUse = registeredCommand(path.join(home, ".claude", "settings.json"), "PreToolUse");
  sessionStart = registeredCommand(path.join(home, ".claude", "settings.json"), "SessionStart");
});

function briefedPrompt(run: HookRun, input: Record<string, unknown> = AGENT_INPUT): string {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
  expect(run.stdout.endsWith("\n")).toBe(true);
  const output = JSON.parse(run.stdout);
  expect(Object.keys(output)).toEqual(["hookSpecificOutput"]);
  const { hookEventName, updatedInput, ...rest } = output.hookSpecificOutput;
  expect(hookEventName).toBe("PreToolUse");
  expect(rest).toEqual({});
  const { prompt, ...others } = updatedInput;
  const { prompt: original, ...originalOthers } = input;
  expect(others).toEqual(originalOthers);
  expect(Object.keys(updatedInput)).toEqual(Object.keys(input));
  expect(prompt.startsWith(`${original}\n\n---\n## Building Knowledge (Auto-Injected)\n`)).toBe(true);
  return prompt.slice(String(original).length);
}

describe("lore's PreToolUse hook, run as Claude Code runs it", () => {
  it("appends the golden rules, the domain's heuristics and failures to the sub-agent's prompt, keeping every field", async () => {
    const before = journalState(journal);
    const block = briefedPrompt(await runAsClaudeCode(preToolUse, currentPayload(journal), { cwd: tempDir(), home }));
    expect(block).toBe(
      [
        "",
        "",
        "---",
        "## Building Knowledge (Auto-Injected)",
        "",
        "### Golden Rules (Must Follow)",
        "- **Never commit secrets**",
        "",
        "### Relevant Heuristics (sqlite, database, testing)",
        "- [sqlite] Take BEGIN IMMEDIATE before a read that writes (90% confidence, 0x validated)",
        "- [sqlite] Set a busy timeout on every connection (70% confidence, 0x validated)",
        "",
        "### Recent Failures (Avoid These)",
        `- [sqlite] Flaky lock test: ${"It slept 10 ms and hoped. ".repeat(4).slice(0, 100)}...`,
        "",
        "---",
        "",
      ].join("\n"),
    );
    const notes = path.join(journal, "memory", ".lore", "claude");
    const note = JSON.parse(fs.readFileSync(path.join(notes, "abc123", "toolu_01ABC.json"), "utf8"));
    expect(note.domains).toEqual(["sqlite", "database", "testing"]);
    expect(note.heuristics).toHaveLength(3);
    fs.rmSync(notes, { recursive: true });
    expect(journalState(journal)).toEqual(before);
  });

  it("reads ELF's older field names (tool, input) and the tool's older name, Task", async () => {
    const elfPayload = JSON.stringify({ tool: "Task", input: AGENT_INPUT });
    const block = briefedPrompt(await runAsClaudeCode(preToolUse, elfPayload, { cwd: journal, home }));
    expect(block).toContain("- [sqlite] Take BEGIN IMMEDIATE");
    const taskPayload = currentPayload(journal, "Task");
    expect(briefedPrompt(await runAsClaudeCode(preToolUse, taskPayload, { cwd: tempDir(), home }))).toBe(block);
  });

  it("scores the task's complexity as ELF does and says why", async () => {
    const input = { ...AGENT_INPUT, prompt: "Delete the old auth tokens with a migration", description: "cleanup" };
    const block = briefedPrompt(
      await runAsClaudeCode(preToolUse, currentPayload(journal, "Agent", input), { cwd: tempDir(), home }),
      input,
    );
    expect(block).toContain("### Task Complexity: HIGH ⚠️\n**Reasons:**\n- sensitive: auth\n- sensitive: token\n");
    expect(block).toContain("- destructive or privileged: delete\n");
    expect(block).toContain("- domain authentication\n");
    expect(block).toMatch(/\*\*Recommendation:\*\* .+\n\n### Golden Rules/);
  });

  it("leaves other tools, a prompt it has nothing for, and an input without a prompt alone: no output, exit 0", async () => {
    const empty = await createJournal();
    for (const [payload, cwd] of [
      [currentPayload(journal, "Bash", { command: "rm -rf build" }), journal],
      [currentPayload(empty, "Agent", { prompt: "Look around", description: "look" }), empty],
      [currentPayload(journal, "Agent", { description: "no prompt" }), journal],
    ]) {
      const run = await runAsClaudeCode(preToolUse, payload, { cwd, home });
      expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
    }
  });

  it("reads stdin that is not a JSON object as {}: no output, exit 0", async () => {
    for (const stdin of ["", "not json", "[1,2]", '{"tool_name": "Agent", "tool_input": "x"}']) {
      expect(await runAsClaudeCode(preToolUse, stdin, { cwd: journal, home })).toEqual({
        code: 0,
        stdout: "",
        stderr: "",
      });
    }
  });

  it("fails open without a journal: one line on stderr, exit 1 (non-blocking), no output", async () => {
    const nowhere = tempDir("lore-nowhere-");
    const run = await runAsClaudeCode(preToolUse, currentPayload(nowhere), { cwd: nowhere, home });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^lore claude hook pre-tool-use: no lore journal found in .*\n$/);
  });

  it("fails open on a database it cannot read: one line on stderr, exit 1, the journal untouched", async () => {
    const broken = await createJournal();
    await recordHeuristic(broken, { domain: "sqlite", rule: "A rule" });
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(path.join(broken, "memory", `index.db${suffix}`), { force: true });
    fs.writeFileSync(path.join(broken, "memory", "index.db"), "this is not a database, it is text ".repeat(200));
    const before = journalState(broken);
    const run = await runAsClaudeCode(preToolUse, currentPayload(broken), { cwd: broken, home });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^lore claude hook pre-tool-use: file is not a database\n$/);
    expect(journalState(broken)).toEqual(before);
  });

  it("reads the journal named with --base at install, from any session directory", async () => {
    const otherHome = tempDir("lore-home-");
    const install = await runLore(["claude", "install", "--base", journal], {
      cwd: tempDir(),
      env: { HOME: otherHome },
    });
    expect(install.code).toBe(0);
    const command = registeredCommand(path.join(otherHome, ".claude", "settings.json"), "PreToolUse");
    const elsewhere = tempDir("lore-elsewhere-");
    const block = briefedPrompt(
      await runAsClaudeCode(command, currentPayload(elsewhere), { cwd: elsewhere, home: otherHome }),
    );
    expect(block).toContain("- [sqlite] Take BEGIN IMMEDIATE");
  });
});

function sessionPayload(cwd: string): string {
  return JSON.stringify({
    session_id: "abc123",
    transcript_path: path.join(cwd, "transcript.jsonl"),
    cwd,
    hook_event_name: "SessionStart",
    source: "startup",
    model: "claude-sonnet-5",
  });
}

function sessionContext(run: HookRun): string {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
  expect(run.stdout.endsWith("\n")).toBe(true);
  const output = JSON.parse(run.stdout);
  expect(Object.keys(output)).toEqual(["hookSpecificOutput"]);
  expect(Object.keys(output.hookSpecificOutput)).toEqual(["hookEventName", "additionalContext"]);
  expect(output.hookSpecificOutput.hookEventName).toBe("SessionStart");
  return output.hookSpecificOutput.additionalContext;
}

describe("lore's SessionStart hook, run as Claude Code runs it", () => {
  it("gives the journal's briefing, as lore context --max-tokens 2400 prints it, as additionalContext", async () => {
    const before = journalState(journal);
    const context = sessionContext(
      await runAsClaudeCode(sessionStart, sessionPayload(journal), { cwd: tempDir(), home }),
    );
    const expected = await runLore(["context", "--max-tokens", "2400"], { cwd: journal, env: { HOME: home } });
    expect({ code: expected.code, stderr: expected.stderr }).toEqual({ code: 0, stderr: "" });
    expect(context).toBe(expected.stdout);
    expect(context).toContain("Never commit secrets");
    expect(context).not.toContain("\u001b[");
    expect(journalState(journal)).toEqual(before);
  });

  it("holds the briefing to 9,600 characters, under the 10,000 Claude Code passes on whole", async () => {
    const big = await createJournal();
    for (let index = 0; index < 8; index++) {
      const rule = `Rule ${index}: ${"a long statement of a golden rule ".repeat(12)}`.slice(0, 400);
      expect((await recordHeuristic(big, { domain: "general", rule })).code).toBe(0);
    }
    runSql(big, "UPDATE heuristics SET is_golden = 1");
    const context = sessionContext(await runAsClaudeCode(sessionStart, sessionPayload(big), { cwd: big, home }));
    const shown = context.match(/Rule \d:/g) ?? [];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(8);
    expect(context.length).toBeLessThanOrEqual(9600);
  });

  it("reads stdin that is not JSON as {}: the journal is found from the hook's directory", async () => {
    const context = sessionContext(await runAsClaudeCode(sessionStart, "not json", { cwd: journal, home }));
    expect(context).toContain("Never commit secrets");
  });

  it("removes the task notes older than a week, whose PostToolUse never came, and keeps the others", async () => {
    const noted = await createJournal();
    const notes = path.join(noted, "memory", ".lore", "claude");
    const weekAgo = Date.now() / 1000 - 7 * 86_400 - 60;
    const note = (session: string, call: string, old: boolean) => {
      const file = path.join(notes, session, `${call}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify({ heuristics: ["1"], domains: [] })}\n`);
      if (old) fs.utimesSync(file, weekAgo, weekAgo);
    };
    note("interrupted", "toolu_old1", true);
    note("interrupted", "toolu_old2", true);
    note("mixed", "toolu_old", true);
    note("mixed", "toolu_live", false);
    note("running", "toolu_live", false);
    sessionContext(await runAsClaudeCode(sessionStart, sessionPayload(noted), { cwd: noted, home }));
    const left = fs.readdirSync(notes, { recursive: true }).map(String).sort();
    expect(left).toEqual(["mixed", "mixed/toolu_live.json", "running", "running/toolu_live.json"]);
  });

  it("fails open without a journal: one line on stderr, exit 1, no output", async () => {
    const nowhere = tempDir("lore-nowhere-");
    const run = await runAsClaudeCode(sessionStart, sessionPayload(nowhere), { cwd: nowhere, home });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^lore claude hook session-start: no lore journal found in .*\n$/);
  });
});
