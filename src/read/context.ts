/**
 * The briefing of `lore context` and `lore query --context`: what an agent
 * should know before a task, within a token budget.
 *
 *   const briefing = buildContext(journal, { task, domain, tags, maxTokens: 5000, color: false });
 *   briefing.text     // for a prompt
 *   briefing.json     // the same, as data: each tier's budget, use and entries
 *   briefing.tokens   // ceil(text.length / 4) <= maxTokens
 *
 * The layout is ELF's query.py's (`--context`), in its order; a section
 * appears only with an entry in it:
 *   header        `🏢 Building Status` and a rule; with a task, `# Task
 *                 Context` and the task's first line (cut at 100 characters)
 *   golden rules  `# TIER 1: Golden Rules`: golden-rules.md, then the
 *                 heuristics marked golden in the database (is_golden = 1,
 *                 which ELF's hooks promote without writing the file)
 *   similar       `## ⚠️ Similar Failures Detected`, only with a task: up to
 *                 3 failures of the last 30 days sharing words with it
 *                 (relevance.ts; query.py matched a fixed text instead)
 *   relevant      `# TIER 2: Relevant Knowledge`: with a domain, its
 *                 heuristics and learnings (5 each); with tags, learnings
 *                 that have them (5); then accepted decisions (5), violated
 *                 invariants (3), active invariants (5), active assumptions
 *                 of confidence 0.6 or more (5), challenged ones (3) and
 *                 spike reports (5), all of the domain or of none
 *   recent        `# TIER 3: Recent Context`: up to 3 learnings of the last
 *                 2 days not shown above
 *   experiments   `# Active Experiments`, then `# Pending CEO Reviews`
 * The domain's heuristics and learnings and the tag matches are ranked by
 * query.py's relevance score. Given a task, the domain's lists are drawn from
 * their 200 first rows (not 5) and ranked first by how many words they share
 * with the task (the Jaccard ratio of relevance.ts), then by relevance.
 *
 * Budget (docs/DESIGN.md#reading-a-journal): a token is 4 characters
 * (UTF-16 units, as `text.length` counts). The header comes first; of what is
 * left, golden rules get 30%, similar failures 10%, relevant knowledge 40%,
 * recent 10%, experiments and reviews 10%, and what a tier leaves unused
 * goes to the next. Every tier is held to its budget (query.py held only its
 * third tier). An entry is shown whole or not at all, the next ones still
 * tried; a heading only with an entry under it. golden-rules.md alone is cut,
 * at a rule boundary, with a line saying how many rules were left out and how
 * to see them (golden-rules.ts).
 *
 * ANSI colour only with `color` (query.py coloured two headings always):
 * `Building Status` bright blue, `Golden Rules` bright yellow.
 *
 * Reads the journal in one snapshot (it may be called inside one) and the
 * golden-rules file; writes nothing. The request is taken as the command
 * line's rules leave it (read/query-input.ts), and else made safe: empty
 * `tags` are no tags, and `maxTokens` is a whole number of at least 1.
 */
import type { ReadJournal } from "./read-journal.js";
import { clip } from "./clip.js";
import { goldenRulesWithin, readGoldenRules } from "./golden-rules.js";
import {
  assumptionsWith,
  activeExperiments,
  challengedAssumptions,
  decisionsWith,
  domainHeuristics,
  domainLearnings,
  goldenHeuristics,
  invariantsWith,
  learningsWithTags,
  pendingCeoReviews,
  recentLearnings,
  type Row,
  spikeReports,
} from "./query-selections.js";
import { failureText, rankedBy, relevanceScore, significantWords, similarFailures, wordOverlap } from "./relevance.js";

export interface ContextRequest {
  task?: string;
  domain?: string;
  tags?: string[];
  maxTokens: number;
  color: boolean;
}

export interface ContextBriefing {
  text: string;
  json: unknown;
  tokens: number;
}

const CHARS_PER_TOKEN = 4;

/** Each tier's share of the tokens left after the header, in order; what a tier leaves goes to the next. */
export const TIER_SHARES = [
  { tier: "golden-rules", share: 0.3 },
  { tier: "similar-failures", share: 0.1 },
  { tier: "relevant-knowledge", share: 0.4 },
  { tier: "recent", share: 0.1 },
  { tier: "experiments-and-reviews", share: 0.1 },
] as const;

