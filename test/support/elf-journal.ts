// A journal as ELF's own tools leave it, for the read side's tests: ELF's
// schema (init_db.sql and query.py's two lazy tables, elf-format.ts), no
// lore table or column, a golden-rules.md in ELF's template format (B), and
// rows inserted with the columns each of ELF's scripts inserts (elf-loop.md
// 5.x and 4.5), each with a fixed created_at. Times in 2099 are inside any
// window that ends now ("recent", "last 7 days"); the others are outside the
// 2-day and 7-day ones. The expected outputs of query.py on this journal are
// written by hand in test/fixtures/query/elf-journal.json.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { ELF_INIT_DB_SQL, ELF_QUERY_PY_TABLES } from "./elf-format.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;

/** ELF's templates/golden-rules.md shape (format B), with three rules and its non-rule section. */
export const ELF_GOLDEN_RULES_B = `# Golden Rules

These rules apply to every task.

---

## 1. Query Before Acting

> Always check the building before starting a task.

**Why:** Past failures hold the answer.
**Promoted:** 2025-01-01
**Validations:** 40

---

## 2. Record Failures

> Write down every failure while it is fresh.

**Why:** Memory fades.
**Promoted:** 2025-01-02
**Validations:** 25

---

# How Rules Become Golden

1. A heuristic is validated many times.
2. It is promoted.

---

## 3. Commit Often

> Small commits are easy to revert.

**Why:** Large ones hide mistakes.
**Promoted:** 2025-01-03
**Validations:** 12
`;

type Values = Record<string, string | number | null>;

