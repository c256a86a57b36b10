// How a sub-agent's task ended, and the lessons it wrote
// (src/claude/task-outcome.ts): whole PostToolUse payloads for the Agent
// tool, shaped as Claude Code's hooks reference shows them (and one in ELF's
// older shape), from fixtures; then ELF's rules (elf-loop §4.4, §4.5 step 6)
// pattern group by pattern group, the false-positive windows to the
// character, and the two ELF bugs lore fixes.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyTaskOutcome, learnedLines, taskOutputText } from "../src/claude/task-outcome.js";

const FIXTURES = path.resolve(import.meta.dirname, "fixtures/claude/post-tool-use");

function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
}

function outcomeOf(text: string) {
  return classifyTaskOutcome(text);
}

describe("recorded PostToolUse payloads", () => {
  const cases: Array<[name: string, outcome: string, reason: string]> = [
    ["success-explicit", "success", "Tests passed"],
    ["success-action-verb", "success", "Created something"],
    ["success-length", "success", "Substantial output without errors"],
    ["failure-error", "failure", "Error detected"],
    ["failure-traceback", "failure", "Exception traceback"],
    ["false-positive", "success", "Implemented something"],
    ["unknown-vague", "unknown", "Could not determine outcome"],
    ["unknown-empty", "unknown", "Empty output"],
    ["unknown-background", "unknown", "Empty output"],
    ["unknown-no-response", "unknown", "No output to analyze"],
    ["elf-older-shape", "success", "Task completed"],
    ["learned-lines", "success", "Created something"],
  ];

  it("every fixture has its case", () => {
    const names = fs.readdirSync(FIXTURES).map((file) => path.basename(file, ".json"));
    expect(names.sort()).toEqual(cases.map(([name]) => name).sort());
  });

  it.each(cases)("%s: %s (%s)", (name, outcome, reason) => {
    expect(classifyTaskOutcome(taskOutputText(fixture(name)))).toEqual({ outcome, reason });
  });

  it("reads the sub-agent's text blocks, joined by a newline, and not its prompt", () => {
    expect(taskOutputText(fixture("learned-lines"))).toMatch(
      /^Fixed the flaky lock test: .* exit\.\n\[LEARNED:testing\] Never sleep/,
    );
    // The background launch's prompt says "Error: lock timeout"; it is not output.
    expect(taskOutputText(fixture("unknown-background"))).toBe("");
  });

  it("finds the lessons of the recorded output: once each, on their own line, as words", () => {
    expect(learnedLines(taskOutputText(fixture("learned-lines")) ?? "")).toEqual([
      { domain: "testing", text: "Never sleep in a test; wait on the event instead", kind: "heuristic" },
      { domain: undefined, text: "The lock queue wakes waiters in the order they came", kind: "observation" },
      { domain: "concurrency", text: "Prefer one writer per journal", kind: "heuristic" },
      { domain: "git", text: "Commits made from the hallways of CI still run the hooks", kind: "observation" },
      { domain: "ci", text: "Don’t cache node_modules across lockfile changes", kind: "heuristic" },
    ]);
  });
});

