// Observation records, written by the PostToolUse hook from a task's
// `[LEARNED]` lines that are no rule: the real CLI, as Claude Code runs it,
// on real journals in git. Checked: the file (ELF's pattern format, lore's
// id), its row and its own commit; search and `query --recent` find it;
// `lore sync` finds nothing to do, and a rebuild from the files brings the
// row back; a lesson repeated is recorded once; a hook killed mid-record is
// repaired by the next command; ELF's own pattern files and rows in
// `memory/successes` are left alone by sync.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJournal, git, invariantViolations, openDb, readRows, runSql, tempDir } from "./support/journal.js";
import { type RunResult, runLore } from "./support/lore.js";

const FIXTURE = path.join(import.meta.dirname, "fixtures", "claude", "post-tool-use", "success-explicit.json");

/** What the task taught: no rule's words (always, never, should, ...), so an observation. */
const LESSON =
  "The cart total is computed twice per checkout, once by the page and once by the payment form, and the " +
  "two agree only when tax is zero";
const TITLE = LESSON.slice(0, 100);

/** The recorded PostToolUse payload of a task that succeeded, its output ending with `lines`. */
function postInput(journal: string, toolUseId: string, lines: string): string {
  const payload = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
  payload.tool_response.content.push({ type: "text", text: lines });
  return JSON.stringify({ ...payload, session_id: "s1", tool_use_id: toolUseId, cwd: journal });
}

function postToolUse(journal: string, input: string, env: Record<string, string> = {}): Promise<RunResult> {
  return runLore(["claude", "hook", "post-tool-use"], {
    cwd: journal,
    input,
    env: { HOME: tempDir("lore-home-"), ...env },
  });
}

function systemMessage(result: RunResult): string {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout).systemMessage;
}

function commitSubjects(journal: string): string[] {
  return git(journal, ["log", "--format=%s"]).trim().split("\n");
}

