/**
 * The work of lore's git hooks, once `lore hook` (commands/hook.ts,
 * src/hooks/hook-runner.ts) has decided there is some: pre-commit checks the
 * staged journal files (src/hooks/staged-check.ts) and refuses the commit with
 * one line per problem; the other hooks bring the index up to date with a
 * quiet `lore sync --fix`.
 *
 *   const code = await runGitHookWork(name, layout);
 *
 * Resolves to the hook's exit code: 1 only for a refused pre-commit. Never
 * throws: a sync that fails says so in one line on stderr and lets git finish.
 * Part of the on-demand bundle dist/sync-and-hooks.js (sync-and-hooks.ts).
 */
import type { JournalLayout } from "../journal/layout.js";
import { stagedJournalProblems } from "../hooks/staged-check.js";
import { runSync } from "../sync/run-sync.js";
import { countedFindings } from "../sync/report.js";
import { messageFor } from "../base/errors.js";
import { sessionOptionsFrom } from "./journal-options.js";

export async function runGitHookWork(name: string, layout: JournalLayout): Promise<number> {
  try {
    if (name === "pre-commit") {
      const problems = await stagedJournalProblems(layout);
      if (problems.length === 0) return 0;
      process.stderr.write(
        `${problems.map((problem) => `lore pre-commit: ${problem}`).join("\n")}\nlore pre-commit: commit refused; fix the files above, then commit again\n`,
      );
      return 1;
    }
    const session = sessionOptionsFrom({ json: false, commit: true }, process.env);
    const report = await runSync(layout, {
      mode: "fix",
      restore: false,
      prune: false,
      rebuild: false,
      full: false,
      prefer: undefined,
      timeoutMs: session.timeoutMs,
      staleMs: session.staleMs,
      noCommit: false,
      checkCommitted: false,
    });
    const left = countedFindings(report.remaining);
    if (left.length > 0) {
      process.stderr.write(
        `lore ${name}: the journal index is in sync except ${left.length} finding(s) that need a person; see \`lore sync\`\n`,
      );
    }
  } catch (error) {
    process.stderr.write(
      `lore ${name}: could not bring the journal index up to date (${messageFor(error)}); git goes on, run \`lore sync --fix\` later\n`,
    );
  }
  return 0;
}
