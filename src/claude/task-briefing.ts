/**
 * The briefing lore appends to a sub-agent's prompt: the journal's golden
 * rules, heuristics and failures that bear on the task, and the task's
 * complexity, chosen as ELF's pre-tool hook chooses them.
 *
 *   const { block, heuristics, domains } = briefTask(journal, { prompt, description });
 *   if (block !== undefined) updatedInput = { ...toolInput, prompt: prompt + block };
 *
 * From the text `prompt + " " + description`, lower-cased:
 *   - Domains, at most 5: first the journal's own domains (of its heuristics
 *     and failures) that the text names as a word, then ELF's keyword map
 *     (DOMAIN_KEYWORDS, in its order, by substring, as ELF matches: "ui" in
 *     "build" counts). ELF knew only the map's 14 domains; a lore journal's
 *     domains are its users' own, and one the task names outright comes
 *     first.
 *   - Complexity, as ELF scores it: HIGH, MEDIUM, LOW-MEDIUM or LOW, with the
 *     reasons.
 *   - Heuristics, at most 5: the golden ones (is_golden = 1) first, then, with
 *     domains, those of the domains; without, those above 0.7 confidence;
 *     each by confidence, then newest first. (ELF broke a tie on confidence
 *     by times validated; the newest first keeps every query on an index.)
 *   - Failures, at most 3: of the domains (of any domain when there are
 *     none), newest first.
 * The block (renderBriefing) has ELF's headings: `## Building Knowledge
 * (Auto-Injected)`, the complexity for HIGH and MEDIUM, `### Golden Rules
 * (Must Follow)`, `### Relevant Heuristics (<domains>)`, `### Recent Failures
 * (Avoid These)`, between `---` lines. Unlike ELF, a task with none of these
 * to show gets no block at all (ELF appended an empty one for LOW-MEDIUM),
 * and the block starts after a blank line, so the prompt's last line does not
 * turn into a heading.
 *
 * Reads only, each query through an index (the domains by a skip scan, one
 * seek per distinct domain), inside the caller's snapshot. Writes nothing:
 * it returns the heuristics shown and the domains found, which the hook
 * notes for its call (task-notes.ts), where ELF wrote a global session state
 * and a metrics row per heuristic shown.
 */
import type { ReadJournal } from "../read/read-journal.js";

export const DOMAIN_KEYWORDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["authentication", ["auth", "login", "session", "jwt", "token", "oauth", "password"]],
  ["database", ["sql", "query", "schema", "migration", "db", "database", "sqlite", "postgres"]],
  ["database-migration", ["migration", "migrate", "schema change", "alter table"]],
  ["api", ["api", "endpoint", "rest", "graphql", "route", "controller"]],
  ["security", ["security", "vulnerability", "injection", "xss", "csrf", "sanitiz"]],
  ["testing", ["test", "spec", "coverage", "mock", "fixture", "assert"]],
  ["frontend", ["react", "vue", "component", "css", "style", "ui", "dom"]],
  ["performance", ["performance", "cache", "optimize", "memory", "speed"]],
  ["error-handling", ["error", "exception", "catch", "throw", "try"]],
  ["configuration", ["config", "env", "setting", "option"]],
  ["production", ["production", "prod", "deploy", "release"]],
  ["git", ["git", "commit", "branch", "merge", "rebase"]],
  ["python", ["python", "pip", "venv", ".py"]],
  ["javascript", ["node", "npm", "yarn", "bun", ".js", ".ts"]],
];

const MAX_DOMAINS = 5;
const MAX_HEURISTICS = 5;
const MAX_FAILURES = 3;
const SUMMARY_CHARS = 100;

export type Complexity = "HIGH" | "MEDIUM" | "LOW-MEDIUM" | "LOW";

interface Signal {
  /** Found in the text: a regular expression's match or a substring. */
  matches(text: string, domains: readonly string[]): boolean;
  points: number;
  reason: string;
}

function inText(word: string, points: number, reason: string): Signal {
  return { matches: (text) => text.includes(word), points, reason: `${reason}: ${word}` };
}

function inDomains(domain: string, points: number): Signal {
  return { matches: (_text, domains) => domains.includes(domain), points, reason: `domain ${domain}` };
}

const HIGH_SIGNALS: readonly Signal[] = [
  ...["auth", "crypto", "security", "password", "token", "secret", ".env"].map((word) => inText(word, 2, "sensitive")),
  ...["delete", "drop", "truncate", "force", "sudo", "rm -rf", "password", "credential"].map((word) =>
    inText(word, 2, "destructive or privileged"),
  ),
  ...["authentication", "security", "database-migration", "production"].map((domain) => inDomains(domain, 1)),
];

