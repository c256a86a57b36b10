// lore's PostToolUse hook, driven as Claude Code drives it: the real CLI with
// the recorded payloads of test/fixtures/claude/post-tool-use on stdin, after
// the PreToolUse hook briefed the same call (same session_id and
// tool_use_id) on a real journal in git. Checked: the note the briefing left,
// the counters and events of the heuristics it showed (each call's own
// only), golden rules, `[LEARNED]` lessons recorded as heuristics (and
// observations: test/observation.test.ts), and failing open.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, openDb, runSql, tempDir } from "./support/journal.js";
import { recordHeuristic, type RunResult, runLore } from "./support/lore.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "claude", "post-tool-use");

type Payload = Record<string, unknown> & { tool_input: Record<string, unknown> };

/** A recorded PostToolUse payload, as the call `toolUseId` of session `sessionId` in `cwd`. */
function postPayload(fixture: string, call: { sessionId: string; toolUseId: string; cwd: string }): Payload {
  const payload = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${fixture}.json`), "utf8")) as Payload;
  return { ...payload, session_id: call.sessionId, tool_use_id: call.toolUseId, cwd: call.cwd };
}

/** The PreToolUse payload of the same call: the same fields, before the tool ran. */
function prePayload(post: Payload): Payload {
  const { tool_response: _response, duration_ms: _duration, ...rest } = post;
  return { ...rest, hook_event_name: "PreToolUse" };
}

function hook(name: "pre-tool-use" | "post-tool-use", journal: string, input: string): Promise<RunResult> {
  return runLore(["claude", "hook", name], { cwd: journal, input, env: { HOME: tempDir("lore-home-") } });
}

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

/** The one-line summary the hook shows the user. */
function systemMessage(result: RunResult): string {
  ok(result);
  const output = JSON.parse(result.stdout);
  expect(Object.keys(output)).toEqual(["systemMessage"]);
  return output.systemMessage;
}

function noteFile(journal: string, sessionId: string, toolUseId: string): string {
  return path.join(journal, "memory", ".lore", "claude", sessionId, `${toolUseId}.json`);
}

interface Standing {
  lore_id: string;
  rule: string;
  times_validated: number;
  times_violated: number;
  is_golden: number;
}

function standings(journal: string): Map<string, Standing> {
  const db = openDb(journal);
  try {
    const rows = db
      .prepare("SELECT lore_id, rule, times_validated, times_violated, is_golden FROM heuristics ORDER BY id")
      .all() as Standing[];
    return new Map(rows.map((row) => [row.rule, row]));
  } finally {
    db.close();
  }
}

/** Every feedback event in the journal's files: [event, lore id of its heuristic]. */
function feedbackEvents(journal: string): Array<[string, string]> {
  const dir = path.join(journal, "memory", "feedback");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((name) => fs.readFileSync(path.join(dir, name), "utf8").split("\n"))
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line))
    .map((event) => [event.event, event.heuristic]);
}

function commitSubjects(journal: string): string[] {
  return git(journal, ["log", "--format=%s"]).trim().split("\n");
}

const CHECKOUT_RULES = ["Wait on the event, never on a delay", "Reset the cart between tests"];
const DATABASE_RULES = ["Run migrations in a transaction"];
const UNRELATED_RULE = "Keep components small";

/** A journal with heuristics for the checkout task (success fixture), the migrations task (failure) and neither. */
async function journalWithHeuristics(): Promise<string> {
  const journal = await createJournal();
  const recorded = [
    ...CHECKOUT_RULES.map((rule) => ({ domain: "checkout", rule })),
    ...DATABASE_RULES.map((rule) => ({ domain: "database", rule })),
    { domain: "frontend", rule: UNRELATED_RULE },
    { domain: "logs", rule: "Read the logs from the newest line up", confidence: "0.9" },
  ];
  for (const flags of recorded) ok(await recordHeuristic(journal, flags));
  return journal;
}

/** Runs pre-tool-use for the call of `post`, and checks it briefed the sub-agent. */
async function briefed(journal: string, post: Payload): Promise<void> {
  const result = ok(await hook("pre-tool-use", journal, JSON.stringify(prePayload(post))));
  expect(JSON.parse(result.stdout).hookSpecificOutput.updatedInput.prompt).toContain("## Building Knowledge");
}

describe("lore claude hook post-tool-use", () => {
  it("validates, once each, the heuristics the briefing of the same call showed, and removes its note", async () => {
    const journal = await journalWithHeuristics();
    const post = postPayload("success-explicit", { sessionId: "s1", toolUseId: "t1", cwd: journal });
    await briefed(journal, post);
    const note = JSON.parse(fs.readFileSync(noteFile(journal, "s1", "t1"), "utf8"));
    const before = standings(journal);
    const checkoutIds = CHECKOUT_RULES.map((rule) => before.get(rule)?.lore_id);
    expect(new Set(note.heuristics)).toEqual(new Set(checkoutIds));
    expect(note.domains).toEqual(["checkout", "testing"]);

    expect(systemMessage(await hook("post-tool-use", journal, JSON.stringify(post)))).toBe(
      "lore: task success (Tests passed): validated 2 heuristics",
    );
    const after = standings(journal);
    for (const rule of CHECKOUT_RULES) expect(after.get(rule)).toMatchObject({ times_validated: 1, times_violated: 0 });
    for (const rule of [...DATABASE_RULES, UNRELATED_RULE]) expect(after.get(rule)?.times_validated).toBe(0);
    expect(feedbackEvents(journal).sort()).toEqual(checkoutIds.map((id) => ["validated", id]).sort());
    expect(commitSubjects(journal)[0]).toBe("validate: 2 heuristics");
    expect(git(journal, ["status", "--porcelain"])).toBe("");
    expect(fs.existsSync(path.join(journal, "memory", ".lore", "claude", "s1"))).toBe(false);
  });

  it("violates them after a task that failed", async () => {
    const journal = await journalWithHeuristics();
    const post = postPayload("failure-error", { sessionId: "s1", toolUseId: "t1", cwd: journal });
    await briefed(journal, post);
    expect(systemMessage(await hook("post-tool-use", journal, JSON.stringify(post)))).toBe(
      "lore: task failure (Error detected): violated 1 heuristic",
    );
    const after = standings(journal);
    expect(after.get(DATABASE_RULES[0])).toMatchObject({ times_validated: 0, times_violated: 1 });
    expect(feedbackEvents(journal)).toEqual([["violated", after.get(DATABASE_RULES[0])?.lore_id]]);
    expect(commitSubjects(journal)[0]).toBe(`violate: ${DATABASE_RULES[0]}`);
    expect(fs.existsSync(noteFile(journal, "s1", "t1"))).toBe(false);
  });

  it("changes nothing after a task whose outcome is unknown, and still takes the note", async () => {
    const journal = await journalWithHeuristics();
    const post = postPayload("unknown-vague", { sessionId: "s1", toolUseId: "t1", cwd: journal });
    await briefed(journal, post);
    const before = standings(journal);
    const head = commitSubjects(journal);
    expect(ok(await hook("post-tool-use", journal, JSON.stringify(post))).stdout).toBe("");
    expect(standings(journal)).toEqual(before);
    expect(feedbackEvents(journal)).toEqual([]);
    expect(commitSubjects(journal)).toEqual(head);
    expect(fs.existsSync(noteFile(journal, "s1", "t1"))).toBe(false);
  });

  it("judges two parallel calls of one session each by its own verdict, on its own heuristics", async () => {
    const journal = await journalWithHeuristics();
    const success = postPayload("success-explicit", { sessionId: "s1", toolUseId: "t1", cwd: journal });
    const failure = postPayload("failure-error", { sessionId: "s1", toolUseId: "t2", cwd: journal });
    await Promise.all([briefed(journal, success), briefed(journal, failure)]);
    const [succeeded, failed] = await Promise.all([
      hook("post-tool-use", journal, JSON.stringify(success)),
      hook("post-tool-use", journal, JSON.stringify(failure)),
    ]);
    expect(systemMessage(succeeded)).toContain("validated 2 heuristics");
    expect(systemMessage(failed)).toContain("violated 1 heuristic");
    const after = standings(journal);
    for (const rule of CHECKOUT_RULES) expect(after.get(rule)).toMatchObject({ times_validated: 1, times_violated: 0 });
    expect(after.get(DATABASE_RULES[0])).toMatchObject({ times_validated: 0, times_violated: 1 });
    expect(after.get(UNRELATED_RULE)).toMatchObject({ times_validated: 0, times_violated: 0 });
    expect(fs.existsSync(path.join(journal, "memory", ".lore", "claude", "s1"))).toBe(false);
  });

  it("runs golden --auto: a heuristic one validation short of qualifying becomes golden", async () => {
    const journal = await createJournal();
    ok(await recordHeuristic(journal, { domain: "checkout", rule: "Wait on the event", confidence: "0.9" }));
    runSql(journal, "UPDATE heuristics SET times_validated = 9");
    ok(await runLore(["sync", "--fix"], { cwd: journal }));
    const post = postPayload("success-explicit", { sessionId: "s2", toolUseId: "t1", cwd: journal });
    await briefed(journal, post);
    expect(systemMessage(await hook("post-tool-use", journal, JSON.stringify(post)))).toBe(
      "lore: task success (Tests passed): validated 1 heuristic; promoted 1 golden rule",
    );
    expect(standings(journal).get("Wait on the event")).toMatchObject({ times_validated: 10, is_golden: 1 });
    expect(commitSubjects(journal).slice(0, 2)).toEqual(["golden: Wait on the event", "validate: Wait on the event"]);
    expect(fs.readFileSync(path.join(journal, "memory", "golden-rules.md"), "utf8")).toContain("Wait on the event");
  });

  it("records a [LEARNED:domain] heuristic as record-heuristic does, once however often tasks teach it", async () => {
    const journal = await createJournal();
    const post = postPayload("success-explicit", { sessionId: "s3", toolUseId: "t1", cwd: journal });
    const response = post.tool_response as { content: Array<{ type: string; text: string }> };
    response.content.push({ type: "text", text: "[LEARNED:testing] Always pin the seed\n[LEARNED] Saw the cart" });
    const input = JSON.stringify(post);
    expect(systemMessage(await hook("post-tool-use", journal, input))).toBe(
      "lore: task success (Tests passed): recorded 1 learned heuristic; recorded 1 observation",
    );
    const file = fs.readFileSync(path.join(journal, "memory", "heuristics", "testing.md"), "utf8");
    expect(file).toMatch(
      /## H-1: Always pin the seed\n<!-- lore:id=[0-9a-f-]+ -->\n\n\*\*Confidence\*\*: 0\.5\n\*\*Source\*\*: auto\n\*\*Created\*\*: [0-9-]+\n\nAuto-extracted from task output\n/,
    );
    const db = openDb(journal);
    const rows = db.prepare("SELECT domain, rule, explanation, source_type, confidence FROM heuristics").all();
    db.close();
    expect(rows).toEqual([
      {
        domain: "testing",
        rule: "Always pin the seed",
        explanation: "Auto-extracted from task output",
        source_type: "auto",
        confidence: 0.5,
      },
    ]);
    expect(commitSubjects(journal).slice(0, 2)).toEqual([
      "observation: Saw the cart",
      "heuristic: Always pin the seed",
    ]);
    expect(systemMessage(await hook("post-tool-use", journal, input))).toBe(
      "lore: task success (Tests passed): 1 learned heuristic already known; 1 observation already known",
    );
    expect(fs.readFileSync(path.join(journal, "memory", "heuristics", "testing.md"), "utf8")).toBe(file);
    expect(commitSubjects(journal)[0]).toBe("observation: Saw the cart");
  });

  it("takes the domain of a lesson without a hint from the briefing, and records none after a failure", async () => {
    const journal = await journalWithHeuristics();
    const post = postPayload("success-explicit", { sessionId: "s4", toolUseId: "t1", cwd: journal });
    (post.tool_response as { content: Array<{ type: string; text: string }> }).content.push({
      type: "text",
      text: "[LEARNED] Never trust a fixed delay",
    });
    await briefed(journal, post);
    ok(await hook("post-tool-use", journal, JSON.stringify(post)));
    expect(standings(journal).has("Never trust a fixed delay")).toBe(true);
    expect(fs.readFileSync(path.join(journal, "memory", "heuristics", "checkout.md"), "utf8")).toContain(
      "Never trust a fixed delay",
    );
    const failure = postPayload("failure-error", { sessionId: "s4", toolUseId: "t2", cwd: journal });
    (failure.tool_response as { content: Array<{ type: string; text: string }> }).content.push({
      type: "text",
      text: "[LEARNED:database] Always back up first",
    });
    ok(await hook("post-tool-use", journal, JSON.stringify(failure)));
    expect(standings(journal).has("Always back up first")).toBe(false);
  });

  it("fails open without a journal: exit 1, one line on stderr, nothing written", async () => {
    const nowhere = tempDir("lore-nowhere-");
    const post = postPayload("success-explicit", { sessionId: "s1", toolUseId: "t1", cwd: nowhere });
    const result = await hook("post-tool-use", nowhere, JSON.stringify(post));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^lore claude hook post-tool-use: no lore journal found in [^\n]*\n$/);
    expect(fs.readdirSync(nowhere)).toEqual([]);
  });

  it("does nothing for stdin that is not JSON, or another tool: no output, exit 0", async () => {
    const journal = await journalWithHeuristics();
    const head = commitSubjects(journal);
    const bash = postPayload("success-explicit", { sessionId: "s1", toolUseId: "t1", cwd: journal });
    for (const input of ["not json", "", "[1]", JSON.stringify({ ...bash, tool_name: "Bash" })]) {
      expect(await hook("post-tool-use", journal, input)).toMatchObject({ code: 0, stdout: "", stderr: "" });
    }
    expect(commitSubjects(journal)).toEqual(head);
    expect(feedbackEvents(journal)).toEqual([]);
  });
});