/** One insert per row, with exactly the given columns (as each ELF script names its own). */
function insert(db: BetterSqlite3.Database, table: string, rows: Values[]): void {
  for (const row of rows) {
    const columns = Object.keys(row);
    db.prepare(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((column) => `@${column}`).join(", ")})`,
    ).run(row);
  }
}

const at = (created: string) => ({ created_at: created, updated_at: created });

/** Writes ELF's journal into `dir` (memory/index.db and memory/golden-rules.md). */
export function createElfJournal(dir: string): void {
  fs.mkdirSync(path.join(dir, "memory", "failures"), { recursive: true });
  fs.writeFileSync(path.join(dir, "memory", "golden-rules.md"), ELF_GOLDEN_RULES_B);
  const db = new Database(path.join(dir, "memory", "index.db"));
  try {
    db.exec(ELF_INIT_DB_SQL);
    db.exec(ELF_QUERY_PY_TABLES);
    // record-failure.sh (and integrate-proposal.py's pattern, type observation); the hooks' auto rows in local ISO time.
    const failure = (
      file: string,
      title: string,
      summary: string,
      tags: string | null,
      domain: string,
      severity: number,
    ) => ({ type: "failure", filepath: file, title, summary, tags, domain, severity }) as Values;
    insert(db, "learnings", [
      {
        ...failure(
          "memory/failures/20250110_db-lock-timeout.md",
          "DB lock timeout",
          "Writers waited forever on the lock",
          "sqlite,locking",
          "database",
          4,
        ),
        ...at("2025-01-10 09:00:00"),
      },
      {
        ...failure(
          "memory/failures/20250112_migration-dropped-index.md",
          "Migration dropped index",
          "The index was not recreated",
          "sqlite,migration",
          "database",
          3,
        ),
        ...at("2025-01-12 10:30:00"),
      },
      {
        ...failure(
          "memory/failures/20250111_flaky-ci-clock.md",
          "Flaky CI clock",
          "Tests relied on local time",
          "ci,time",
          "testing",
          2,
        ),
        ...at("2025-01-11 08:00:00"),
      },
      {
        type: "observation",
        filepath: "auto-observations/obs_20990101_120000.md",
        title: "Saw the WAL grow",
        summary: "The WAL grew past 100 MB",
        domain: "database",
        severity: 3,
        ...at("2099-01-01T12:00:00.000000"),
      },
      {
        ...failure(
          "auto-failures/failure_20990102_080000.md",
          "Auto-captured: run migration",
          "Reason: error\n\nTask: run migration\n\nOutput snippet: locked",
          null,
          "database",
          3,
        ),
        ...at("2099-01-02T08:00:00.000000"),
      },
      {
        ...failure(
          "memory/failures/20990103_deploy-rollback-failed.md",
          "Deploy rollback failed",
          "Rollback script missing",
          "deploy,sqlite_backup",
          "production",
          5,
        ),
        ...at("2099-01-03 07:00:00"),
      },
      {
        type: "observation",
        filepath: "memory/successes/20250113_batch-inserts.md",
        title: "Batch inserts",
        summary: "One transaction per batch",
        tags: "pattern",
        domain: "database",
        severity: 1,
        ...at("2025-01-13 12:00:00"),
      },
      {
        ...failure(
          "memory/failures/20250114_backup-too-slow.md",
          "Backup too slow",
          "Hours to back up",
          "sqlite-backup",
          "production",
          2,
        ),
        ...at("2025-01-14 15:00:00"),
      },
    ]);
    // record-heuristic.sh's columns; the hooks' counters and promotion.
    const heuristic = (domain: string, rule: string, explanation: string | null, source: string, confidence: number) =>
      ({ domain, rule, explanation, source_type: source, confidence }) as Values;
    insert(db, "heuristics", [
      {
        ...heuristic("database", "Always set a busy timeout", "Writers otherwise fail at once", "failure", 0.9),
        times_validated: 12,
        is_golden: 1,
        ...at("2025-01-05 10:00:00"),
      },
      {
        ...heuristic("database", "Take the git lock before SQLite", "One order, no deadlock", "observation", 0.7),
        times_validated: 3,
        ...at("2025-01-06 10:00:00"),
      },
      {
        ...heuristic("database", "Recreate indexes after a migration", "", "failure", 0.7),
        times_validated: 8,
        times_violated: 1,
        ...at("2025-01-07 10:00:00"),
      },
      {
        ...heuristic("testing", "Freeze the clock in tests", "Local time differs on CI", "failure", 0.85),
        ...at("2025-01-08 10:00:00"),
      },
      { ...heuristic("database", "Vacuum monthly", null, "observation", 0.3), ...at("2025-01-09 10:00:00") },
    ]);
    // record-decision.sh: empty optionals as ''; a row without a domain, as an older tool left it.
    const decision = (title: string, decision: string, rationale: string, domain: string | null) =>
      ({
        title,
        context: `Context of ${title}`,
        options_considered: "",
        decision,
        rationale,
        domain,
        files_touched: "",
        tests_added: "",
      }) as Values;
    insert(db, "decisions", [
      { ...decision("Use WAL mode", "Switch to WAL", "Readers never block", "database"), ...at("2025-02-01 10:00:00") },
      {
        ...decision("Adopt ADRs", "Write an ADR per choice", "Choices stay explained", "general"),
        ...at("2025-02-02 10:00:00"),
      },
      {
        ...decision("Drop MySQL", "Use SQLite only", "One engine", "database"),
        status: "superseded",
        ...at("2025-02-03 10:00:00"),
      },
      { ...decision("Log in UTC", "All logs in UTC", "One clock", null), ...at("2025-02-04 10:00:00") },
    ]);
    // record-spike.sh; usefulness as the dashboard sets it.
    const spike = (title: string, minutes: number | null, domain: string | null, tags: string | null, useful: number) =>
      ({
        title,
        topic: `Topic of ${title}`,
        question: `What about ${title}?`,
        findings: `Findings of ${title}`,
        gotchas: "",
        resources: "",
        time_invested_minutes: minutes,
        domain,
        tags,
        usefulness_score: useful,
      }) as Values;
    insert(db, "spike_reports", [
      { ...spike("SQLite WAL limits", 30, "database", "sqlite,wal", 4.5), ...at("2025-03-01 10:00:00") },
      { ...spike("Git fast-import", 45, "git", "git", 3), ...at("2025-03-02 10:00:00") },
      { ...spike("Busy timeouts", null, "database", "sqlite", 4.5), ...at("2025-03-03 10:00:00") },
      { ...spike("General notes", 10, null, null, 0), ...at("2025-03-04 10:00:00") },
    ]);
    // record-assumption.sh; verify and challenge as the dashboard does them.
    const assumption = (text: string, source: string, confidence: number, domain: string | null, status: string) =>
      ({ assumption: text, context: `Context of ${text}`, source, confidence, domain, status }) as Values;
    insert(db, "assumptions", [
      {
        ...assumption("Disks are local", "inference", 0.8, "database", "active"),
        verified_count: 2,
        last_verified_at: "2025-04-05 10:00:00",
        ...at("2025-04-01 10:00:00"),
      },
      { ...assumption("CI has 2 cores", "observation", 0.6, "testing", "active"), ...at("2025-04-02 10:00:00") },
      {
        ...assumption("Clock is monotonic", "documentation", 0.2, "testing", "challenged"),
        verified_count: 1,
        challenged_count: 4,
        ...at("2025-04-03 10:00:00"),
      },
      {
        ...assumption("Users read docs", "user", 0, null, "invalidated"),
        challenged_count: 5,
        ...at("2025-04-04 10:00:00"),
      },
      {
        ...assumption("fsync is durable", "documentation", 0.95, "database", "verified"),
        verified_count: 4,
        last_verified_at: "2025-04-07 10:00:00",
        ...at("2025-04-06 10:00:00"),
      },
    ]);
    // record-invariant.sh; a violated one as the dashboard marks it, a deprecated one.
    const invariant = (
      statement: string,
      domain: string | null,
      scope: string,
      validationType: string,
      code: string | null,
      severity: string,
      status: string,
    ) =>
      ({
        statement,
        rationale: `Why: ${statement}`,
        domain,
        scope,
        validation_type: validationType,
        validation_code: code,
        severity,
        status,
      }) as Values;
    insert(db, "invariants", [
      {
        ...invariant("Every write takes the journal lock", "database", "codebase", "manual", null, "error", "active"),
        ...at("2025-05-01 10:00:00"),
      },
      {
        ...invariant("Tests never sleep", "testing", "module", "automated", "grep -r sleep test", "warning", "active"),
        ...at("2025-05-02 10:00:00"),
      },
      {
        ...invariant("API returns request_id", null, "runtime", "test", null, "error", "violated"),
        violation_count: 3,
        last_violated_at: "2025-05-10 10:00:00",
        ...at("2025-05-03 10:00:00"),
      },
      {
        ...invariant("No TODO in main", "general", "codebase", "manual", null, "info", "deprecated"),
        ...at("2025-05-04 10:00:00"),
      },
    ]);
    // record-violation.sh (violation_date = now); an acknowledged one; an old one outside 7 days.
    insert(db, "violations", [
      {
        rule_id: 1,
        rule_name: "Always check the building before starting a task.",
        description: "Skipped the query",
        session_id: "20990101-100000",
        violation_date: "2099-01-01 10:00:00",
      },
      {
        rule_id: 1,
        rule_name: "Always check the building before starting a task.",
        description: "Again",
        session_id: "20990102-100000",
        violation_date: "2099-01-02 10:00:00",
        acknowledged: 1,
      },
      {
        rule_id: 2,
        rule_name: "Write down every failure while it is fresh.",
        description: "Forgot one",
        session_id: "20990103-100000",
        violation_date: "2099-01-03 10:00:00",
      },
      {
        rule_id: 1,
        rule_name: "Always check the building before starting a task.",
        description: "Long ago",
        session_id: "20200101-100000",
        violation_date: "2020-01-01 10:00:00",
      },
    ]);
    // start-experiment.sh; one completed since.
    insert(db, "experiments", [
      {
        name: "wal-size",
        hypothesis: "A smaller WAL reads faster",
        status: "active",
        folder_path: "experiments/active/20250601-100000_wal-size",
        cycles_run: 2,
        created_at: "2025-06-01 10:00:00",
        updated_at: "2025-06-05 10:00:00",
      },
      {
        name: "lock-order",
        hypothesis: "One lock order removes deadlocks",
        status: "active",
        folder_path: "experiments/active/20250602-100000_lock-order",
        created_at: "2025-06-02 10:00:00",
        updated_at: "2025-06-03 10:00:00",
      },
      {
        name: "old-cache",
        hypothesis: "A cache helps",
        status: "completed",
        folder_path: "experiments/active/20250101-100000_old-cache",
        created_at: "2025-01-01 10:00:00",
        updated_at: "2025-06-10 10:00:00",
      },
    ]);
    // record-violation.sh's CEO review at CRITICAL; integrate-proposal.py's contradiction one; a reviewed one.
    insert(db, "ceo_reviews", [
      {
        title: "Golden Rule Violations Threshold Exceeded",
        context: "10 violations in the last 7 days",
        recommendation: "See ceo-inbox/VIOLATION_THRESHOLD_20250701_100000.md",
        status: "pending",
        created_at: "2025-07-01 10:00:00",
      },
      {
        title: "Contradiction: WAL or rollback journal",
        context: "Two heuristics disagree",
        recommendation: "Keep WAL",
        status: "pending",
        created_at: "2025-06-20 10:00:00",
      },
      {
        title: "Adopt lore",
        context: "Shell recorders lose records",
        recommendation: "Switch",
        status: "approved",
        created_at: "2025-06-01 10:00:00",
        reviewed_at: "2025-06-02 10:00:00",
      },
    ]);
  } finally {
    db.close();
  }
}