type TierName = (typeof TIER_SHARES)[number]["tier"];

/** Entries per list, as query.py shows them. */
const SHOWN = 5;
const SHOWN_FEW = 3;
/** With a task: the rows of a domain list ranked by the task's words. */
const TASK_POOL = 200;
const SIMILAR_FAILURE_DAYS = 30;
const SIMILAR_FAILURE_POOL = 50;
const RECENT_DAYS = 2;

const BRIGHT_BLUE = "\u001b[94m";
const BRIGHT_YELLOW = "\u001b[93m";
const RESET = "\u001b[0m";

function tokensOf(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function present(value: unknown): boolean {
  return value !== null && value !== undefined && String(value) !== "";
}

/** One tier's text, held to its budget in characters. */
class Tier {
  private readonly parts: string[] = [];
  private readonly shownHeadings = new Set<string>();
  private used = 0;
  leftOut = 0;
  readonly entries: Record<string, Row[]> = {};

  constructor(
    readonly name: TierName,
    readonly budgetChars: number,
  ) {}

  get text(): string {
    return this.parts.join("");
  }

  get usedChars(): number {
    return this.used;
  }

  /** Adds `text` when it fits; returns whether it did. */
  addText(text: string): boolean {
    if (this.used + text.length > this.budgetChars) return false;
    this.parts.push(text);
    this.used += text.length;
    return true;
  }

  /** Adds one entry under its headings (those not shown yet come with it), whole or not at all. */
  addEntry(headings: readonly string[], entry: string, list: string, row: Row): boolean {
    const missing = headings.filter((heading) => !this.shownHeadings.has(heading));
    if (!this.addText(missing.join("") + entry)) {
      this.leftOut++;
      return false;
    }
    for (const heading of missing) this.shownHeadings.add(heading);
    this.entries[list] = [...(this.entries[list] ?? []), row];
    return true;
  }

  summary(): Record<string, unknown> {
    return {
      name: this.name,
      budget: Math.floor(this.budgetChars / CHARS_PER_TOKEN),
      tokens: tokensOf(this.text),
      leftOut: this.leftOut,
    };
  }
}

function heading(text: string): string {
  return `${text}\n\n`;
}

/** An entry: its lines (a text of several lines indented under its first), then a blank line. */
function lines(...parts: Array<string | false>): string {
  const shown = parts.filter((part) => part !== false).map((part) => part.replace(/\r?\n/g, "\n    "));
  return `${shown.join("\n")}\n\n`;
}

function entryOfHeuristic(row: Row): string {
  const confidence = Number(row.confidence ?? 0).toFixed(2);
  return lines(
    `- **${row.rule}** (confidence: ${confidence}, validated: ${row.times_validated ?? 0}x)`,
    present(row.explanation) && `  ${row.explanation}`,
  );
}

function entryOfGoldenHeuristic(row: Row): string {
  const confidence = Number(row.confidence ?? 0).toFixed(2);
  return lines(
    `- **${row.rule}** (domain: ${row.domain}, confidence: ${confidence}, validated: ${row.times_validated ?? 0}x)`,
  );
}

function entryOfLearning(row: Row, withDomain: boolean): string {
  const about = withDomain ? `${row.type}, domain: ${row.domain}` : String(row.type);
  return lines(
    `- **${row.title}** (${about})`,
    present(row.summary) && `  ${row.summary}`,
    present(row.tags) && `  Tags: ${row.tags}`,
  );
}

/** Everything one briefing reads, in one snapshot. */
interface Readings {
  goldenRules: string;
  goldenHeuristics: Row[];
  similar: ReturnType<typeof similarFailures>;
  domainHeuristics: Row[];
  domainLearnings: Row[];
  tagMatches: Row[];
  decisions: Row[];
  violatedInvariants: Row[];
  activeInvariants: Row[];
  assumptions: Row[];
  challengedAssumptions: Row[];
  spikes: Row[];
  recent: Row[];
  experiments: Row[];
  ceoReviews: Row[];
}

/** The domain list ranked: by the task's words first when there is a task, then by relevance. */
function ranked(rows: readonly Row[], request: ContextRequest, now: Date): Row[] {
  const words = request.task === undefined ? undefined : significantWords(request.task);
  const text = (row: Row) => (row.rule === undefined ? failureText(row) : `${row.rule} ${row.explanation ?? ""}`);
  const withScores = rows.map((row) => ({
    ...row,
    relevance: relevanceScore(row, request.domain, now),
    ...(words === undefined ? {} : { overlap: wordOverlap(words, text(row)).score }),
  }));
  return rankedBy(withScores, (row) => [(row.overlap as number | undefined) ?? 0, row.relevance as number]);
}

function read(journal: ReadJournal, request: ContextRequest, now: Date): Readings {
  const { domain, tags, task } = request;
  const pool = task === undefined ? SHOWN : TASK_POOL;
  return journal.snapshot(() => ({
    goldenRules: readGoldenRules(journal.layout),
    goldenHeuristics: goldenHeuristics(journal).rows,
    similar:
      task === undefined
        ? []
        : similarFailures(
            task,
            recentLearnings(journal, {
              limit: SIMILAR_FAILURE_POOL,
              days: SIMILAR_FAILURE_DAYS,
              now,
              type: "failure",
            }).rows,
          ),
    domainHeuristics: domain === undefined ? [] : ranked(domainHeuristics(journal, domain, pool).rows, request, now),
    domainLearnings: domain === undefined ? [] : ranked(domainLearnings(journal, domain, pool).rows, request, now),
    tagMatches:
      tags === undefined
        ? []
        : rankedBy(
            learningsWithTags(journal, tags, SHOWN).rows.map((row) => ({
              ...row,
              relevance: relevanceScore(row, domain, now),
            })),
            (row) => [row.relevance as number],
          ),
    decisions: decisionsWith(journal, { status: "accepted", domain, limit: SHOWN }).rows,
    violatedInvariants: invariantsWith(journal, { status: "violated", domain, limit: SHOWN_FEW }).rows,
    activeInvariants: invariantsWith(journal, { status: "active", domain, limit: SHOWN }).rows,
    assumptions: assumptionsWith(journal, { status: "active", minConfidence: 0.6, domain, limit: SHOWN }).rows,
    challengedAssumptions: challengedAssumptions(journal, { domain, limit: SHOWN_FEW }).rows,
    spikes: spikeReports(journal, { domain, tags, limit: SHOWN }).rows,
    recent: recentLearnings(journal, { limit: SHOWN_FEW + 2 * SHOWN, days: RECENT_DAYS, now }).rows,
    experiments: activeExperiments(journal).rows,
    ceoReviews: pendingCeoReviews(journal).rows,
  }));
}

function headerText(request: ContextRequest): string {
  const title = request.color ? `${BRIGHT_BLUE}Building Status${RESET}` : "Building Status";
  let text = `🏢 ${title}\n${"━".repeat(18)}\n\n`;
  if (request.task !== undefined) {
    text += `# Task Context\n\n${clip(request.task.trim().split("\n")[0], 100)}\n\n---\n\n`;
  }
  return text;
}

function goldenRulesTier(tier: Tier, readings: Readings, color: boolean): Record<string, unknown> {
  const tierHeading = heading(`# TIER 1: ${color ? `${BRIGHT_YELLOW}Golden Rules${RESET}` : "Golden Rules"}`);
  const room = tier.budgetChars - tierHeading.length - 1;
  const cut = goldenRulesWithin(readings.goldenRules, Math.max(0, room));
  if (cut.text !== "") tier.addText(`${tierHeading}${cut.text}${cut.text.endsWith("\n\n") ? "" : "\n"}`);
  const sub = heading("## Golden Heuristics (promoted in the database)");
  const headings = cut.text === "" ? [tierHeading, sub] : [sub];
  for (const row of readings.goldenHeuristics) tier.addEntry(headings, entryOfGoldenHeuristic(row), "heuristics", row);
  return { file: { shown: cut.shown, leftOut: cut.leftOut, whole: cut.whole } };
}

function similarFailuresTier(tier: Tier, readings: Readings): void {
  const headings = [heading("## ⚠️ Similar Failures Detected")];
  for (const failure of readings.similar.slice(0, SHOWN_FEW)) {
    const entry = lines(
      `- **[${Math.round(failure.score * 100)}% match] ${failure.row.title}**`,
      `  Keywords: ${failure.keywords.join(", ")}`,
      `  Lesson: ${clip(failure.row.summary, 100)}`,
    );
    tier.addEntry(headings, entry, "failures", { ...failure.row, score: failure.score, keywords: failure.keywords });
  }
}

function relevantKnowledgeTier(tier: Tier, readings: Readings, request: ContextRequest): void {
  const top = heading("# TIER 2: Relevant Knowledge");
  if (request.domain !== undefined) {
    const domain = heading(`## Domain: ${request.domain}`);
    for (const row of readings.domainHeuristics.slice(0, SHOWN)) {
      tier.addEntry([top, domain, heading("### Heuristics:")], entryOfHeuristic(row), "domainHeuristics", row);
    }
    for (const row of readings.domainLearnings.slice(0, SHOWN)) {
      tier.addEntry(
        [top, domain, heading("### Recent Learnings:")],
        entryOfLearning(row, false),
        "domainLearnings",
        row,
      );
    }
  }
  if (request.tags !== undefined) {
    const tags = heading(`## Tag Matches: ${request.tags.join(", ")}`);
    for (const row of readings.tagMatches) tier.addEntry([top, tags], entryOfLearning(row, true), "tagMatches", row);
  }
  const sections: Array<[string, string, Row[], (row: Row) => string]> = [
    [
      "## Decisions (ADRs)",
      "decisions",
      readings.decisions,
      (row) =>
        lines(
          `- **${row.title}**${present(row.domain) ? ` (domain: ${row.domain})` : ""}`,
          `  Decision: ${clip(row.decision, 150)}`,
          `  Rationale: ${clip(row.rationale, 150)}`,
        ),
    ],
    [
      "## VIOLATED INVARIANTS",
      "violatedInvariants",
      readings.violatedInvariants,
      (row) =>
        lines(
          `- **[VIOLATED ${row.violation_count ?? 0}x] ${clip(row.statement, 100)}**`,
          `  Severity: ${row.severity} | Scope: ${row.scope}`,
          `  Rationale: ${clip(row.rationale, 100)}`,
        ),
    ],
    [
      "## Active Invariants",
      "activeInvariants",
      readings.activeInvariants,
      (row) =>
        lines(
          `- **${clip(row.statement, 100)}**${present(row.domain) ? ` (domain: ${row.domain})` : ""}`,
          `  Severity: ${row.severity} | Scope: ${row.scope}${present(row.validation_type) ? ` | Validation: ${row.validation_type}` : ""}`,
        ),
    ],
    [
      "## Active Assumptions (High Confidence)",
      "assumptions",
      readings.assumptions,
      (row) =>
        lines(
          `- **${clip(row.assumption, 100)}** (confidence: ${Math.round(Number(row.confidence ?? 0) * 100)}%` +
            `${Number(row.verified_count ?? 0) > 0 ? `, verified: ${row.verified_count}x` : ""})`,
          `  Context: ${clip(row.context, 100)}`,
          `  Source: ${row.source ?? ""}`,
        ),
    ],
    [
      "## Challenged/Invalidated Assumptions",
      "challengedAssumptions",
      readings.challengedAssumptions,
      (row) =>
        lines(
          `- **[${String(row.status).toUpperCase()}]** ${clip(row.assumption, 80)}`,
          `  Challenged ${row.challenged_count ?? 0}x` +
            `${Number(row.verified_count ?? 0) > 0 ? `, verified ${row.verified_count}x` : ""}` +
            ` | Confidence: ${Math.round(Number(row.confidence ?? 0) * 100)}%`,
          `  Original context: ${clip(row.context, 80)}`,
        ),
    ],
    [
      "## Spike Reports (Research Knowledge)",
      "spikes",
      readings.spikes,
      (row) =>
        lines(
          `- **${row.title}**${present(row.time_invested_minutes) ? ` (${row.time_invested_minutes} min invested)` : ""}`,
          `  Topic: ${clip(row.topic, 100)}`,
          `  Findings: ${clip(row.findings, 200)}`,
          present(row.gotchas) && `  Gotchas: ${clip(row.gotchas, 100)}`,
          Number(row.usefulness_score ?? 0) > 0 && `  Usefulness: ${Number(row.usefulness_score).toFixed(1)}/5`,
        ),
    ],
  ];
  for (const [title, list, rows, entry] of sections) {
    for (const row of rows) tier.addEntry([top, heading(title)], entry(row), list, row);
  }
}

/** The ids of the learnings shown in the tiers so far. */
function learningsShown(tiers: readonly Tier[]): Set<unknown> {
  const lists = tiers.flatMap((tier) => [tier.entries.domainLearnings ?? [], tier.entries.tagMatches ?? []]);
  return new Set(lists.flat().map((row) => row.id));
}

function recentTier(tier: Tier, readings: Readings, shown: ReadonlySet<unknown>): void {
  const headings = [heading("# TIER 3: Recent Context")];
  const fresh = readings.recent.filter((row) => !shown.has(row.id)).slice(0, SHOWN_FEW);
  for (const row of fresh) {
    const entry = lines(
      `- **${row.title}** (${row.type}, ${row.created_at})`,
      present(row.summary) && `  ${row.summary}`,
    );
    tier.addEntry(headings, entry, "learnings", row);
  }
}

function experimentsAndReviewsTier(tier: Tier, readings: Readings): void {
  for (const row of readings.experiments) {
    const entry = lines(`- **${row.name}** (${row.cycles_run ?? 0} cycles)`, `  Hypothesis: ${row.hypothesis ?? ""}`);
    tier.addEntry([heading("# Active Experiments")], entry, "experiments", row);
  }
  for (const row of readings.ceoReviews) {
    const entry = lines(
      `- **${row.title}**`,
      `  Context: ${row.context ?? ""}`,
      `  Recommendation: ${row.recommendation ?? ""}`,
    );
    tier.addEntry([heading("# Pending CEO Reviews")], entry, "ceoReviews", row);
  }
}

export function buildContext(journal: ReadJournal, given: ContextRequest): ContextBriefing {
  const request = {
    ...given,
    tags: given.tags !== undefined && given.tags.length > 0 ? given.tags : undefined,
    maxTokens: Math.max(1, Math.floor(given.maxTokens) || 1),
  };
  const now = new Date();
  const readings = read(journal, request, now);
  const totalChars = request.maxTokens * CHARS_PER_TOKEN;
  const header = headerText(request);
  const headerShown = header.length <= totalChars ? header : "";
  const available = Math.floor((totalChars - headerShown.length) / CHARS_PER_TOKEN);
  const tiers: Tier[] = [];
  const details: Record<string, unknown>[] = [];
  let carried = 0;
  for (const { tier: name, share } of TIER_SHARES) {
    const tier = new Tier(name, (Math.floor(available * share) + carried) * CHARS_PER_TOKEN);
    let extra: Record<string, unknown> = {};
    if (name === "golden-rules") extra = goldenRulesTier(tier, readings, request.color);
    else if (name === "similar-failures") similarFailuresTier(tier, readings);
    else if (name === "relevant-knowledge") relevantKnowledgeTier(tier, readings, request);
    else if (name === "recent") recentTier(tier, readings, learningsShown(tiers));
    else experimentsAndReviewsTier(tier, readings);
    carried = Math.floor((tier.budgetChars - tier.usedChars) / CHARS_PER_TOKEN);
    tiers.push(tier);
    details.push({ ...tier.summary(), ...extra, entries: tier.entries });
  }
  const text = `${(headerShown + tiers.map((tier) => tier.text).join("")).trimEnd()}\n`;
  const tokens = tokensOf(text);
  return {
    text,
    tokens,
    json: {
      task: request.task ?? null,
      domain: request.domain ?? null,
      tags: request.tags ?? null,
      maxTokens: request.maxTokens,
      tokens,
      header: { tokens: tokensOf(headerShown) },
      tiers: details,
    },
  };
}