function observationRows(journal: string): Array<Record<string, unknown>> {
  const db = openDb(journal);
  try {
    return db
      .prepare(
        "SELECT id, type, filepath, title, summary, tags, domain, severity, lore_id FROM learnings WHERE type = 'observation' ORDER BY id",
      )
      .all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

async function syncJson(journal: string, ...args: string[]): Promise<{ code: number | null; findings: unknown[] }> {
  const result = await runLore(["sync", "--json", ...args], { cwd: journal });
  // With --json, stderr holds only progress events.
  for (const line of result.stderr.split("\n").filter(Boolean)) expect(JSON.parse(line).event).toBe("progress");
  return { code: result.code, findings: JSON.parse(result.stdout).findings };
}

/** A journal in git holding one observation the hook recorded from LESSON (domain `checkout`). */
async function journalWithObservation(): Promise<string> {
  const journal = await createJournal();
  expect(systemMessage(await postToolUse(journal, postInput(journal, "t1", `[LEARNED:Checkout] ${LESSON}`)))).toBe(
    "lore: task success (Tests passed): recorded 1 observation",
  );
  return journal;
}

describe("an observation the PostToolUse hook records", () => {
  it("is a file of its own in ELF's pattern format, its row and its own commit; search and query find it", async () => {
    const journal = await journalWithObservation();
    const [row] = observationRows(journal);
    const name = path.posix.basename(String(row.filepath));
    expect(name).toMatch(
      /^obs_\d{8}_the-cart-total-is-computed-twice-per-checkout-once-by-the-page-and-once-by-the-payment-form-and-th\.md$/,
    );
    expect(row).toEqual({
      id: row.id,
      type: "observation",
      filepath: `memory/successes/${name}`,
      title: TITLE,
      summary: LESSON,
      tags: "pattern,auto",
      domain: "checkout",
      severity: 1,
      lore_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const date = `${name.slice(4, 8)}-${name.slice(8, 10)}-${name.slice(10, 12)}`;
    expect(fs.readFileSync(path.join(journal, "memory", "successes", name), "utf8")).toBe(
      `# Pattern: ${TITLE}\n\n**Domain**: checkout\n**Severity**: 1\n**Tags**: pattern,auto\n**Date**: ${date}\n\n` +
        `## Summary\n\n${LESSON}\n\n## Details\n\n[Describe the pattern in detail]\n\n<!-- lore:id=${row.lore_id} -->\n`,
    );
    expect(commitSubjects(journal)[0]).toBe(`observation: ${TITLE}`);
    expect(git(journal, ["log", "-1", "--format=%b"]).trim()).toBe("Domain: checkout");
    expect(git(journal, ["show", "--format=", "--name-only", "HEAD"]).trim()).toBe(`memory/successes/${name}`);
    expect(invariantViolations(journal)).toEqual([]);

    const search = await runLore(["search", "--json", "payment", "form"], { cwd: journal });
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout).hits).toEqual([
      expect.objectContaining({ type: "observation", title: TITLE, path: `memory/successes/${name}` }),
    ]);
    const recent = await runLore(["query", "--recent", "5", "--format", "json"], { cwd: journal });
    expect(recent.code).toBe(0);
    expect(JSON.parse(recent.stdout)).toEqual([expect.objectContaining({ type: "observation", title: TITLE })]);
  });

  it("is recorded once however often tasks teach it, and each lesson of a task once", async () => {
    const journal = await journalWithObservation();
    const head = commitSubjects(journal);
    const again = postInput(
      journal,
      "t2",
      `[LEARNED:checkout] ${LESSON}\n[LEARNING:testing] The seed is printed first`,
    );
    expect(systemMessage(await postToolUse(journal, again))).toBe(
      "lore: task success (Tests passed): recorded 1 observation; 1 observation already known",
    );
    expect(observationRows(journal).map((row) => [row.domain, row.summary])).toEqual([
      ["checkout", LESSON],
      ["testing", "The seed is printed first"],
    ]);
    expect(commitSubjects(journal)).toEqual(["observation: The seed is printed first", ...head]);
    // The same text in another domain is another lesson; a hint without a letter is refused, the rest recorded.
    expect(
      systemMessage(
        await postToolUse(journal, postInput(journal, "t3", `[LEARNED:billing] ${LESSON}\n[LEARNED:--] Odd`)),
      ),
    ).toBe(
      'lore: task success (Tests passed): recorded 1 observation; 1 learned lesson refused (domain: must contain a letter or digit (got "--"))',
    );
    expect(observationRows(journal)).toHaveLength(3);
    expect(invariantViolations(journal)).toEqual([]);
  });

  it("leaves lore sync nothing to do, and comes back with its row when the database is rebuilt", async () => {
    const journal = await journalWithObservation();
    expect(await syncJson(journal)).toEqual({ code: 0, findings: [] });
    expect(await syncJson(journal, "--full")).toEqual({ code: 0, findings: [] });
    const before = observationRows(journal);
    for (const name of fs.readdirSync(path.join(journal, "memory")).filter((name) => name.startsWith("index.db"))) {
      fs.rmSync(path.join(journal, "memory", name));
    }
    const rebuilt = await runLore(["sync", "--rebuild"], { cwd: journal });
    expect(rebuilt.stderr).toBe("");
    expect(rebuilt.code).toBe(0);
    expect(observationRows(journal)).toEqual(before);
    expect(await syncJson(journal, "--full")).toEqual({ code: 0, findings: [] });
    const search = await runLore(["search", "--json", "payment"], { cwd: journal });
    expect(JSON.parse(search.stdout).count).toBe(1);
    expect(invariantViolations(journal)).toEqual([]);
  });

  it("gets its row back from its file when the row is lost and sync never verified the pair", async () => {
    const journal = await journalWithObservation();
    const [row] = observationRows(journal);
    runSql(journal, "DELETE FROM learnings WHERE id = ?", row.id);
    runSql(journal, "DELETE FROM lore_file_rows");
    runSql(journal, "DELETE FROM lore_files");
    const found = await syncJson(journal);
    expect(found.code).toBe(3);
    expect(found.findings).toEqual([
      expect.objectContaining({ type: "missing-row", path: row.filepath, action: "insert-row" }),
    ]);
    expect((await syncJson(journal, "--fix")).code).toBe(0);
    expect(observationRows(journal)).toEqual([{ ...row, id: expect.any(Number) }]);
    expect(await syncJson(journal)).toEqual({ code: 0, findings: [] });
  });

  it.each([
    ["file-written", 0],
    ["db-committed", 1],
  ])(
    "killed at %s, is repaired by the next command: wholly absent before its COMMIT, wholly there after",
    async (step, count) => {
      const journal = await createJournal();
      const killed = await postToolUse(journal, postInput(journal, "t1", `[LEARNED:checkout] ${LESSON}`), {
        LORE_CRASH_AT: step,
      });
      expect(killed.signal).toBe("SIGKILL");
      const next = await runLore(["sync", "--fix"], { cwd: journal, env: { LORE_LOCK_STALE: "60" } });
      expect(next.stderr).toBe("");
      expect(next.code).toBe(0);
      expect(observationRows(journal)).toHaveLength(count);
      expect(invariantViolations(journal)).toEqual([]);
      if (count === 1) expect(commitSubjects(journal)[0]).toBe(`observation: ${TITLE}`);
    },
  );
});

describe("ELF's pattern files and rows in memory/successes", () => {
  it("are not lore's: sync, --fix, --full and --rebuild leave the file and the row as they were", async () => {
    const journal = await journalWithObservation();
    const file = path.join(journal, "memory", "successes", "20250113_batch-inserts.md");
    const pattern = "# Pattern: Batch inserts\n\n## Summary\n\nOne transaction per batch\n\n## Details\n\nFaster.\n";
    fs.writeFileSync(file, pattern);
    runSql(
      journal,
      "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity) VALUES ('observation', ?, 'Batch inserts', 'One transaction per batch', 'pattern', 'database', 1)",
      "memory/successes/20250113_batch-inserts.md",
    );
    const elfRow = () => readRows(journal).learnings.find((row) => row.title === "Batch inserts");
    const before = elfRow();
    expect(await syncJson(journal)).toEqual({ code: 0, findings: [] });
    expect(await syncJson(journal, "--fix", "--full")).toEqual({ code: 0, findings: [] });
    expect(await syncJson(journal, "--rebuild")).toMatchObject({ code: 0, findings: [] });
    expect(elfRow()).toEqual(before);
    expect(fs.readFileSync(file, "utf8")).toBe(pattern);
    // Not committed by sync either: untracked, as ELF left it.
    expect(git(journal, ["status", "--porcelain", "--", "memory/successes"]).trim()).toBe(
      "?? memory/successes/20250113_batch-inserts.md",
    );
    expect(observationRows(journal)).toHaveLength(2);
  });
});
