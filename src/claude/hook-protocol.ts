/**
 * Claude Code's command-hook protocol, as lore's hooks speak it: one JSON
 * object on stdin in, one JSON object on stdout out
 * (docs/DESIGN.md#claude-code-hooks has the sources).
 *
 *   const input = parseHookInput(stdinText);     // never throws
 *   process.stdout.write(preToolUseOutput(updatedInput));
 *   process.stdout.write(sessionStartOutput(context));
 *   process.stdout.write(postToolUseOutput(summary));
 *
 * Input: the current field names, and ELF's older ones where they differ:
 * `tool_name` (else `tool`), `tool_input` (else `input`), and `cwd`, the
 * session's working directory (absolute; a relative or missing one is left
 * out); `session_id` and `tool_use_id`, which ELF never read (a non-empty
 * string, else undefined); and the whole object as `payload`, where
 * task-outcome.ts finds the tool's result (`tool_response`, else ELF's
 * `tool_output` or `output`). Text that is not a JSON object is read as
 * `{}`, as ELF's hooks read it: the hook then has nothing to act on, and the
 * agent goes on.
 *
 * Output: `hookSpecificOutput` with its `hookEventName`. PreToolUse gives
 * `updatedInput`, which replaces the tool's whole input (the caller keeps
 * every field it does not change), and no `permissionDecision`: without one,
 * the changed input goes through Claude Code's normal permission evaluation,
 * so lore never approves a tool call the user would have been asked about.
 * SessionStart gives `additionalContext`, which Claude Code puts in the
 * session's context before the first prompt. PostToolUse gives only the
 * common field `systemMessage`, a line shown to the user and not to the
 * model (no `decision`, which would put a reason before Claude, and no
 * `additionalContext`, which would spend the agent's context on lore's
 * bookkeeping). Each output is one line ending
 * in a newline. Claude Code reads stdout as JSON only when it starts with `{`, so
 * nothing else may be written there.
 */
import path from "node:path";
import { isJsonObject, type JsonObject } from "./settings-file.js";

export interface HookInput {
  toolName: string | undefined;
  toolInput: JsonObject | undefined;
  /** The session's working directory, when the input names an absolute one. */
  cwd: string | undefined;
  sessionId: string | undefined;
  /** The tool call's id, the same in its PreToolUse and its PostToolUse input. */
  toolUseId: string | undefined;
  /** The input object as it came. */
  payload: JsonObject;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function parsedObject(text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : {};
  } catch {
    return {};
  }
}

export function parseHookInput(text: string): HookInput {
  const raw = parsedObject(text);
  const toolName = raw.tool_name ?? raw.tool;
  const toolInput = raw.tool_input ?? raw.input;
  return {
    toolName: typeof toolName === "string" ? toolName : undefined,
    toolInput: isJsonObject(toolInput) ? toolInput : undefined,
    cwd: typeof raw.cwd === "string" && path.isAbsolute(raw.cwd) ? raw.cwd : undefined,
    sessionId: nonEmptyString(raw.session_id),
    toolUseId: nonEmptyString(raw.tool_use_id),
    payload: raw,
  };
}

export function preToolUseOutput(updatedInput: JsonObject): string {
  return `${JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", updatedInput } })}\n`;
}

export function sessionStartOutput(additionalContext: string): string {
  return `${JSON.stringify({ hookSpecificOutput: { hookEventName: "SessionStart", additionalContext } })}\n`;
}

export function postToolUseOutput(systemMessage: string): string {
  return `${JSON.stringify({ systemMessage })}\n`;
}