const MEDIUM_SIGNALS: readonly Signal[] = [
  ...["api", "config", "schema", "migration", "database"].map((word) => inText(word, 1, "touches")),
  ...["update", "modify", "change", "refactor", "migrate"].map((word) => inText(word, 1, "changes code")),
  ...["api", "configuration", "database"].map((domain) => inDomains(domain, 1)),
];

const RECOMMENDATIONS: Partial<Record<Complexity, { symbol: string; text: string }>> = {
  HIGH: {
    symbol: "⚠️",
    text: "read the affected code and its tests first, change it in small steps, verify each, and follow the golden rules below",
  },
  MEDIUM: { symbol: "⚡", text: "check the heuristics below before starting, and verify each change" },
};

export interface ComplexityAssessment {
  level: Complexity;
  reasons: string[];
}

export function assessComplexity(text: string, domains: readonly string[]): ComplexityAssessment {
  const score = (signals: readonly Signal[]) => {
    const hits = signals.filter((signal) => signal.matches(text, domains));
    return { points: hits.reduce((sum, hit) => sum + hit.points, 0), reasons: hits.map((hit) => hit.reason) };
  };
  const high = score(HIGH_SIGNALS);
  const medium = score(MEDIUM_SIGNALS);
  const level: Complexity =
    high.points >= 2
      ? "HIGH"
      : high.points >= 1 || medium.points >= 3
        ? "MEDIUM"
        : medium.points >= 1
          ? "LOW-MEDIUM"
          : "LOW";
  return { level, reasons: [...new Set([...high.reasons, ...medium.reasons])] };
}

