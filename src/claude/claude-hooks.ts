/**
 * What `lore claude hook <name>` does with one hook call of Claude Code:
 * stdin's JSON in, the output to print and the exit code out. It never blocks
 * the agent.
 *
 *   const outcome = await runClaudeHook("session-start", { stdin, base, env, cwd, home, sessionOptions });
 *   process.stdout.write(outcome.stdout); process.stderr.write(outcome.stderr);
 *   return outcome.exitCode;                    // 0, or 1: a non-blocking error
 *
 * session-start: the journal's briefing, as `lore context --max-tokens 2400`
 * prints it (read/context.ts, no colour, no task: a session has none yet),
 * returned as `additionalContext`. It also removes the task notes older than
 * a week, whose post-tool-use never came (task-notes.ts); one it cannot
 * remove is one line on stderr, and the briefing all the same, exit 0.
 *
 * pre-tool-use: for a call of the sub-agent tool (`Agent`, `Task` before
 * Claude Code 2.1.63) whose input has a string `prompt`, the briefing of
 * task-briefing.ts is appended to the prompt and returned as `updatedInput`,
 * every other field of the tool's input kept as it came. Any other tool, an
 * input without a prompt, or a briefing with nothing to say: no output, exit 0
 * (the tool runs as it would have). When the input has a `session_id` and a
 * `tool_use_id`, it also notes, for that call alone, the heuristics it showed
 * and the domains it found (task-notes.ts), for post-tool-use to judge; a
 * note it cannot write costs the verdict, not the briefing: one line on
 * stderr, and the briefing, exit 0.
 *
 * post-tool-use: for a call of the sub-agent tool, takes the call's note and,
 * in one journal session (txn/journal-session.ts: the lock, waited for at
 * most POST_TOOL_LOCK_WAIT_MS, or less when LORE_LOCK_TIMEOUT says so),
 * records what the task's end teaches (task-feedback.ts: the verdict on the
 * noted heuristics, golden rules, `[LEARNED]` lessons, each a heuristic or an
 * observation record). A lesson whose commit was handed off to a writer
 * queued behind is awaited, as `lore record-heuristic` awaits it. Output: one `systemMessage` line for the user
 * saying what was written, or none when nothing was. A git commit that
 * failed is a non-blocking error (the records stand; the next lore command
 * commits them).
 *
 * The journal: `--base` when the hook was installed with one, else lore's
 * usual lookup (journal/layout.ts locateJournal: LORE_BASE, the nearest
 * journal above the session's directory, ELF's install root) from the
 * input's `cwd`, else from the hook's own working directory, which Claude
 * Code sets to the session's. The readers read it through
 * read/read-journal.ts: no lock, nothing written in the journal (a note is
 * lore's runtime state, not the journal's).
 *
 * Failing open: whatever goes wrong (no journal found, a database that cannot
 * be read, any error), the outcome is no stdout, one line on stderr
 * (`lore claude hook <name>: <why>`) and exit 1, which Claude Code treats as
 * a non-blocking error: it shows the line and the agent goes on. Never exit 2,
 * which would block the tool call. Stdin that is not JSON is read as `{}`
 * (hook-protocol.ts): pre-tool-use and post-tool-use then have no call to
 * act on (no output, exit 0), and session-start finds the journal from its
 * own directory.
 */
import { ExitCode, messageFor } from "../base/errors.js";
import { type JournalLayout, locateJournal } from "../journal/layout.js";
import { buildContext } from "../read/context.js";
import { openReadJournal, type ReadJournal } from "../read/read-journal.js";
import { awaitHandedOff } from "../txn/hand-off.js";
import { withJournalSession } from "../txn/journal-session.js";
import type { SessionOptions } from "../txn/session.js";
import {
  type HookInput,
  parseHookInput,
  postToolUseOutput,
  preToolUseOutput,
  sessionStartOutput,
} from "./hook-protocol.js";
import type { ClaudeHookName } from "./settings-hooks.js";
import { briefTask } from "./task-briefing.js";
import { recordTaskFeedback, type TaskFeedback } from "./task-feedback.js";
import { removeStaleTaskNotes, takeTaskNote, type ToolCall, writeTaskNote } from "./task-notes.js";

export const CLAUDE_HOOK_NAMES: readonly ClaudeHookName[] = ["session-start", "pre-tool-use", "post-tool-use"];

/** The names Claude Code has given its sub-agent tool. */
const SUB_AGENT_TOOLS = new Set(["Agent", "Task"]);

/**
 * How long post-tool-use waits for the journal lock: half its registered
 * timeout (settings-hooks.ts LORE_HOOKS), so that the writes, each a few
 * milliseconds and a git commit, fit in the other half.
 */
export const POST_TOOL_LOCK_WAIT_MS = 5_000;

export interface HookCall {
  stdin: string;
  base: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The hook process's working directory. */
  cwd: string;
  home: string;
  /** The writer's session options, as lore's commands read them from the environment (may throw). */
  sessionOptions: () => SessionOptions;
}

export interface HookOutcome {
  stdout: string;
  stderr: string;
  exitCode: typeof ExitCode.Ok | typeof ExitCode.Failed;
}

/** What a hook prints when it ends normally. */
interface HookResult {
  stdout: string;
  /** A line about something that went wrong without stopping the hook. */
  stderr?: string;
}

function journalOf(input: HookInput, call: HookCall): JournalLayout {
  return locateJournal({ base: call.base, env: call.env, cwd: input.cwd ?? call.cwd, home: call.home });
}

function readJournal<T>(layout: JournalLayout, read: (journal: ReadJournal) => T): T {
  const journal = openReadJournal(layout);
  try {
    return read(journal);
  } finally {
    journal.close();
  }
}

