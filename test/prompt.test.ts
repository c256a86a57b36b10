// Prompts on a terminal: with stdin a TTY (a real pseudo-terminal, made by
// util-linux's `script`), a missing required field is asked for, and answers
// pasted ahead of their prompt are kept; when stdin ends first, the missing
// field is a usage error (exit 2), as it is without a terminal.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, readRows } from "./support/journal.js";
import { cleanEnv, hasScript, REPO_ROOT } from "./support/lore.js";

function onTerminal(dir: string, args: string[], input: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, path.join(REPO_ROOT, "bin", "lore.js"), ...args]
    .map((arg) => `'${arg}'`)
    .join(" ");
  return new Promise((resolve) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: dir, env: cleanEnv() });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stdin.end(input);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe.runIf(hasScript())("prompts on a terminal", () => {
  it("asks for the missing title and domain and records them", async () => {
    const dir = await createJournal({ git: true });
    const result = await onTerminal(dir, ["record-failure", "--severity", "high"], "Typed title\nTypedDomain\n");
    expect(result.output).toContain("Title: ");
    expect(result.output).toContain("Domain: ");
    expect(result.code).toBe(0);
    const [row] = readRows(dir).learnings;
    expect(row).toMatchObject({ title: "Typed title", domain: "TypedDomain", severity: 4 });
  });

  it("exits 2 when stdin ends before every field was given", async () => {
    const dir = await createJournal({ git: true });
    const result = await onTerminal(dir, ["record-heuristic"], "only-a-domain\n");
    expect(result.code).toBe(2);
    expect(result.output).toContain("missing required --rule");
    expect(readRows(dir).heuristics).toHaveLength(0);
  });
});
