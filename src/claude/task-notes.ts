/**
 * The note the PreToolUse hook leaves for the PostToolUse hook of the same
 * sub-agent call: which heuristics it put into the sub-agent's prompt, and
 * which domains it found in the task.
 *
 *   writeTaskNote(layout, { sessionId, toolUseId }, { heuristics: ["<lore id>", "12"], domains: ["sqlite"] });
 *   const note = takeTaskNote(layout, { sessionId, toolUseId });   // undefined: none; the file is gone
 *
 * One file per tool call, `memory/.lore/claude/<session_id>/<tool_use_id>.json`
 * (memory/.lore is lore's runtime directory, never committed). Per call, not
 * one file for all as ELF kept it (`session-state.json`, elf-loop §4.2, §6):
 * Claude Code runs sub-agents in parallel, and ELF's single list let one
 * task's verdict judge the heuristics another task was shown, then emptied
 * the list for both. The ids Claude Code gives (a session's UUID, a call's
 * `toolu_...`) are used as file names when they are 1 to 100 of
 * `[A-Za-z0-9_-]`; any other id is replaced by `~` and a hash of it, so no id
 * can name a path outside its directory.
 *
 * A heuristic is named by its lore id, or its row id where it has none (one
 * ELF wrote): what feedback/record-feedback.ts resolves.
 *
 * A note is a hint, not a record: it is written atomically (a temp file
 * beside it, then a rename) but not fsynced, and without the journal lock.
 * writeTaskNote throws what the file system throws (the hook reports it and
 * goes on). takeTaskNote reads and removes the note, then the session's
 * directory when that left it empty; a missing note, or one that is not a
 * note (cut short, edited), is undefined, and is removed all the same.
 *
 * A note whose PostToolUse hook never came (the session was interrupted, the
 * call never finished) would stay for ever: `removeStaleTaskNotes`, which the
 * SessionStart hook runs, removes the notes older than STALE_NOTE_MS and the
 * session directories that leaves empty. It throws what the file system
 * throws, but for a note or directory another hook removed meanwhile.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "../base/random.js";
import { makeDirectory, removeDirectory, removeFile, removeTree, renamePath, writeFile } from "../io/file-system.js";
import type { JournalLayout } from "../journal/layout.js";
import { hexHash } from "../journal/record-fingerprint.js";
import { isJsonObject } from "./settings-file.js";

export interface TaskNote {
  /** The heuristics injected: lore ids, or row ids for those without one. */
  heuristics: string[];
  /** The domains detected in the task, in the briefing's order. */
  domains: string[];
}

export interface ToolCall {
  sessionId: string;
  toolUseId: string;
}

const SAFE_NAME = /^[A-Za-z0-9_-]{1,100}$/;

function fileNameOf(id: string): string {
  return SAFE_NAME.test(id) ? id : `~${hexHash(id)}`;
}

function sessionDirectory(layout: JournalLayout, sessionId: string): string {
  return path.join(layout.loreDir, "claude", fileNameOf(sessionId));
}

export function taskNoteFile(layout: JournalLayout, call: ToolCall): string {
  return path.join(sessionDirectory(layout, call.sessionId), `${fileNameOf(call.toolUseId)}.json`);
}

function writeNew(file: string, text: string): void {
  makeDirectory(path.dirname(file), { recursive: true });
  writeFile(file, text, { flag: "wx" });
}

export function writeTaskNote(layout: JournalLayout, call: ToolCall, note: TaskNote): void {
  const file = taskNoteFile(layout, call);
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const text = `${JSON.stringify(note)}\n`;
  try {
    writeNew(temp, text);
  } catch (error) {
    // The last call of the session to end removed the directory just after it was made: make it again, once.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    writeNew(temp, text);
  }
  try {
    renamePath(temp, file);
  } catch (error) {
    removeTree(temp);
    throw error;
  }
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined;
}

function parsedNote(text: string): TaskNote | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const heuristics = stringList(value.heuristics);
  const domains = stringList(value.domains);
  return heuristics && domains ? { heuristics, domains } : undefined;
}

export function takeTaskNote(layout: JournalLayout, call: ToolCall): TaskNote | undefined {
  const file = taskNoteFile(layout, call);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  removeFile(file);
  try {
    removeDirectory(path.dirname(file));
  } catch {
    // Another call of the session still has its note there.
  }
  return parsedNote(text);
}

/** A note older than this has outlived its call: no sub-agent's task runs for a week. */
export const STALE_NOTE_MS = 7 * 86_400_000;

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTEMPTY";
}

/** Removes the notes last written before `nowMs - STALE_NOTE_MS`, then the session directories left empty; returns how many notes went. */
export function removeStaleTaskNotes(layout: JournalLayout, nowMs: number): number {
  const notesDirectory = path.join(layout.loreDir, "claude");
  let sessions: string[];
  try {
    sessions = fs.readdirSync(notesDirectory);
  } catch (error) {
    if (isGone(error)) return 0;
    throw error;
  }
  let removed = 0;
  for (const session of sessions) {
    const directory = path.join(notesDirectory, session);
    try {
      for (const name of fs.readdirSync(directory)) {
        const file = path.join(directory, name);
        if (fs.statSync(file).mtimeMs >= nowMs - STALE_NOTE_MS) continue;
        removeFile(file);
        removed++;
      }
      removeDirectory(directory);
    } catch (error) {
      // A hook of that session wrote or took a note meanwhile, or the directory still holds live notes.
      if (!isGone(error)) throw error;
    }
  }
  return removed;
}