function toolCallOf(input: HookInput): ToolCall | undefined {
  return input.sessionId !== undefined && input.toolUseId !== undefined
    ? { sessionId: input.sessionId, toolUseId: input.toolUseId }
    : undefined;
}

function preToolUse(input: HookInput, call: HookCall): HookResult {
  const toolInput = input.toolInput;
  if (!SUB_AGENT_TOOLS.has(input.toolName ?? "") || typeof toolInput?.prompt !== "string") return { stdout: "" };
  const prompt = toolInput.prompt;
  const description = typeof toolInput.description === "string" ? toolInput.description : "";
  const layout = journalOf(input, call);
  const briefing = readJournal(layout, (journal) => briefTask(journal, { prompt, description }));
  const stdout =
    briefing.block === undefined ? "" : preToolUseOutput({ ...toolInput, prompt: `${prompt}${briefing.block}` });
  const toolCall = toolCallOf(input);
  if (toolCall === undefined || (briefing.heuristics.length === 0 && briefing.domains.length === 0)) {
    return { stdout };
  }
  try {
    writeTaskNote(layout, toolCall, { heuristics: briefing.heuristics, domains: briefing.domains });
    return { stdout };
  } catch (error) {
    return {
      stdout,
      stderr:
        `lore claude hook pre-tool-use: briefed, but could not note the heuristics for the verdict: ` +
        `${messageFor(error)}\n`,
    };
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** What was written, in one line; undefined when nothing was. */
function feedbackSummary(feedback: TaskFeedback): string | undefined {
  const { verdict, judged, promoted, recorded, observed, known, knownObservations, rejected } = feedback;
  const parts = [
    ...(judged.length > 0
      ? [`${verdict.outcome === "success" ? "validated" : "violated"} ${plural(judged.length, "heuristic")}`]
      : []),
    ...(promoted.length > 0 ? [`promoted ${plural(promoted.length, "golden rule")}`] : []),
    ...(recorded.length > 0 ? [`recorded ${plural(recorded.length, "learned heuristic")}`] : []),
    ...(observed.length > 0 ? [`recorded ${plural(observed.length, "observation")}`] : []),
    ...(known.length > 0 ? [`${plural(known.length, "learned heuristic")} already known`] : []),
    ...(knownObservations.length > 0 ? [`${plural(knownObservations.length, "observation")} already known`] : []),
    ...(rejected.length > 0 ? [`${plural(rejected.length, "learned lesson")} refused (${rejected[0]})`] : []),
  ];
  return parts.length === 0 ? undefined : `lore: task ${verdict.outcome} (${verdict.reason}): ${parts.join("; ")}`;
}

async function postToolUse(input: HookInput, call: HookCall): Promise<HookResult> {
  if (!SUB_AGENT_TOOLS.has(input.toolName ?? "")) return { stdout: "" };
  const layout = journalOf(input, call);
  const toolCall = toolCallOf(input);
  const note = toolCall === undefined ? undefined : takeTaskNote(layout, toolCall);
  const options = call.sessionOptions();
  const sessionOptions = { ...options, timeoutMs: Math.min(options.timeoutMs, POST_TOOL_LOCK_WAIT_MS) };
  const now = new Date();
  const feedback = await withJournalSession(layout, sessionOptions, (session) =>
    recordTaskFeedback(session, { payload: input.payload, note }, now),
  );
  const handedOff = [...feedback.recorded, ...feedback.observed].filter((record) => record.handedOff !== undefined);
  await awaitHandedOff(layout, sessionOptions, handedOff);
  for (const record of handedOff) if (record.commitError) feedback.commitErrors.push(record.commitError);
  const summary = feedbackSummary(feedback);
  if (feedback.commitErrors.length > 0) {
    throw new Error(
      `${summary ?? "lore: recorded"}, but a git commit failed: ${messageFor(feedback.commitErrors[0])}; ` +
        "the next lore command commits it",
    );
  }
  return { stdout: summary === undefined ? "" : postToolUseOutput(summary) };
}

/**
 * The session briefing's budget, in `lore context`'s tokens of 4 characters:
 * at most 9,600 characters, under the 10,000 of `additionalContext` that
 * Claude Code passes on whole (a longer one goes to a file, and Claude gets a
 * preview and the path).
 */
export const SESSION_CONTEXT_TOKENS = 2_400;

function sessionStart(input: HookInput, call: HookCall): HookResult {
  const layout = journalOf(input, call);
  const briefing = readJournal(layout, (journal) =>
    buildContext(journal, { maxTokens: SESSION_CONTEXT_TOKENS, color: false }),
  );
  const result: HookResult = { stdout: sessionStartOutput(briefing.text) };
  try {
    removeStaleTaskNotes(layout, Date.now());
  } catch (error) {
    result.stderr = `lore claude hook session-start: old task notes not removed: ${messageFor(error)}\n`;
  }
  return result;
}

const HOOKS: Record<ClaudeHookName, (input: HookInput, call: HookCall) => HookResult | Promise<HookResult>> = {
  "session-start": sessionStart,
  "pre-tool-use": preToolUse,
  "post-tool-use": postToolUse,
};

export async function runClaudeHook(name: string, call: HookCall): Promise<HookOutcome> {
  try {
    const hook = HOOKS[name as ClaudeHookName];
    if (hook === undefined) {
      throw new Error(`unknown hook ${JSON.stringify(name)} (known: ${CLAUDE_HOOK_NAMES.join(", ")})`);
    }
    const result = await hook(parseHookInput(call.stdin), call);
    return { stdout: result.stdout, stderr: result.stderr ?? "", exitCode: ExitCode.Ok };
  } catch (error) {
    return { stdout: "", stderr: `lore claude hook ${name}: ${messageFor(error)}\n`, exitCode: ExitCode.Failed };
  }
}
