// `lore validate` and `lore violate`, and the feedback events that keep their
// counts: the real CLI on real journals in git, parallel processes, a
// database removed and rebuilt, two clones that pull each other, and
// counters changed by another tool (python3's sqlite3, as ELF's hooks).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloneJournal, sharedJournal } from "./support/clones.js";
import { createJournal, git, openDb, runSql } from "./support/journal.js";
import { type RunResult, recordHeuristic, runLore } from "./support/lore.js";

interface Standing {
  id: number;
  confidence: number;
  times_validated: number;
  times_violated: number;
  is_golden: number;
}

function ok(result: RunResult): RunResult {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result;
}

function standing(dir: string, id = 1): Standing {
  const db = openDb(dir);
  try {
    return db
      .prepare("SELECT id, confidence, times_validated, times_violated, is_golden FROM heuristics WHERE id = ?")
      .get(id) as Standing;
  } finally {
    db.close();
  }
}

function feedbackLines(dir: string): Array<Record<string, unknown>> {
  const folder = path.join(dir, "memory", "feedback");
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .sort()
    .flatMap((name) => fs.readFileSync(path.join(folder, name), "utf8").split("\n"))
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function removeDatabase(dir: string): void {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(path.join(dir, "memory", `index.db${suffix}`), { force: true });
}

async function journalWithRule(rule = "Mock the clock"): Promise<string> {
  const dir = await createJournal();
  ok(await recordHeuristic(dir, { domain: "testing", rule, confidence: "0.7" }));
  return dir;
}

describe("lore validate and lore violate", () => {
  it("apply ELF's update, write ELF's metrics row and an event, and commit it", async () => {
    const dir = await journalWithRule();
    const loreId = (openDb(dir).prepare("SELECT lore_id FROM heuristics WHERE id = 1").pluck().get() as string) ?? "";
    const validated = ok(await runLore(["validate", "H-1", "--json"], { cwd: dir }));
    const json = JSON.parse(validated.stdout) as { verdict: string; heuristics: Array<Record<string, unknown>> };
    expect(json.verdict).toBe("validated");
    expect(json.heuristics).toEqual([
      {
        id: 1,
        loreId,
        domain: "testing",
        rule: "Mock the clock",
        confidence: 0.7 + 0.01,
        timesValidated: 1,
        timesViolated: 0,
        isGolden: false,
      },
    ]);
    ok(await runLore(["violate", loreId], { cwd: dir }));
    ok(await runLore(["validate", "1"], { cwd: dir }));
    expect(standing(dir)).toEqual({
      id: 1,
      confidence: 0.7 + 0.01 - 0.02 + 0.01,
      times_validated: 2,
      times_violated: 1,
      is_golden: 0,
    });
    const db = openDb(dir);
    const metrics = db.prepare("SELECT metric_type, metric_name, metric_value, tags, context FROM metrics").all();
    db.close();
    expect(metrics).toEqual([
      {
        metric_type: "heuristic_validated",
        metric_name: "validation",
        metric_value: 1,
        tags: "heuristic_id:1",
        context: "success",
      },
      {
        metric_type: "heuristic_violated",
        metric_name: "violation",
        metric_value: 1,
        tags: "heuristic_id:1",
        context: "failure",
      },
      {
        metric_type: "heuristic_validated",
        metric_name: "validation",
        metric_value: 1,
        tags: "heuristic_id:1",
        context: "success",
      },
    ]);
    expect(feedbackLines(dir).map((line) => [line.event, line.heuristic, line.rule])).toEqual([
      ["validated", loreId, "Mock the clock"],
      ["violated", loreId, "Mock the clock"],
      ["validated", loreId, "Mock the clock"],
    ]);
    expect(git(dir, ["log", "--format=%s", "-3"]).trim().split("\n")).toEqual([
      "validate: Mock the clock",
      "violate: Mock the clock",
      "validate: Mock the clock",
    ]);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    expect(fs.readFileSync(path.join(dir, ".gitattributes"), "utf8")).toContain("memory/feedback/*.jsonl merge=union");
  });

  it("an id that names no heuristic exits 2 naming it, and writes nothing", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    const head = git(dir, ["rev-parse", "HEAD"]);
    const before = fs.readFileSync(
      path.join(dir, "memory", "feedback", fs.readdirSync(path.join(dir, "memory", "feedback"))[0]),
      "utf8",
    );
    for (const args of [["validate", "H-1", "H-99"], ["violate", "no-such-id"], ["violate"]]) {
      const result = await runLore(args, { cwd: dir });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^lore (validate|violate): ID: .*\n$/);
    }
    expect((await runLore(["validate", "H-99"], { cwd: dir })).stderr).toContain('"H-99" names no heuristic');
    expect(standing(dir).times_validated).toBe(1);
    expect(git(dir, ["rev-parse", "HEAD"])).toBe(head);
    expect(
      fs.readFileSync(
        path.join(dir, "memory", "feedback", fs.readdirSync(path.join(dir, "memory", "feedback"))[0]),
        "utf8",
      ),
    ).toBe(before);
  });

  it("20 processes validating one heuristic at once give exactly +20, each an event and a commit", async () => {
    const dir = await journalWithRule();
    const results = await Promise.all(Array.from({ length: 20 }, () => runLore(["validate", "H-1"], { cwd: dir })));
    for (const result of results) ok(result);
    const after = standing(dir);
    expect(after.times_validated).toBe(20);
    expect(after.confidence).toBeCloseTo(0.9, 9);
    expect(feedbackLines(dir)).toHaveLength(20);
    expect(
      git(dir, ["log", "--format=%s"])
        .split("\n")
        .filter((subject) => subject.startsWith("validate:")),
    ).toHaveLength(20);
    ok(await runLore(["sync"], { cwd: dir }));
  }, 120_000);
});

