/**
 * lore's hook entries in a Claude Code settings object (the parsed
 * `settings.json`), added, found and removed without touching any other
 * entry. Pure functions over JSON values: the files are claude-settings.ts's.
 *
 *   const groups = loreHookGroups(program, base);          // what install registers
 *   const next = withLoreHooks(value, groups, file);       // a new object; `value` is untouched
 *   const back = withoutLoreHooks(value);                  // a new object, lore's handlers gone
 *   const found = hookEntries(value, program);             // lore's and ELF's handlers, for status
 *   holdsLoreHooks(value); installedLoreGroups(value);     // for uninstall's check of what install wrote
 *
 * Claude Code's settings hold `hooks: { <Event>: [ <matcher group> ] }`, a
 * matcher group being `{ matcher?, hooks: [ <handler> ] }` and a command
 * handler `{ type: "command", command, timeout? }` (docs/DESIGN.md#claude-code-hooks).
 * lore registers one matcher group per event of LORE_HOOKS, each with one
 * handler running `<node> <lore> claude hook <name> [--base DIR]`, every path
 * single-quoted for the shell Claude Code runs it with, and the event's
 * timeout in seconds.
 *
 * A handler is lore's when its command runs lore's `claude hook <name>`
 * (isLoreHookCommand: by any path, or `lore` from PATH as the README's
 * snippet writes it), wherever it is; everything else is left as it is,
 * including ELF's learning-loop handlers (a command naming `learning-loop`,
 * which ELF's install.sh registers for `Task`), which hookEntries reports so
 * that status can say two injectors would run. `withLoreHooks` puts lore's
 * group for an event where lore's first group for that event was (a group
 * holding only lore's handlers), else at the end of the event's list; lore's
 * handlers anywhere else in the event's list are removed, so installing twice
 * gives the same object. `withoutLoreHooks` removes lore's handlers from every
 * event, then a matcher group, an event list or the `hooks` object that the
 * removal left empty (one that was empty before stays).
 *
 * Errors: SettingsFileError (exit 2) when `hooks` is not an object, or the
 * list of an event lore writes is not an array: lore will not guess what such
 * a file means.
 */
import { shellQuote, type LoreProgram } from "../setup/elf-shims.js";
import { describeJson, isJsonObject, type JsonObject, SettingsFileError } from "./settings-file.js";

export type ClaudeHookName = "session-start" | "pre-tool-use" | "post-tool-use";

export interface LoreHookSpec {
  /** Claude Code's hook event. */
  event: "SessionStart" | "PreToolUse" | "PostToolUse";
  /** The argument of `lore claude hook`. */
  hook: ClaudeHookName;
  /** The matcher group's `matcher`; none fires on every occurrence. */
  matcher?: string;
  /** The handler's `timeout`: the hook's published time limit (README), in seconds. */
  timeoutSeconds: number;
}

/**
 * What lore registers. SessionStart has no matcher: it fires on startup,
 * resume, /clear, compaction and a fork alike, each a context to brief again.
 * The sub-agent tool is `Agent` since Claude Code 2.1.63 and `Task` before; the
 * anchored regular expression matches exactly these two names in every
 * version (an unanchored `Agent|Task` would, where a matcher with `|` is read
 * as a regular expression, also fire for `TaskCreate`, `TaskList`, ...), for
 * the briefing before the call and the verdict after it.
 * PostToolUse gets 10 s: it writes (under the journal lock, which it waits
 * for at most half of that, claude-hooks.ts POST_TOOL_LOCK_WAIT_MS) and
 * makes a git commit per change, where the readers only read; it runs once a
 * sub-agent, not once a tool call, so a slow one costs little.
 */
export const LORE_HOOKS: readonly LoreHookSpec[] = [
  { event: "SessionStart", hook: "session-start", timeoutSeconds: 5 },
  { event: "PreToolUse", hook: "pre-tool-use", matcher: "^(Agent|Task)$", timeoutSeconds: 2 },
  { event: "PostToolUse", hook: "post-tool-use", matcher: "^(Agent|Task)$", timeoutSeconds: 10 },
];