describe("taskOutputText", () => {
  const agent = (toolResponse: unknown) => ({ tool_name: "Agent", tool_response: toolResponse });

  it("reads a string, a content string, content blocks and an older Task result", () => {
    expect(taskOutputText(agent("plain text"))).toBe("plain text");
    expect(taskOutputText(agent({ content: "content text" }))).toBe("content text");
    expect(taskOutputText(agent({ status: "completed", content: [{ type: "text", text: "one" }] }))).toBe("one");
    expect(taskOutputText(agent({ result: "final result", usage: { input_tokens: 1 } }))).toBe("final result");
  });

  it("joins blocks as ELF did: a block without text is an empty line, an item that is no object is left out", () => {
    const content = [{ type: "text", text: "a" }, { type: "image" }, "loose", null, { type: "text", text: "b" }];
    expect(taskOutputText(agent({ content }))).toBe("a\n\nb");
  });

  it("prefers content to result", () => {
    expect(taskOutputText(agent({ content: "from content", result: "from result" }))).toBe("from content");
  });

  it("has no output for a missing, null, empty or unknown value, and an empty text for an object without text", () => {
    expect(taskOutputText({ tool_name: "Agent" })).toBeUndefined();
    expect(taskOutputText(agent(null))).toBeUndefined();
    expect(taskOutputText(agent(""))).toBeUndefined();
    expect(taskOutputText(agent({}))).toBeUndefined();
    expect(taskOutputText(agent([{ type: "text", text: "a bare list" }]))).toBeUndefined();
    expect(taskOutputText(agent(42))).toBeUndefined();
    expect(taskOutputText(agent({ status: "async_launched", agentId: "x", prompt: "Error: no" }))).toBe("");
    expect(taskOutputText(agent({ content: [] }))).toBe("");
    expect(taskOutputText(agent({ content: 7, result: 8 }))).toBe("");
  });

  it("takes the first of tool_response, tool_output and output that is there", () => {
    expect(taskOutputText({ tool_response: "new", tool_output: "old", output: "oldest" })).toBe("new");
    expect(taskOutputText({ tool_response: null, tool_output: "old", output: "oldest" })).toBe("old");
    expect(taskOutputText({ output: { content: "oldest" } })).toBe("oldest");
  });

  it("has no output for a payload that is no object", () => {
    expect(taskOutputText(undefined)).toBeUndefined();
    expect(taskOutputText("tool_response")).toBeUndefined();
    expect(taskOutputText([{ tool_response: "x" }])).toBeUndefined();
  });
});

describe("classifyTaskOutcome: failure patterns (§4.4 step 1)", () => {
  it.each([
    ["Error: disk full", "Error detected"],
    ["the sync stopped with an ERROR\nat line 3", "Error detected"],
    ["The parser threw an exception: bad token", "Exception raised"],
    ["Migration failed: column exists", "Operation failed"],
    ["I could not find the config file anywhere", "Could not complete"],
    ["Unable to open the database", "Unable to complete"],
    ["[BLOCKER] waiting on credentials", "Blocker encountered"],
    ["Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'x'", "Exception traceback"],
    ["Permission denied while writing memory/index.db", "Permission denied"],
    ["The request timed out after 30 s", "Timeout occurred"],
    ["Calls time out under load", "Timeout occurred"],
    ["Timeout after 30 s", "Timeout occurred"],
    ["config.yaml not found", "Resource not found"],
    ["Looked for the key.\nconfig.yaml Not Found  \nSo I stopped.", "Resource not found"],
  ])("%j: %s", (text, reason) => {
    expect(outcomeOf(text)).toEqual({ outcome: "failure", reason });
  });

  it.each([
    ["KeyError: was expected here", "a word that only ends in error"],
    ["Errors everywhere", "error not followed by a colon or a space"],
    ["[blocker] waiting on credentials", "[BLOCKER] in lower case"],
    ["timeouts", "a plural of timeout"],
    ["not found in the cache", "not found before the end of its line"],
  ])("%j is no failure: %s", (text) => {
    expect(outcomeOf(text).outcome).not.toBe("failure");
  });

  it("tests the patterns in ELF's order: the first that survives names the reason", () => {
    expect(outcomeOf("Unable to connect: Error: refused").reason).toBe("Error detected");
    expect(outcomeOf("Traceback follows; permission denied").reason).toBe("Exception traceback");
  });

  it("comes before every success pattern", () => {
    expect(outcomeOf("Successfully wrote the file, then Error: fsync")).toEqual({
      outcome: "failure",
      reason: "Error detected",
    });
  });
});

describe("classifyTaskOutcome: false positives (§4.4 step 1)", () => {
  it.each([
    ["It was not found to be so; could not reproduce"],
    ["Reviewed the error handling in sync.ts"],
    ["There was no error: 12 files checked"],
    ["Finished without error in 3 s"],
    ["The run was error free after the change"],
    ["Fixed the error in the retry loop"],
    ["Corrected an exception: it was thrown twice"],
    ["The error in the retry loop is fixed"],
    ["Investigated why the job failed: a stale lock"],
    ["Analyzed the error: a race between two writers"],
    ["The reader handles it without an exception: it returns"],
    ["Exception handling covers the reader"],
    ["Resolved the exception: the path was relative"],
    ["Fixed the timeout issue in the fetch retry"],
  ])("%j is no failure", (text) => {
    expect(outcomeOf(text).outcome).not.toBe("failure");
  });

  it("looks 30 characters before the match, and no further", () => {
    expect(outcomeOf(`fixed it${" ".repeat(22)}Error: disk full`).outcome).not.toBe("failure");
    expect(outcomeOf(`fixed it${" ".repeat(23)}Error: disk full`)).toEqual({
      outcome: "failure",
      reason: "Error detected",
    });
  });

  it("looks 30 characters after the match, and no further", () => {
    expect(outcomeOf(`Error:${" ".repeat(25)}fixed`).outcome).not.toBe("failure");
    expect(outcomeOf(`Error:${" ".repeat(26)}fixed`)).toEqual({ outcome: "failure", reason: "Error detected" });
  });

  it("tests only the first match of each pattern", () => {
    // The first "error" is a false positive; the second, a real one, is never looked at.
    expect(outcomeOf("Added error handling. Error: boom")).toEqual({
      outcome: "success",
      reason: "Implemented something",
    });
  });
});