describe("feedback that survives the database", () => {
  it("after rm index.db and a rebuild, every count and the confidence are back", async () => {
    const dir = await journalWithRule();
    for (const verdict of ["validate", "validate", "violate", "validate"])
      ok(await runLore([verdict, "H-1"], { cwd: dir }));
    const before = standing(dir);
    removeDatabase(dir);
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect(standing(dir)).toEqual(before);
    // Applied once: another sync finds nothing, and a rebuild from the rebuilt database counts nothing twice.
    ok(await runLore(["sync"], { cwd: dir }));
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect(standing(dir)).toEqual(before);
  });

  it("counters another tool changed in the database alone become an event, once, and survive a rebuild", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    // As ELF's post-tool hook and dashboard write them: raw SQL, outside lore.
    execFileSync("python3", [
      "-c",
      "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); " +
        "db.execute('UPDATE heuristics SET times_validated = times_validated + 2, confidence = MIN(1.0, confidence + 0.01), is_golden = 1 WHERE id = 1'); db.commit()",
      path.join(dir, "memory", "index.db"),
    ]);
    const changed = standing(dir);
    const report = await runLore(["sync"], { cwd: dir });
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(
      /^feedback-db-only memory\/index\.db: 1 heuristic's standing was changed in the database alone \(H-1\)/m,
    );
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    expect(standing(dir)).toEqual(changed);
    const adjusted = feedbackLines(dir).filter((line) => line.event === "adjusted");
    expect(adjusted).toHaveLength(1);
    expect(adjusted[0]).toMatchObject({ validated: 2, violated: 0, golden: true });
    expect(git(dir, ["status", "--porcelain"])).toBe("");
    ok(await runLore(["sync"], { cwd: dir }));
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    const after = standing(dir);
    expect(after.times_validated).toBe(4);
    removeDatabase(dir);
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect(standing(dir)).toEqual(after);
  });

  it("two clones validate one heuristic 3 and 4 times, pull each other, and both show 7", async () => {
    const { bare } = await sharedJournal("lore-feedback-clones-", async (seed) => {
      ok(await recordHeuristic(seed, { domain: "shared", rule: "Pull before push" }));
    });
    const clone = async (name: string) => {
      const dir = await cloneJournal(bare, name);
      ok(await runLore(["sync", "--fix"], { cwd: dir }));
      return dir;
    };
    const a = await clone("a");
    const b = await clone("b");
    for (let i = 0; i < 3; i++) ok(await runLore(["validate", "H-1"], { cwd: a }));
    for (let i = 0; i < 4; i++) ok(await runLore(["validate", "H-1"], { cwd: b }));
    git(a, ["push", "-q", "origin", "HEAD"]);
    git(b, ["pull", "-q", "--no-edit", "origin", "HEAD"]);
    git(b, ["push", "-q", "origin", "HEAD"]);
    git(a, ["pull", "-q", "--no-edit", "origin", "HEAD"]);
    for (const dir of [a, b]) {
      ok(await runLore(["sync", "--fix"], { cwd: dir }));
      expect(standing(dir).times_validated, dir).toBe(7);
      expect(feedbackLines(dir)).toHaveLength(7);
      ok(await runLore(["sync"], { cwd: dir }));
    }
  }, 120_000);
});

