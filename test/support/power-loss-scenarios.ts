/**
 * The commands the power-loss simulator (power-loss.ts) cuts short, each on
 * a journal built for it, with what must survive and what runs after the
 * crash. Shared by test/power-loss.test.ts (bounded) and
 * test/power-loss/power-loss.ts (`npm run powerloss`, the long profile).
 *
 * KNOWN_VIOLATIONS lists what today's code is known to violate, per
 * scenario, with the reason: the suite expects those to be found (so that a
 * fix shows, and the entry is removed then) and every other invariant to hold.
 * KNOWN_WHERE_SOME_SURVIVE adds what only states in which some unsynced items
 * survive show, which the long profile explores.
 */
import fs from "node:fs";
import path from "node:path";
import { createJournal, openDb, runSql } from "./journal.js";
import { mcpInput, runLore } from "./lore.js";
import { type Acknowledged, failure, feedback, heuristic, type Invariant, type Scenario } from "./power-loss.js";

function recordArgs(record: Acknowledged, domain: string): string[] {
  return record.kind === "failure"
    ? ["record-failure", "--title", record.text, "--domain", domain, "--summary", "what happened"]
    : ["record-heuristic", "--domain", domain, "--rule", record.text, "--explanation", "why it holds"];
}

/** A journal (in git or not) with `records` recorded in it, each into `domain`. */
async function journalWith(withGit: boolean, records: Acknowledged[], domain: string): Promise<string> {
  const dir = await createJournal({ git: withGit });
  for (const record of records) {
    const result = await runLore(recordArgs(record, domain), { cwd: dir });
    if (result.code !== 0) throw new Error(`recording "${record.text}" failed while preparing: ${result.stderr}`);
  }
  return dir;
}

/** A record command on a journal holding `earlier`; the next command records `after` into the same place. */
function recordScenario(
  name: string,
  withGit: boolean,
  earlier: Acknowledged[],
  recorded: Acknowledged,
  domain: string,
  after: Acknowledged,
): Scenario {
  const committed = (record: Acknowledged) => ({ ...record, committed: withGit });
  return {
    name,
    git: withGit,
    prepare: () => journalWith(withGit, earlier, domain),
    command: recordArgs(recorded, domain),
    before: earlier.map(committed),
    own: [committed(recorded)],
    next: [{ args: recordArgs(after, domain), acknowledges: [committed(after)] }],
  };
}

/**
 * A journal in git holding a heuristic for each of `rules` (H-1, H-2, ... in
 * that order: the scenarios' commands name them so), the first validated
 * `validations` times.
 */
async function journalWithFeedback(rules: string[], validations: number): Promise<string> {
  const dir = await journalWith(
    true,
    rules.map((rule) => heuristic(rule)),
    "Power",
  );
  const db = openDb(dir);
  const ids = rules.map((rule) => db.prepare("SELECT id FROM heuristics WHERE rule = ?").pluck().get(rule));
  db.close();
  if (ids.some((id, index) => id !== index + 1))
    throw new Error(`the heuristics got ids ${ids.join(", ")}, not 1, 2, ...`);
  for (let count = 0; count < validations; count++) {
    const result = await runLore(["validate", "H-1"], { cwd: dir });
    if (result.code !== 0) throw new Error(`validating while preparing failed: ${result.stderr}`);
  }
  return dir;
}

const RATED_RULE = "a rule tasks report on";
const SECOND_RULE = "a second rule";
/** What journalWithFeedback([RATED_RULE, ...], 2) acknowledged. */
const RATED_BEFORE = [heuristic(RATED_RULE), feedback("validated", RATED_RULE), feedback("validated", RATED_RULE)];

/** `lore validate` or `lore violate` of H-1, which tasks validated twice; the next command is the same again. */
function feedbackScenario(verdict: "validated" | "violated"): Scenario {
  const args = [verdict === "validated" ? "validate" : "violate", "H-1"];
  return {
    name: args[0],
    git: true,
    prepare: () => journalWithFeedback([RATED_RULE], 2),
    command: args,
    before: RATED_BEFORE,
    own: [feedback(verdict, RATED_RULE)],
    next: [{ args, acknowledges: [feedback(verdict, RATED_RULE)] }],
  };
}