const LORE_HOOK_COMMAND =
  /(?:^|[\s'"/\\])lore(?:\.js)?'?\s+claude\s+hook\s+(session-start|pre-tool-use|post-tool-use)(?:\s|$)/;
const BASE_ARGUMENT = / --base ('(?:[^']|'\\'')*')$/;

export function loreHookCommand(program: LoreProgram, hook: ClaudeHookName, base?: string): string {
  const command = `${shellQuote(program.node)} ${shellQuote(program.lore)} claude hook ${hook}`;
  return base === undefined ? command : `${command} --base ${shellQuote(base)}`;
}

export function isLoreHookCommand(command: string): boolean {
  return LORE_HOOK_COMMAND.test(command);
}

export function isElfLoopCommand(command: string): boolean {
  return command.includes("learning-loop");
}

function loreHookGroup(program: LoreProgram, spec: LoreHookSpec, base?: string): JsonObject {
  return {
    ...(spec.matcher === undefined ? {} : { matcher: spec.matcher }),
    hooks: [{ type: "command", command: loreHookCommand(program, spec.hook, base), timeout: spec.timeoutSeconds }],
  };
}

/** The matcher group lore registers for each event, keyed by event. */
export function loreHookGroups(program: LoreProgram, base?: string): Map<string, JsonObject> {
  return new Map(LORE_HOOKS.map((spec) => [spec.event, loreHookGroup(program, spec, base)]));
}

function commandOf(handler: unknown): string | undefined {
  return isJsonObject(handler) && typeof handler.command === "string" ? handler.command : undefined;
}

function isLoreHandler(handler: unknown): boolean {
  const command = commandOf(handler);
  return command !== undefined && isLoreHookCommand(command);
}

function handlersOf(group: unknown): unknown[] | undefined {
  return isJsonObject(group) && Array.isArray(group.hooks) ? group.hooks : undefined;
}

/** The group without lore's handlers, or undefined when it held some and none is left. */
function withoutLoreHandlers(group: unknown): unknown {
  const handlers = handlersOf(group);
  if (handlers === undefined || !handlers.some(isLoreHandler)) return group;
  const rest = handlers.filter((handler) => !isLoreHandler(handler));
  return rest.length === 0 ? undefined : { ...(group as JsonObject), hooks: rest };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function sameSettings(a: JsonObject, b: JsonObject): boolean {
  return sameJson(a, b);
}

/** `value.hooks`, which must be an object when present. */
function hooksObject(value: JsonObject, file: string): JsonObject | undefined {
  if (value.hooks === undefined) return undefined;
  if (!isJsonObject(value.hooks)) {
    throw new SettingsFileError(
      `${file}: "hooks" must be an object of hook events (it is ${describeJson(value.hooks)}); nothing was written`,
    );
  }
  return value.hooks;
}

export function withLoreHooks(value: JsonObject, groups: Map<string, JsonObject>, file: string): JsonObject {
  const hooks: JsonObject = { ...(hooksObject(value, file) ?? {}) };
  for (const [event, group] of groups) {
    const list = hooks[event] ?? [];
    if (!Array.isArray(list)) {
      throw new SettingsFileError(
        `${file}: "hooks.${event}" must be an array of matcher groups (it is ${describeJson(list)}); nothing was written`,
      );
    }
    const next: unknown[] = [];
    let placed = false;
    for (const entry of list) {
      const rest = withoutLoreHandlers(entry);
      if (rest !== undefined) next.push(rest);
      else if (!placed) {
        next.push(group);
        placed = true;
      }
    }
    if (!placed) next.push(group);
    hooks[event] = next;
  }
  return { ...value, hooks };
}

export function withoutLoreHooks(value: JsonObject): JsonObject {
  if (!isJsonObject(value.hooks)) return value;
  const hooks: JsonObject = {};
  let changed = false;
  for (const [event, list] of Object.entries(value.hooks)) {
    if (!Array.isArray(list)) {
      hooks[event] = list;
      continue;
    }
    const next = list.map(withoutLoreHandlers).filter((entry) => entry !== undefined);
    if (next.length === list.length && next.every((entry, index) => entry === list[index])) {
      hooks[event] = list;
      continue;
    }
    changed = true;
    if (next.length > 0) hooks[event] = next;
  }
  if (!changed) return value;
  if (Object.keys(hooks).length > 0) return { ...value, hooks };
  const rest = { ...value };
  delete rest.hooks;
  return rest;
}

/** Whether any handler in the settings is lore's. */
export function holdsLoreHooks(value: JsonObject | undefined): boolean {
  if (value === undefined || !isJsonObject(value.hooks)) return false;
  return Object.values(value.hooks).some(
    (list) => Array.isArray(list) && list.some((group) => handlersOf(group)?.some(isLoreHandler)),
  );
}

/** For each event of LORE_HOOKS, the first matcher group holding a handler of lore's, in LORE_HOOKS's order. */
export function installedLoreGroups(value: JsonObject): Map<string, JsonObject> {
  const groups = new Map<string, JsonObject>();
  const hooks = isJsonObject(value.hooks) ? value.hooks : {};
  for (const spec of LORE_HOOKS) {
    const list = hooks[spec.event];
    const group = Array.isArray(list) ? list.find((entry) => handlersOf(entry)?.some(isLoreHandler)) : undefined;
    if (group !== undefined) groups.set(spec.event, group as JsonObject);
  }
  return groups;
}

export interface HookEntry {
  event: string;
  matcher: string | undefined;
  command: string;
  timeout: unknown;
  owner: "lore" | "elf";
  /** For lore's: whether it is exactly what `lore claude install` (with its --base) would write now. */
  current: boolean;
  /** For lore's: the journal it names with --base, if any. */
  base: string | undefined;
}

function unquote(word: string): string {
  return word.slice(1, -1).replaceAll("'\\''", "'");
}

/** Every handler of lore's or ELF's learning loop, in the order of the file. */
export function hookEntries(value: JsonObject, program: LoreProgram): HookEntry[] {
  if (!isJsonObject(value.hooks)) return [];
  const entries: HookEntry[] = [];
  for (const [event, list] of Object.entries(value.hooks)) {
    if (!Array.isArray(list)) continue;
    for (const group of list) {
      for (const handler of handlersOf(group) ?? []) {
        const command = commandOf(handler);
        if (command === undefined) continue;
        const owner = isLoreHookCommand(command) ? "lore" : isElfLoopCommand(command) ? "elf" : undefined;
        if (owner === undefined) continue;
        const quotedBase = BASE_ARGUMENT.exec(command)?.[1];
        const base = owner === "lore" && quotedBase !== undefined ? unquote(quotedBase) : undefined;
        const spec = LORE_HOOKS.find((candidate) => candidate.event === event);
        const current =
          owner === "lore" &&
          spec !== undefined &&
          sameJson({ ...(group as JsonObject), hooks: [handler] }, loreHookGroup(program, spec, base));
        const matcher = (group as JsonObject).matcher;
        entries.push({
          event,
          matcher: typeof matcher === "string" ? matcher : undefined,
          command,
          timeout: (handler as JsonObject).timeout,
          owner,
          current,
          base,
        });
      }
    }
  }
  return entries;
}