describe("a validation killed at each step", () => {
  it.each(["files-intent-written", "files-written", "files-committed"])(
    "at %s: the next command leaves it counted exactly as the journal holds it",
    async (step) => {
      const dir = await journalWithRule();
      const killed = await runLore(["validate", "H-1"], { cwd: dir, env: { LORE_CRASH_AT: step } });
      expect(killed.signal).toBe("SIGKILL");
      ok(await runLore(["validate", "H-1"], { cwd: dir }));
      const events = feedbackLines(dir).filter((line) => line.event === "validated");
      expect(standing(dir).times_validated).toBe(events.length);
      // Killed before its COMMIT, the validation is undone, file and all; after it, it is kept and committed.
      expect(events.length).toBe(step === "files-committed" ? 2 : 1);
      ok(await runLore(["sync"], { cwd: dir }));
      expect(git(dir, ["status", "--porcelain"])).toBe("");
      removeDatabase(dir);
      ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
      expect(standing(dir).times_validated).toBe(events.length);
    },
  );

  it("before the feedback tables existed (schema 6), the next sync records what ELF's hooks counted", async () => {
    const dir = await journalWithRule();
    runSql(dir, "DROP TABLE lore_feedback_base");
    runSql(dir, "DROP TABLE lore_feedback_applied");
    for (const trigger of ["insert", "renumber", "delete"]) runSql(dir, `DROP TRIGGER lore_feedback_base_${trigger}`);
    runSql(dir, "UPDATE lore_meta SET value = '6' WHERE key = 'schema_version'");
    runSql(dir, "UPDATE heuristics SET times_validated = 5, times_violated = 1 WHERE id = 1");
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    expect(feedbackLines(dir)).toMatchObject([{ event: "adjusted", validated: 5, violated: 1 }]);
    removeDatabase(dir);
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect(standing(dir)).toMatchObject({ times_validated: 5, times_violated: 1 });
  });
});