/** A validation: the scenario the missing-fsync tests take an fsync out of, for the feedback invariants. */
export const VALIDATE = feedbackScenario("validated");

const restored = failure("a failure whose file was deleted");
const editedByHand = failure("a failure retitled by hand", false);
const writtenByHand = failure("a failure written by hand", false);
const editedInDb = heuristic("the rule as ELF's dashboard left it");
const rowOnly = failure("a failure only ELF's database holds");

export const SCENARIOS: Scenario[] = [
  recordScenario(
    "record-failure",
    true,
    [failure("an earlier failure")],
    failure("the recorded failure"),
    "Power",
    failure("the next failure"),
  ),
  recordScenario(
    "record-heuristic into a new domain",
    true,
    [heuristic("an earlier rule")],
    heuristic("the recorded rule"),
    "fresh",
    heuristic("the next rule"),
  ),
  recordScenario(
    "record-heuristic into an existing domain",
    true,
    [heuristic("an earlier rule")],
    heuristic("the recorded rule"),
    "existing",
    heuristic("the next rule"),
  ),
  {
    name: "sync --fix (a file edited by hand, a file without a row)",
    git: true,
    prepare: async () => {
      const dir = await journalWith(
        true,
        [failure("an earlier failure"), failure("a failure edited by hand")],
        "Power",
      );
      const failures = path.join(dir, "memory", "failures");
      const edited = fs.readdirSync(failures).find((name) => name.includes("edited-by-hand")) as string;
      const file = path.join(failures, edited);
      fs.writeFileSync(
        file,
        fs.readFileSync(file, "utf8").replace("# a failure edited by hand", `# ${editedByHand.text}`),
      );
      fs.writeFileSync(
        path.join(failures, "20260101_written-by-hand.md"),
        `# ${writtenByHand.text}\n\n**Domain**: Power\n**Severity**: 2\n\n## Summary\n\nNo row yet.\n`,
      );
      return dir;
    },
    command: ["sync", "--fix"],
    before: [failure("an earlier failure")],
    own: [editedByHand, writtenByHand],
    next: [{ args: ["sync", "--fix"], acknowledges: [editedByHand, writtenByHand] }],
    replaced: ["a failure edited by hand"],
  },
  {
    name: "sync --restore (a row whose file was deleted)",
    git: true,
    prepare: async () => {
      const dir = await journalWith(true, [failure("an earlier failure"), restored], "Power");
      const failures = path.join(dir, "memory", "failures");
      fs.rmSync(path.join(failures, fs.readdirSync(failures).find((name) => name.includes("was-deleted")) as string));
      return dir;
    },
    command: ["sync", "--restore"],
    before: [failure("an earlier failure")],
    own: [restored],
    next: [{ args: ["sync", "--restore"], acknowledges: [restored] }],
  },
  {
    name: "sync --rebuild",
    git: true,
    prepare: () =>
      journalWith(
        true,
        [failure("an earlier failure"), failure("a second failure"), heuristic("an earlier rule")],
        "Power",
      ),
    command: ["sync", "--rebuild"],
    before: [failure("an earlier failure"), failure("a second failure"), heuristic("an earlier rule")],
    own: [],
    next: [{ args: recordArgs(failure("the next failure"), "Power"), acknowledges: [failure("the next failure")] }],
  },
  {
    name: "sync --fix writing DB-side edits back (ELF's dashboard and hooks)",
    git: true,
    prepare: async () => {
      const dir = await journalWith(
        true,
        [failure("an earlier failure"), heuristic("a rule ELF's dashboard edits")],
        "elf",
      );
      runSql(dir, "UPDATE heuristics SET rule = ? WHERE rule = ?", editedInDb.text, "a rule ELF's dashboard edits");
      runSql(
        dir,
        "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', ?, ?, 'Only in the database', 'elf', 3)",
        "memory/failures/20260101_only-in-the-database.md",
        rowOnly.text,
      );
      return dir;
    },
    command: ["sync", "--fix"],
    before: [failure("an earlier failure")],
    own: [editedInDb, rowOnly],
    next: [{ args: ["sync", "--fix"], acknowledges: [editedInDb, rowOnly] }],
    replaced: ["a rule ELF's dashboard edits"],
  },
  VALIDATE,
  feedbackScenario("violated"),
  {
    name: "golden promote",
    git: true,
    prepare: () => journalWithFeedback([RATED_RULE, SECOND_RULE], 2),
    command: ["golden", "promote", "H-1"],
    before: [...RATED_BEFORE, heuristic(SECOND_RULE)],
    own: [feedback("promoted", RATED_RULE)],
    next: [{ args: ["golden", "promote", "H-2"], acknowledges: [feedback("promoted", SECOND_RULE)] }],
  },
];