describe("classifyTaskOutcome: success patterns (§4.4 steps 2-5)", () => {
  it.each([
    ["Successfully migrated the table", "Successfully completed action"],
    ["Task complete.", "Task completed"],
    ["The work is done.", "Work is done"],
    ["ALL TESTS PASS", "Tests passed"],
    ["[Success] it runs", "Success marker found"],
    ["## FINDINGS\nTwo writers race on the lock", "Findings reported"],
    ["The migration completed successfully.", "Completed successfully"],
  ])("explicit: %j: %s", (text, reason) => {
    expect(outcomeOf(text)).toEqual({ outcome: "success", reason });
  });

  it.each([
    ["Made a plan", "Created something"],
    ["We fixed it", "Fixed something"],
    ["Modified the parser", "Updated something"],
    ["Introduced a cache", "Implemented something"],
    ["Reviewed the diff", "Analyzed something"],
    ["Located the stale lock", "Identified something"],
    ["Deleted stale locks", "Removed something"],
    ["Restructured the module", "Refactored something"],
    ["Verified the backup", "Tested something"],
    ["Published version 2", "Deployed something"],
  ])("action verb: %j: %s", (text, reason) => {
    expect(outcomeOf(text)).toEqual({ outcome: "success", reason });
  });

  it.each([
    ["Here are the results", "Presented findings"],
    ["here is my short summary", "Presented findings"],
    ["I have finished the review", "Agent reported completion"],
    ["i finished it", "Agent reported completion"],
    ["The fix is done", "Work is complete"],
    ["  Done with the lookup", "Started with completion verb"],
    ["Summary: two races", "Provided summary"],
    ["Recommendations: one writer", "Provided recommendations"],
  ])("reporting: %j: %s", (text, reason) => {
    expect(outcomeOf(text)).toEqual({ outcome: "success", reason });
  });

  it("keeps ELF's reading of \"I've\": its pattern wants a space after the i", () => {
    expect(outcomeOf("I've finished the review")).toEqual({
      outcome: "unknown",
      reason: "Could not determine outcome",
    });
  });

  it("needs a word after the action verb", () => {
    expect(outcomeOf("Fixed.")).toEqual({ outcome: "unknown", reason: "Could not determine outcome" });
  });

  it("checks explicit success before action verbs, and action verbs before reporting", () => {
    expect(outcomeOf("Successfully created the index").reason).toBe("Successfully completed action");
    expect(outcomeOf("Summary: created the index").reason).toBe("Created something");
  });

  it("reads a completion verb as the first word only at the start of the whole text", () => {
    expect(outcomeOf("Notes\nDone with it").reason).toBe("Could not determine outcome");
  });

  it("counts more than 50 characters as a success, 50 as unknown", () => {
    expect(outcomeOf("x".repeat(50))).toEqual({ outcome: "unknown", reason: "Could not determine outcome" });
    expect(outcomeOf("x".repeat(51))).toEqual({ outcome: "success", reason: "Substantial output without errors" });
  });

  it("has no outcome for no output or an empty one", () => {
    expect(classifyTaskOutcome(undefined)).toEqual({ outcome: "unknown", reason: "No output to analyze" });
    expect(classifyTaskOutcome("")).toEqual({ outcome: "unknown", reason: "Empty output" });
  });

  it("reads word boundaries as Python does, by Unicode letters", () => {
    // JavaScript's ASCII \w would find no word after "successfully", and a boundary between "é" and "error".
    expect(outcomeOf("Successfully überprüft").reason).toBe("Successfully completed action");
    expect(outcomeOf("éerror: nothing").outcome).not.toBe("failure");
  });
});