describe("lore golden", () => {
  async function validated(dir: string, id: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) ok(await runLore(["validate", id], { cwd: dir }));
  }

  it("lists rules and candidates; --auto promotes each in a commit of its own, in the format record-violation.sh reads", async () => {
    const dir = await journalWithRule();
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Pin the seed", confidence: "0.85" }));
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Never sleep in tests", confidence: "0.95" }));
    await validated(dir, "H-2", 10);
    runSql(dir, "UPDATE heuristics SET times_validated = 5 WHERE id = 3");
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    const listing = JSON.parse(ok(await runLore(["golden", "--json"], { cwd: dir })).stdout) as {
      golden: unknown[];
      candidates: Array<{ id: number; timesValidated: number }>;
    };
    expect(listing.golden).toEqual([]);
    expect(listing.candidates.map((row) => [row.id, row.timesValidated])).toEqual([[2, 10]]);
    const before = fs.readFileSync(path.join(dir, "memory", "golden-rules.md"), "utf8");
    const auto = ok(await runLore(["golden", "--auto"], { cwd: dir }));
    expect(auto.stdout).toMatch(/^H-2 promoted: \[testing\] Pin the seed; added to memory\/golden-rules\.md/);
    expect(git(dir, ["log", "--format=%s", "-1"]).trim()).toBe("golden: Pin the seed");
    expect(git(dir, ["show", "--name-only", "--format=", "HEAD"]).trim().split("\n").sort()).toEqual([
      expect.stringMatching(/^memory\/feedback\/\d{4}-\d\d\.jsonl$/),
      "memory/golden-rules.md",
    ]);
    const rules = fs.readFileSync(path.join(dir, "memory", "golden-rules.md"), "utf8");
    // As record-violation.sh reads rule N: the line after `## N.`, `> ` taken off.
    const heading = rules.split("\n").findIndex((line) => /^## \d+\. Pin the seed$/.test(line));
    expect(heading).toBeGreaterThan(0);
    expect(rules.split("\n")[heading + 1]).toBe("> Pin the seed");
    expect(standing(dir, 2).is_golden).toBe(1);
    expect(ok(await runLore(["golden", "--auto"], { cwd: dir })).stdout).toBe(
      "No heuristic qualifies: nothing promoted.\n",
    );
    expect(ok(await runLore(["golden", "promote", "H-2"], { cwd: dir })).stdout).toBe(
      "H-2 is already golden: nothing to do\n",
    );
    // Survives the database: the promotion is an event.
    removeDatabase(dir);
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect(standing(dir, 2)).toMatchObject({ is_golden: 1, times_validated: 10 });
    ok(await runLore(["golden", "demote", "H-2"], { cwd: dir }));
    expect(git(dir, ["log", "--format=%s", "-1"]).trim()).toBe("golden: demote Pin the seed");
    expect(fs.readFileSync(path.join(dir, "memory", "golden-rules.md"), "utf8")).toBe(before);
    expect(standing(dir, 2).is_golden).toBe(0);
    const unknown = await runLore(["golden", "promote", "H-42"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('lore golden: ID: "H-42" names no heuristic (a row id, H-<id> or lore id)\n');
  }, 120_000);

  it("divides validations by violations exactly, and takes a confidence a rounding below 0.9 as 0.9", async () => {
    const dir = await journalWithRule();
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Twenty to two", confidence: "0.95" }));
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Twenty-one to two", confidence: "0.95" }));
    runSql(dir, "UPDATE heuristics SET times_validated = 20, times_violated = 2 WHERE id = 2");
    // ELF's integer division (21 / 2 = 10, not > 10) would leave this one out.
    runSql(dir, "UPDATE heuristics SET times_validated = 21, times_violated = 2 WHERE id = 3");
    // ELF's steps in floating point: 0.8, twenty validations, five violations: a hair below 0.9.
    let confidence = 0.8;
    for (let i = 0; i < 20; i++) confidence = Math.min(1, confidence + 0.01);
    for (let i = 0; i < 5; i++) confidence = Math.max(0, confidence - 0.02);
    expect(confidence).toBeLessThan(0.9);
    runSql(dir, "UPDATE heuristics SET times_validated = 40, confidence = ? WHERE id = 1", confidence);
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    const listing = JSON.parse(ok(await runLore(["golden", "--json"], { cwd: dir })).stdout) as {
      candidates: Array<{ rule: string }>;
    };
    expect(listing.candidates.map((row) => row.rule).sort()).toEqual(["Mock the clock", "Twenty-one to two"]);
  });

  it("validations, violations and promotions at once lose no update", async () => {
    const dir = await journalWithRule();
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Almost golden", confidence: "0.95" }));
    runSql(dir, "UPDATE heuristics SET times_validated = 9 WHERE id = 2");
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    const runs = [
      ...Array.from({ length: 8 }, () => runLore(["validate", "H-1", "H-2"], { cwd: dir })),
      ...Array.from({ length: 4 }, () => runLore(["violate", "H-1"], { cwd: dir })),
      ...Array.from({ length: 3 }, () => runLore(["golden", "--auto"], { cwd: dir })),
    ];
    for (const result of await Promise.all(runs)) ok(result);
    expect(standing(dir, 1)).toMatchObject({ times_validated: 8, times_violated: 4 });
    expect(standing(dir, 2).times_validated).toBe(17);
    ok(await runLore(["golden", "--auto"], { cwd: dir }));
    expect(standing(dir, 2).is_golden).toBe(1);
    expect(feedbackLines(dir).filter((line) => line.event === "promoted")).toHaveLength(1);
    ok(await runLore(["sync"], { cwd: dir }));
    const before = [standing(dir, 1), standing(dir, 2)];
    removeDatabase(dir);
    ok(await runLore(["sync", "--rebuild"], { cwd: dir }));
    expect([standing(dir, 1), standing(dir, 2)]).toEqual(before);
  }, 180_000);
});

/** Runs `statement` on the journal's database with python3's sqlite3, as ELF's hooks and dashboard do. */
function elfSql(dir: string, statement: string): void {
  execFileSync("python3", [
    "-c",
    "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit()",
    path.join(dir, "memory", "index.db"),
    statement,
  ]);
}

function touchedRows(dir: string): number[] {
  const db = openDb(dir);
  try {
    return db.prepare("SELECT heuristic_id FROM lore_feedback_touched ORDER BY heuristic_id").pluck().all() as number[];
  } finally {
    db.close();
  }
}

/** The journal's one feedback file (relative), with its mtime set a minute back to a whole second, out of racy reach. */
function agedFeedbackFile(dir: string): { file: string; mtime: number } {
  const folder = path.join(dir, "memory", "feedback");
  const names = fs.readdirSync(folder);
  expect(names).toHaveLength(1);
  const mtime = Math.floor(Date.now() / 1000) - 60;
  fs.utimesSync(path.join(folder, names[0]), mtime, mtime);
  return { file: path.join(folder, names[0]), mtime };
}

describe("a sync with nothing changed looks only at what may have changed", () => {
  it("a raw UPDATE by python3's sqlite3 after a sync that found nothing is found by a plain sync, once", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    // lore's own writer noted its base and cleared the mark its UPDATE made.
    expect(touchedRows(dir)).toEqual([]);
    ok(await runLore(["sync"], { cwd: dir }));
    elfSql(dir, "UPDATE heuristics SET times_validated = times_validated + 1 WHERE id = 1");
    expect(touchedRows(dir)).toEqual([1]);
    const report = await runLore(["sync"], { cwd: dir });
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(
      /^feedback-db-only memory\/index\.db: 1 heuristic's standing was changed in the database alone \(H-1\)/m,
    );
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    expect(feedbackLines(dir).filter((line) => line.event === "adjusted")).toMatchObject([{ validated: 1 }]);
    expect(touchedRows(dir)).toEqual([]);
    ok(await runLore(["sync"], { cwd: dir }));
    expect(standing(dir).times_validated).toBe(2);
  });

  it("a plain sync compares only the marked rows with their base; --full compares every row", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    // A base moved with no change to the row: no trigger marks it, so only a comparison of every row sees it.
    runSql(dir, "UPDATE lore_feedback_base SET times_validated = 0 WHERE heuristic_id = 1");
    ok(await runLore(["sync"], { cwd: dir }));
    const full = await runLore(["sync", "--full"], { cwd: dir });
    expect(full.code).toBe(3);
    expect(full.stdout).toMatch(/^feedback-db-only memory\/index\.db: 1 heuristic's standing was changed/m);
  });

  it("a heuristic inserted by raw SQL with the base trigger dropped is still found", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["sync"], { cwd: dir }));
    elfSql(dir, "DROP TRIGGER lore_feedback_base_insert");
    elfSql(
      dir,
      "INSERT INTO heuristics (domain, rule, confidence, times_validated) VALUES ('testing', 'Raw rule', 0.5, 3)",
    );
    expect(touchedRows(dir)).toEqual([]);
    const report = await runLore(["sync"], { cwd: dir });
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(
      /^feedback-db-only memory\/index\.db: 1 heuristic's standing was changed in the database alone \(H-2\)/m,
    );
  });

  it("a row deleted with the base trigger dropped leaves an orphan base that the fix drops", async () => {
    const dir = await journalWithRule();
    ok(await recordHeuristic(dir, { domain: "testing", rule: "Second rule" }));
    ok(await runLore(["sync"], { cwd: dir }));
    elfSql(dir, "DROP TRIGGER lore_feedback_base_delete");
    elfSql(dir, "DELETE FROM heuristics WHERE id = 2");
    const report = await runLore(["sync"], { cwd: dir });
    expect(report.stdout).toMatch(/^feedback-db-only memory\/index\.db: 1 feedback base names a heuristic no longer/m);
    await runLore(["sync", "--fix"], { cwd: dir });
    const db = openDb(dir);
    const bases = db.prepare("SELECT heuristic_id FROM lore_feedback_base").pluck().all();
    db.close();
    expect(bases).toEqual([1]);
  });

  it("an unchanged feedback file is not read again; one whose stat changed is, and --full reads every one", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    const { file, mtime } = agedFeedbackFile(dir);
    ok(await runLore(["sync"], { cwd: dir }));
    // Garbage of the same size, at the same inode and mtime: only a sync that reads the file can tell.
    const size = fs.statSync(file).size;
    fs.writeFileSync(file, `${"x".repeat(size - 1)}\n`);
    fs.utimesSync(file, mtime, mtime);
    expect(fs.statSync(file).size).toBe(size);
    ok(await runLore(["sync"], { cwd: dir }));
    const full = await runLore(["sync", "--full"], { cwd: dir });
    expect(full.code).toBe(4);
    expect(full.stderr).toContain(`memory/feedback/${path.basename(file)}:1:`);
    fs.utimesSync(file, mtime + 1, mtime + 1);
    const touched = await runLore(["sync"], { cwd: dir });
    expect(touched.code).toBe(4);
    expect(touched.stderr).toContain(`memory/feedback/${path.basename(file)}:1:`);
  });

  it("a feedback file with an event whose heuristic has no row is read and reported on every sync", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    agedFeedbackFile(dir);
    // The row gone from the database alone, and its event with it: the event waits for the row.
    runSql(dir, "DELETE FROM heuristics WHERE id = 1");
    runSql(dir, "DELETE FROM lore_feedback_applied");
    for (let run = 0; run < 2; run++) {
      const report = await runLore(["sync"], { cwd: dir });
      expect(report.stdout).toMatch(/^feedback-unapplied memory\/feedback: 1 feedback event is not applied/m);
    }
  });

  it("a feedback file a pull appended to is read, and its event applied once", async () => {
    const { bare } = await sharedJournal("lore-feedback-pull-", async (seed) => {
      ok(await recordHeuristic(seed, { domain: "shared", rule: "Pull before push" }));
    });
    const a = await cloneJournal(bare, "a");
    const b = await cloneJournal(bare, "b");
    for (const dir of [a, b]) {
      ok(await runLore(["sync", "--fix"], { cwd: dir }));
      ok(await runLore(["validate", "H-1"], { cwd: dir }));
    }
    // b's month file verified, and trusted by its stat from now on.
    agedFeedbackFile(b);
    ok(await runLore(["sync"], { cwd: b }));
    git(a, ["push", "-q", "origin", "HEAD"]);
    git(b, ["pull", "-q", "--no-edit", "origin", "HEAD"]);
    ok(await runLore(["sync", "--fix"], { cwd: b }));
    expect(standing(b).times_validated).toBe(2);
    expect(feedbackLines(b)).toHaveLength(2);
    for (const args of [["sync"], ["sync", "--fix"], ["sync", "--full"]]) ok(await runLore(args, { cwd: b }));
    expect(standing(b).times_validated).toBe(2);
  }, 120_000);

  it("upgrading from schema 7 marks the rows ELF's hooks changed before any trigger could", async () => {
    const dir = await journalWithRule();
    ok(await runLore(["validate", "H-1"], { cwd: dir }));
    for (const trigger of ["update", "renumber", "delete"])
      runSql(dir, `DROP TRIGGER lore_feedback_touched_${trigger}`);
    runSql(dir, "DROP TABLE lore_feedback_touched");
    runSql(dir, "DROP TABLE lore_feedback_files");
    runSql(dir, "UPDATE lore_meta SET value = '7' WHERE key = 'schema_version'");
    runSql(dir, "UPDATE heuristics SET times_violated = 2 WHERE id = 1");
    ok(await runLore(["sync", "--fix"], { cwd: dir }));
    expect(feedbackLines(dir).filter((line) => line.event === "adjusted")).toMatchObject([{ violated: 2 }]);
    ok(await runLore(["sync"], { cwd: dir }));
  });
});
