/**
 * `lore golden`: the golden rules and the candidates, with the numbers that
 * qualify each; `lore golden promote ID` and `lore golden demote ID`; and
 * `lore golden --auto`, every candidate promoted (feedback/golden-rules.ts).
 * Text for a person, or `--json`. The listing reads the journal in a
 * session (under the lock, so it never sees a promotion half made); each
 * change is a journal transaction and a git commit of its own. An id naming
 * no heuristic, or an action other than promote or demote, exits 2; a change
 * made whose git commit failed exits 5 (the next lore command commits it).
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

export async function runGoldenCommand(args: GoldenArgs): Promise<ExitCodeValue> {
  const now = new Date();
  const [action, reference, ...rest] = args._;
  if (action !== undefined && action !== "promote" && action !== "demote") {
    throw new InvalidFieldError("ACTION", `must be promote or demote (got ${quoted(action)})`);
  }
  if (action !== undefined && reference === undefined)
    throw new InvalidFieldError("ID", `name the heuristic to ${action}`);
  if (rest.length > 0) throw new InvalidFieldError("ID", `one heuristic at a time (got ${quoted(rest[0])} too)`);
  if (action !== undefined && args.auto) throw new InvalidFieldError("--auto", `goes without ${action}`);
  const options = sessionOptionsFrom(args, process.env);
  const layout = locateJournal({ base: args.base, env: process.env, cwd: process.cwd() });
  const outcome = await withJournalSession(layout, options, async (session) => {
    if ((action !== undefined || args.auto) && !session.repo && !options.noCommit) {
      warn(`${layout.base} is not inside a git work tree: changed without a commit (--no-commit silences this)`);
    }
    if (args.auto) return { changes: await promoteCandidates(session, now) };
    if (action !== undefined) {
      return {
        changes: [await changeGolden(session, action === "promote" ? "promoted" : "demoted", reference as string, now)],
      };
    }
    return { listing: goldenStandings(session.db.sqlite) };
  });
  if ("listing" in outcome && outcome.listing) {
    const { golden, candidates } = outcome.listing;
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ criteria: GOLDEN_CRITERIA, golden: golden.map(standingJson), candidates: candidates.map(standingJson) })}\n`
        : `${[
            `Golden rules (${golden.length}):`,
            ...golden.map(line),
            `Candidates (${candidates.length}; ${CRITERIA}):`,
            ...candidates.map(line),
          ].join("\n")}\n`,
    );
    return ExitCode.Ok;
  }
  const changes = outcome.changes ?? [];
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ changes: changes.map(changeJson) })}\n`
      : `${changes.length === 0 ? "No heuristic qualifies: nothing promoted." : changes.map(changeLine).join("\n")}\n`,
  );
  const failed = changes.find((change) => change.commitError);
  if (failed?.commitError) {
    process.stderr.write(
      `lore golden: changed, but the git commit failed: ${messageFor(failed.commitError)}; ` +
        "the next lore command commits it (do not change it again)\n",
    );
    return ExitCode.CommitPending;
  }
  return ExitCode.Ok;
}
