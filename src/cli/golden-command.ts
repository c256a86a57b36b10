/**
 * `lore golden`: the golden rules and the candidates, with the numbers that
 * qualify each; `lore golden promote ID` and `lore golden demote ID`; and
 * `lore golden --auto`, every candidate promoted (feedback/golden-rules.ts).
 * Text for a person, or `--json`. The listing reads the journal in a
 * session (under the lock, so it never sees a promotion half made); each
 * change is a journal transaction and a git commit of its own. An id naming
 * no heuristic, or an action other than promote or demote, exits 2; a change
 * made whose git commit failed exits 5 (the next lore command commits it).
 * `goldenRequest` (the arguments' checks), `goldenWork` (the work in a
 * session) and `goldenJson` serve `lore mcp`'s golden tool too.
 */
import { ExitCode, type ExitCodeValue, InvalidFieldError, messageFor, quoted } from "../base/errors.js";
import { warn } from "../base/warn.js";
import type { HeuristicStanding } from "../db/feedback-rows.js";
import {
  changeGolden,
  GOLDEN_CRITERIA,
  type GoldenChange,
  goldenStandings,
  promoteCandidates,
} from "../feedback/golden-rules.js";
import { locateJournal } from "../journal/layout.js";
import { withJournalSession } from "../txn/journal-session.js";
import type { JournalSession } from "../txn/session.js";
import { standingJson } from "./feedback-command.js";
import { type JournalArgs, sessionOptionsFrom } from "./journal-options.js";

export interface GoldenArgs extends JournalArgs {
  /** `[action] [id]`: nothing, or promote|demote and an id. */
  _: string[];
  auto: boolean;
}

const CRITERIA =
  `confidence >= ${GOLDEN_CRITERIA.confidence}, at least ${GOLDEN_CRITERIA.validations} validations, ` +
  `no violation or more than ${GOLDEN_CRITERIA.validationsPerViolation} validations per violation`;

function line(row: HeuristicStanding): string {
  const ratio =
    row.timesViolated === 0 ? "no violation" : `${(row.timesValidated / row.timesViolated).toFixed(1)} per violation`;
  return (
    `  H-${row.id} [${row.key.domain}] ${row.key.rule} ` +
    `(confidence ${Number(row.confidence.toFixed(4))}, validated ${row.timesValidated}x, violated ${row.timesViolated}x, ${ratio})`
  );
}

function changeLine(change: GoldenChange): string {
  const { heuristic: row } = change;
  if (!change.changed)
    return `H-${row.id} is ${change.verdict === "promoted" ? "already" : "not"} golden: nothing to do`;
  const file = change.rulesFileChanged
    ? change.verdict === "promoted"
      ? "; added to memory/golden-rules.md"
      : "; taken out of memory/golden-rules.md"
    : change.verdict === "demoted"
      ? "; memory/golden-rules.md holds no rule lore wrote for it (a rule written by hand stays)"
      : "";
  return `H-${row.id} ${change.verdict}: [${row.key.domain}] ${row.key.rule}${file}${change.commit ? ` (commit ${change.commit.slice(0, 12)})` : ""}`;
}

function changeJson(change: GoldenChange): Record<string, unknown> {
  return {
    verdict: change.verdict,
    changed: change.changed,
    rulesFileChanged: change.rulesFileChanged,
    heuristic: standingJson(change.heuristic),
    commit: change.commit,
  };
}

/** What `lore golden` is asked: the listing, a promotion or demotion of one heuristic, or `--auto`. */
export type GoldenRequest =
  | { action: "promote" | "demote"; reference: string }
  | { action: "auto" }
  | { action: "list" };

/** The request of `[action] [id] [more...]` and `--auto`; InvalidFieldError naming ACTION, ID or --auto. */
export function goldenRequest(
  action: string | undefined,
  reference: string | undefined,
  rest: string[],
  auto: boolean,
): GoldenRequest {
  if (action !== undefined && action !== "promote" && action !== "demote") {
    throw new InvalidFieldError("ACTION", `must be promote or demote (got ${quoted(action)})`);
  }
  if (action !== undefined && reference === undefined)
    throw new InvalidFieldError("ID", `name the heuristic to ${action}`);
  if (rest.length > 0) throw new InvalidFieldError("ID", `one heuristic at a time (got ${quoted(rest[0])} too)`);
  if (action !== undefined && auto) throw new InvalidFieldError("--auto", `goes without ${action}`);
  if (action !== undefined) return { action, reference: reference as string };
  return auto ? { action: "auto" } : { action: "list" };
}

export type GoldenOutcome = { listing: ReturnType<typeof goldenStandings> } | { changes: GoldenChange[] };

/** The request's work, in a journal session: the listing read under the lock, or each change made. */
export async function goldenWork(session: JournalSession, request: GoldenRequest, now: Date): Promise<GoldenOutcome> {
  if (request.action === "auto") return { changes: await promoteCandidates(session, now) };
  if (request.action === "list") return { listing: goldenStandings(session.db.sqlite) };
  const verdict = request.action === "promote" ? "promoted" : "demoted";
  return { changes: [await changeGolden(session, verdict, request.reference, now)] };
}

/** The outcome as `--json` shows it (and `lore mcp`'s golden tool). */
export function goldenJson(outcome: GoldenOutcome): Record<string, unknown> {
  if ("listing" in outcome) {
    const { golden, candidates } = outcome.listing;
    return { criteria: GOLDEN_CRITERIA, golden: golden.map(standingJson), candidates: candidates.map(standingJson) };
  }
  return { changes: outcome.changes.map(changeJson) };
}

export async function runGoldenCommand(args: GoldenArgs): Promise<ExitCodeValue> {
  const now = new Date();
  const [action, reference, ...rest] = args._;
  const request = goldenRequest(action, reference, rest, args.auto);
  const options = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  const outcome = await withJournalSession(layout, options, async (session) => {
    if (request.action !== "list" && !session.repo && !options.noCommit) {
      warn(`${layout.base} is not inside a git work tree: changed without a commit (--no-commit silences this)`);
    }
    return goldenWork(session, request, now);
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(goldenJson(outcome))}\n`);
  } else if ("listing" in outcome) {
    const { golden, candidates } = outcome.listing;
    process.stdout.write(
      `${[
        `Golden rules (${golden.length}):`,
        ...golden.map(line),
        `Candidates (${candidates.length}; ${CRITERIA}):`,
        ...candidates.map(line),
      ].join("\n")}\n`,
    );
  } else {
    const { changes } = outcome;
    process.stdout.write(
      `${changes.length === 0 ? "No heuristic qualifies: nothing promoted." : changes.map(changeLine).join("\n")}\n`,
    );
  }
  const failed = "changes" in outcome ? outcome.changes.find((change) => change.commitError) : undefined;
  if (failed?.commitError) {
    process.stderr.write(
      `lore golden: changed, but the git commit failed: ${messageFor(failed.commitError)}; ` +
        "the next lore command commits it (do not change it again)\n",
    );
    return ExitCode.CommitPending;
  }
  return ExitCode.Ok;
}