/**
 * `lore mcp` reading, in one chunk, the calls that record `records` (into
 * `domain`): one journal session persists them together (one write
 * transaction, each directory fsynced once) and commits them as one group.
 */
function mcpScenario(name: string, earlier: Acknowledged[], records: Acknowledged[], domain: string): Scenario {
  const calls = records.map((record) =>
    record.kind === "failure"
      ? { name: "record_failure", arguments: { title: record.text, domain, summary: "what happened" } }
      : { name: "record_heuristic", arguments: { domain, rule: record.text, explanation: "why it holds" } },
  );
  const after = failure("the next failure");
  return {
    name,
    git: true,
    prepare: () => journalWith(true, earlier, domain),
    command: ["mcp"],
    input: mcpInput(calls),
    before: earlier,
    own: records,
    next: [{ args: recordArgs(after, domain), acknowledges: [after] }],
  };
}

/** Records sent together to `lore mcp`: two new files and a heuristic into an existing domain file. */
export const MCP_TOGETHER = mcpScenario(
  "lore mcp: three records sent together",
  [heuristic("an earlier rule")],
  [failure("a failure sent together"), failure("another failure sent together"), heuristic("a rule sent together")],
  "Power",
);

/** A record outside git: the scenario the missing-fsync tests take an fsync out of. */
export const WITHOUT_GIT = recordScenario(
  "record-failure outside git",
  false,
  [failure("an earlier failure")],
  failure("the recorded failure"),
  "Power",
  failure("the next failure"),
);

/**
 * What today's code is known to violate where everything unsynced is lost (the
 * bounded profile finds these), by scenario and invariant, with why.
 */
export const KNOWN_VIOLATIONS: Record<string, Partial<Record<Invariant, string>>> = {};

const OWNER_TEMP_LEFT =
  "a kill between the lock owner's temp file and its rename leaves journal.lock.owner.<token>, which only `lore sync --fix` removes";

/**
 * What today's code is known to violate in states where some unsynced items
 * survive (a kill -9, where all do, among them): the long profile finds these
 * besides KNOWN_VIOLATIONS.
 */
export const KNOWN_WHERE_SOME_SURVIVE: Record<string, Partial<Record<Invariant, string>>> = {
  "record-failure": { leftover: OWNER_TEMP_LEFT },
  "record-heuristic into a new domain": { leftover: OWNER_TEMP_LEFT },
  "record-heuristic into an existing domain": { leftover: OWNER_TEMP_LEFT },
  "sync --rebuild": {
    leftover: `${OWNER_TEMP_LEFT}; and a rebuild cut short leaves its candidate database, which only \`lore sync --fix\` removes`,
  },
  "record-failure outside git": { leftover: OWNER_TEMP_LEFT },
  validate: { leftover: OWNER_TEMP_LEFT },
  violate: { leftover: OWNER_TEMP_LEFT },
  "golden promote": { leftover: OWNER_TEMP_LEFT },
  "lore mcp: three records sent together": { leftover: OWNER_TEMP_LEFT },
};
