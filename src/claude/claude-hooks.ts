/**
 * What `lore claude hook <name>` does with one hook call of Claude Code:
 * stdin's JSON in, the output to print and the exit code out. It never blocks
 * the agent.
 *
 *   const outcome = runClaudeHook("session-start", { stdin, base, env, cwd, home });
 *   process.stdout.write(outcome.stdout); process.stderr.write(outcome.stderr);
 *   return outcome.exitCode;                    // 0, or 1: a non-blocking error
 *
 * session-start: the journal's briefing, as `lore context --max-tokens 2400`
 * prints it (read/context.ts, no colour, no task: a session has none yet),
 * returned as `additionalContext`.
 *
 * pre-tool-use: for a call of the sub-agent tool (`Agent`, `Task` before
 * Claude Code 2.1.63) whose input has a string `prompt`, the briefing of
 * task-briefing.ts is appended to the prompt and returned as `updatedInput`,
 * every other field of the tool's input kept as it came. Any other tool, an
 * input without a prompt, or a briefing with nothing to say: no output, exit 0
 * (the tool runs as it would have).
 *
 * The journal: `--base` when the hook was installed with one, else lore's
 * usual lookup (journal/layout.ts locateJournal: LORE_BASE, the nearest
 * journal above the session's directory, ELF's install root) from the
 * input's `cwd`, else from the hook's own working directory, which Claude
 * Code sets to the session's. It is read through read/read-journal.ts: no
 * lock, nothing written.
 *
 * Failing open: whatever goes wrong (no journal found, a database that cannot
 * be read, any error), the outcome is no stdout, one line on stderr
 * (`lore claude hook <name>: <why>`) and exit 1, which Claude Code treats as
 * a non-blocking error: it shows the line and the agent goes on. Never exit 2,
 * which would block the tool call. Stdin that is not JSON is read as `{}`
 * (hook-protocol.ts): pre-tool-use then has no call to brief (no output,
 * exit 0), and session-start finds the journal from its own directory.
 */
import { ExitCode, messageFor } from "../base/errors.js";
import { locateJournal } from "../journal/layout.js";
import { openReadJournal, type ReadJournal } from "../read/read-journal.js";
import { buildContext } from "../read/context.js";
import { parseHookInput, preToolUseOutput, sessionStartOutput, type HookInput } from "./hook-protocol.js";
import type { ClaudeHookName } from "./settings-hooks.js";
import { briefTask } from "./task-briefing.js";

export const CLAUDE_HOOK_NAMES: readonly ClaudeHookName[] = ["session-start", "pre-tool-use"];

/** The names Claude Code has given its sub-agent tool. */
const SUB_AGENT_TOOLS = new Set(["Agent", "Task"]);

export interface HookCall {
  stdin: string;
  base: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The hook process's working directory. */
  cwd: string;
  home: string;
}

export interface HookOutcome {
  stdout: string;
  stderr: string;
  exitCode: typeof ExitCode.Ok | typeof ExitCode.Failed;
}

function withJournal<T>(input: HookInput, call: HookCall, read: (journal: ReadJournal) => T): T {
  const layout = locateJournal({ base: call.base, env: call.env, cwd: input.cwd ?? call.cwd, home: call.home });
  const journal = openReadJournal(layout);
  try {
    return read(journal);
  } finally {
    journal.close();
  }
}

function preToolUse(input: HookInput, call: HookCall): string {
  const toolInput = input.toolInput;
  if (!SUB_AGENT_TOOLS.has(input.toolName ?? "") || typeof toolInput?.prompt !== "string") return "";
  const prompt = toolInput.prompt;
  const description = typeof toolInput.description === "string" ? toolInput.description : "";
  const block = withJournal(input, call, (journal) => briefTask(journal, { prompt, description }));
  return block === undefined ? "" : preToolUseOutput({ ...toolInput, prompt: `${prompt}${block}` });
}

/**
 * The session briefing's budget, in `lore context`'s tokens of 4 characters:
 * at most 9,600 characters, under the 10,000 of `additionalContext` that
 * Claude Code passes on whole (a longer one goes to a file, and Claude gets a
 * preview and the path).
 */
export const SESSION_CONTEXT_TOKENS = 2_400;

function sessionStart(input: HookInput, call: HookCall): string {
  const briefing = withJournal(input, call, (journal) =>
    buildContext(journal, { maxTokens: SESSION_CONTEXT_TOKENS, color: false }),
  );
  return sessionStartOutput(briefing.text);
}

const HOOKS: Record<ClaudeHookName, (input: HookInput, call: HookCall) => string> = {
  "session-start": sessionStart,
  "pre-tool-use": preToolUse,
};

export function runClaudeHook(name: string, call: HookCall): HookOutcome {
  try {
    const hook = HOOKS[name as ClaudeHookName];
    if (hook === undefined) {
      throw new Error(`unknown hook ${JSON.stringify(name)} (known: ${CLAUDE_HOOK_NAMES.join(", ")})`);
    }
    return { stdout: hook(parseHookInput(call.stdin), call), stderr: "", exitCode: ExitCode.Ok };
  } catch (error) {
    return { stdout: "", stderr: `lore claude hook ${name}: ${messageFor(error)}\n`, exitCode: ExitCode.Failed };
  }
}