function namesAsWord(text: string, name: string): boolean {
  let at = text.indexOf(name);
  while (at !== -1) {
    const before = text[at - 1];
    const after = text[at + name.length];
    if (!/[\p{L}\p{N}_]/u.test(before ?? " ") && !/[\p{L}\p{N}_]/u.test(after ?? " ")) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

export function detectDomains(text: string, journalDomains: readonly string[]): string[] {
  const found: string[] = [];
  const add = (domain: string) => {
    if (found.length < MAX_DOMAINS && !found.includes(domain)) found.push(domain);
  };
  for (const domain of journalDomains) if (domain.trim() !== "" && namesAsWord(text, domain.toLowerCase())) add(domain);
  for (const [domain, keywords] of DOMAIN_KEYWORDS) if (keywords.some((word) => text.includes(word))) add(domain);
  return found;
}

/** The distinct non-null values of `table.domain`, one index seek each (a skip scan). */
function distinctDomains(journal: ReadJournal, table: "heuristics" | "learnings"): string[] {
  return journal.sqlite
    .prepare(
      `WITH RECURSIVE seen(domain) AS (
         SELECT min(domain) FROM ${table}
         UNION ALL
         SELECT (SELECT min(domain) FROM ${table} WHERE domain > seen.domain) FROM seen WHERE seen.domain IS NOT NULL
       ) SELECT domain FROM seen WHERE domain IS NOT NULL`,
    )
    .pluck()
    .all() as string[];
}

export interface HeuristicRow {
  id: number;
  lore_id: string | null;
  domain: string;
  rule: string;
  confidence: number | null;
  times_validated: number | null;
  is_golden: number | null;
}

export interface FailureRow {
  id: number;
  domain: string | null;
  title: string;
  summary: string | null;
  created_at: string | null;
}

const HEURISTIC_COLUMNS = "id, lore_id, domain, rule, confidence, times_validated, is_golden";
const FAILURE_COLUMNS = "id, domain, title, summary, created_at";

function byConfidence(a: HeuristicRow, b: HeuristicRow): number {
  return (b.confidence ?? 0) - (a.confidence ?? 0) || b.id - a.id;
}

function newestFirst(a: FailureRow, b: FailureRow): number {
  return (b.created_at ?? "").localeCompare(a.created_at ?? "") || b.id - a.id;
}

export function selectHeuristics(journal: ReadJournal, domains: readonly string[]): HeuristicRow[] {
  const golden = journal.sqlite
    .prepare(
      `SELECT ${HEURISTIC_COLUMNS} FROM heuristics WHERE is_golden = 1
       ORDER BY confidence DESC, id DESC LIMIT ${MAX_HEURISTICS}`,
    )
    .all() as HeuristicRow[];
  const room = MAX_HEURISTICS - golden.length;
  if (room === 0) return golden;
  const others =
    domains.length === 0
      ? (journal.sqlite
          .prepare(
            `SELECT ${HEURISTIC_COLUMNS} FROM heuristics WHERE confidence > 0.7 AND is_golden IS NOT 1
             ORDER BY confidence DESC, id DESC LIMIT ${room}`,
          )
          .all() as HeuristicRow[])
      : domains.flatMap(
          (domain) =>
            journal.sqlite
              .prepare(
                `SELECT ${HEURISTIC_COLUMNS} FROM heuristics WHERE domain = ? AND is_golden IS NOT 1
                 ORDER BY confidence DESC, id DESC LIMIT ${room}`,
              )
              .all(domain) as HeuristicRow[],
        );
  return [...golden, ...others.sort(byConfidence).slice(0, room)];
}

// `+type`: the type index would find every failure and sort them all; the
// date index finds the newest at once. A tie on the date is broken by the id
// where the index allows it (within a domain), else in the index's order.
export function selectFailures(journal: ReadJournal, domains: readonly string[]): FailureRow[] {
  const recent = (where: string, order: string, ...values: string[]) =>
    journal.sqlite
      .prepare(
        `SELECT ${FAILURE_COLUMNS} FROM learnings WHERE +type = 'failure'${where}
         ORDER BY ${order} LIMIT ${MAX_FAILURES}`,
      )
      .all(...values) as FailureRow[];
  if (domains.length === 0) return recent("", "created_at DESC");
  const rows = domains.flatMap((domain) => recent(" AND domain = ?", "created_at DESC, id DESC", domain));
  return rows.sort(newestFirst).slice(0, MAX_FAILURES);
}

function oneLine(text: string | null): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

function cut(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}

export interface Briefing {
  domains: string[];
  complexity: ComplexityAssessment;
  heuristics: HeuristicRow[];
  failures: FailureRow[];
}

/** The block to append to the prompt, or undefined when the briefing has nothing to show. */
export function renderBriefing(briefing: Briefing): string | undefined {
  const { domains, complexity, heuristics, failures } = briefing;
  const recommendation = RECOMMENDATIONS[complexity.level];
  if (heuristics.length === 0 && failures.length === 0 && recommendation === undefined) return undefined;
  const lines = ["", "", "---", "## Building Knowledge (Auto-Injected)", ""];
  if (recommendation !== undefined) {
    lines.push(
      `### Task Complexity: ${complexity.level} ${recommendation.symbol}`,
      "**Reasons:**",
      ...complexity.reasons.map((reason) => `- ${reason}`),
      `**Recommendation:** ${recommendation.text}`,
      "",
    );
  }
  const golden = heuristics.filter((heuristic) => heuristic.is_golden === 1);
  const others = heuristics.filter((heuristic) => heuristic.is_golden !== 1);
  if (golden.length > 0) {
    lines.push("### Golden Rules (Must Follow)", ...golden.map((rule) => `- **${oneLine(rule.rule)}**`), "");
  }
  if (others.length > 0) {
    lines.push(
      `### Relevant Heuristics (${domains.length > 0 ? domains.join(", ") : "general"})`,
      ...others.map(
        (heuristic) =>
          `- [${heuristic.domain}] ${oneLine(heuristic.rule)} (${Math.round((heuristic.confidence ?? 0) * 100)}% ` +
          `confidence, ${heuristic.times_validated ?? 0}x validated)`,
      ),
      "",
    );
  }
  if (failures.length > 0) {
    lines.push(
      "### Recent Failures (Avoid These)",
      ...failures.map(
        (failure) =>
          `- [${failure.domain ?? "general"}] ${oneLine(failure.title)}: ${cut(oneLine(failure.summary), SUMMARY_CHARS)}`,
      ),
      "",
    );
  }
  lines.push("---", "");
  return lines.join("\n");
}

export interface TaskBriefing {
  /** The block to append to the prompt; undefined when there is nothing to show. */
  block: string | undefined;
  /** The heuristics the block shows, as task-notes.ts names them: the lore id, else the row id. */
  heuristics: string[];
  domains: string[];
}

export function briefTask(journal: ReadJournal, task: { prompt: string; description: string }): TaskBriefing {
  const text = `${task.prompt} ${task.description}`.toLowerCase();
  return journal.snapshot(() => {
    const journalDomains = [
      ...new Set([...distinctDomains(journal, "heuristics"), ...distinctDomains(journal, "learnings")]),
    ];
    const domains = detectDomains(text, journalDomains);
    const heuristics = selectHeuristics(journal, domains);
    const block = renderBriefing({
      domains,
      complexity: assessComplexity(text, domains),
      heuristics,
      failures: selectFailures(journal, domains),
    });
    return { block, heuristics: heuristics.map((row) => row.lore_id ?? String(row.id)), domains };
  });
}