describe("ELF's two classification bugs, fixed", () => {
  it("matches ## FINDINGS in the text as written (ELF lower-cased the text first, so it never matched)", () => {
    expect(outcomeOf("## FINDINGS\nTwo writers race")).toEqual({ outcome: "success", reason: "Findings reported" });
    expect(outcomeOf("## Findings\nTwo writers race")).toEqual({
      outcome: "unknown",
      reason: "Could not determine outcome",
    });
  });

  it("counts a bare timeout as a failure (ELF's pattern needed a space), in any case, false positives aside", () => {
    expect(outcomeOf("Timeout")).toEqual({ outcome: "failure", reason: "Timeout occurred" });
    expect(outcomeOf("the gateway answered with a TIMEOUT")).toEqual({
      outcome: "failure",
      reason: "Timeout occurred",
    });
    expect(outcomeOf("Resolved the timeout: the exception came from a stale socket")).toEqual({
      outcome: "success",
      reason: "Fixed something",
    });
  });
});

describe("learnedLines (§4.5 step 6)", () => {
  it("finds [LEARN], [LEARNED] and [LEARNING] in any case, with a domain after a colon or a space", () => {
    const text = [
      "[LEARN] one",
      "[learned:testing] two",
      "[Learning]three",
      "[LEARNED api] four",
      "[LEARNED: spaced ]  five  ",
      "[LEARNED:] six",
    ].join("\n");
    expect(learnedLines(text).map(({ domain, text }) => [domain, text])).toEqual([
      [undefined, "one"],
      ["testing", "two"],
      [undefined, "three"],
      ["api", "four"],
      ["spaced", "five"],
      [undefined, "six"],
    ]);
  });

  it("takes the rest of the marker's line only, and nothing from a marker that ends its line", () => {
    expect(learnedLines("[LEARNED:x]\nNever on the next line\n[LEARNED:y]   \r\n[LEARNED:z] here\r\n")).toEqual([
      { domain: "z", text: "here", kind: "observation" },
    ]);
  });

  it("finds markers anywhere in a line, and none in words that only start like them", () => {
    expect(learnedLines("Note [LEARNED:db] Avoid long transactions")).toEqual([
      { domain: "db", text: "Avoid long transactions", kind: "heuristic" },
    ]);
    expect(learnedLines("[LEARNINGS] a\n[LEARNT] b\n[LEARNED\nc]\n[LEARNER] d")).toEqual([]);
  });

  it.each([
    ["Always pin versions", "heuristic"],
    ["NEVER sleep in tests", "heuristic"],
    ["Tests should be fast", "heuristic"],
    ["You must lock first", "heuristic"],
    ["Don't retry forever", "heuristic"],
    ["Don’t retry forever", "heuristic"],
    ["Avoid globals", "heuristic"],
    ["Prefer small commits", "heuristic"],
    ["Locks shouldn't nest", "heuristic"],
    ["Locks mustn’t nest", "heuristic"],
    ["The hallways were empty", "observation"],
    ["The shoulder of the road", "observation"],
    ["Users preferred the old layout", "observation"],
    ["Mustard is yellow", "observation"],
    ["Nevertheless it worked", "observation"],
    ["Avoidance of locks is common", "observation"],
    ["Dont is no word here", "observation"],
  ])("%j: %s", (lesson, kind) => {
    expect(learnedLines(`[LEARNED] ${lesson}`)).toEqual([{ domain: undefined, text: lesson, kind }]);
  });

  it("returns each (domain, text) pair once, at its first place", () => {
    const text = "[LEARNED:a] x\n[LEARNED:b] x\n[LEARNED:a]   x\n[LEARNED] x\n[LEARNED:a] y\n[LEARNED:] x";
    expect(learnedLines(text).map(({ domain, text }) => [domain, text])).toEqual([
      ["a", "x"],
      ["b", "x"],
      [undefined, "x"],
      ["a", "y"],
    ]);
  });

  it("finds nothing in a text without markers", () => {
    expect(learnedLines("We learned a lot; see [NOTE] and [LEARNED-X] below")).toEqual([]);
  });
});
