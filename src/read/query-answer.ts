/**
 * One `lore query` run: the mode's reads, in one snapshot, and what to print.
 *
 *   const answer = answerQuery(journal, input, mode, new Date());
 *   process.stdout.write(answer.stdout); process.stderr.write(answer.stderr);
 *
 * Each mode as query.py runs it (query-selections.ts, formatted by
 * output-formats.ts), with these outputs of its own: `--golden-rules` prints
 * the file (golden-rules.ts), `--accountability-banner` the box
 * (accountability-banner.ts), `--context` the briefing (context.ts); these
 * three ignore --format, as query.py does. `--assumptions` that finds none,
 * without asking for the challenged ones, lists the challenged and
 * invalidated instead, as query.py does: its line
 * `--- Challenged/Invalidated Assumptions ---` goes before them on stdout in
 * text, and to stderr with json and csv, which keeps stdout one JSON value or
 * one table. Writes nothing; throws what the reads throw.
 */
import { accountabilityBanner } from "./accountability-banner.js";
import { buildContext } from "./context.js";
import { readGoldenRules } from "./golden-rules.js";
import { formatResult, type QueryResult } from "./output-formats.js";
import type { QueryInput, QueryMode } from "./query-input.js";
import {
  activeExperiments,
  assumptionsWith,
  challengedAssumptions,
  decisionsWith,
  fallsBackToChallenged,
  invariantsWith,
  journalStats,
  knowledgeOfDomain,
  learningsWithTags,
  pendingCeoReviews,
  recentLearnings,
  spikeReports,
  violationSummary,
} from "./query-selections.js";
import type { ReadJournal } from "./read-journal.js";

export interface QueryAnswer {
  stdout: string;
  stderr: string;
}

const CHALLENGED_LINE = "--- Challenged/Invalidated Assumptions ---";

/** A mode's result: data to format, or text printed as it is. */
type ModeResult = { data: QueryResult; note?: string } | { text: string };

function resultOf(journal: ReadJournal, input: QueryInput, mode: QueryMode, now: Date): ModeResult {
  const { domain, tags, limit } = input;
  // A mode runs only when its flag was given, so its value is set (query-input.ts).
  const given = <T>(value: T | undefined): T => value as T;
  switch (mode) {
    case "context":
      return { text: buildContext(journal, { domain, tags, maxTokens: input.maxTokens, color: input.color }).text };
    case "golden-rules":
      return { text: readGoldenRules(journal.layout) };
    case "accountability-banner":
      return { text: accountabilityBanner(violationSummary(journal, 7, now)) };
    case "decisions":
      return { data: decisionsWith(journal, { status: input.decisionStatus, domain, limit }) };
    case "spikes":
      return { data: spikeReports(journal, { domain, tags, limit }) };
    case "assumptions": {
      const status = input.assumptionStatus;
      const found = assumptionsWith(journal, { status, minConfidence: input.minConfidence, domain, limit });
      if (!fallsBackToChallenged(status, found)) return { data: found };
      return { data: challengedAssumptions(journal, { domain, limit }), note: CHALLENGED_LINE };
    }
    case "invariants":
      return {
        data: invariantsWith(journal, {
          status: input.invariantStatus,
          domain,
          scope: input.invariantScope,
          severity: input.invariantSeverity,
          limit,
        }),
      };
    case "domain":
      return { data: knowledgeOfDomain(journal, given(domain), limit) };
    case "tags":
      return { data: learningsWithTags(journal, given(tags), limit) };
    case "recent":
      return {
        data: recentLearnings(journal, { limit: given(input.recent), days: input.days, now, type: input.type }),
      };
    case "experiments":
      return { data: activeExperiments(journal) };
    case "ceo-reviews":
      return { data: pendingCeoReviews(journal) };
    case "stats":
      return { data: journalStats(journal, now) };
    case "violations":
      return { data: violationSummary(journal, input.violationDays, now) };
  }
}

export function answerQuery(journal: ReadJournal, input: QueryInput, mode: QueryMode, now: Date): QueryAnswer {
  const result = journal.snapshot(() => resultOf(journal, input, mode, now));
  if ("text" in result) return { stdout: result.text, stderr: "" };
  const formatted = formatResult(result.data, input.format);
  if (result.note === undefined) return { stdout: formatted, stderr: "" };
  if (input.format === "text") return { stdout: `${result.note}\n${formatted}`, stderr: "" };
  return { stdout: formatted, stderr: `${result.note}\n` };
}
