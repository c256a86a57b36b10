/**
 * `npm run powerloss -- [--combinations N|all] [--seed X] [--scenario TEXT]... [--omit file-fsync|dir-fsync] [--keep]`:
 * the power-loss simulator's long profile (test/support/power-loss.ts).
 *
 * Runs every scenario of test/support/power-loss-scenarios.ts (or those whose
 * name contains one of the `--scenario` texts), each command cut short at
 * every operation, with up to `--combinations` loss combinations per crash
 * point (default 16; `all`: every one, up to 2^12), sampled with `--seed`
 * (default 1). `--omit` takes every file or directory fsync out of the
 * command under test (LORE_FS_OMIT), to see what the simulator finds then.
 *
 * Prints a table (operations, crash states considered, distinct states
 * checked, violations, of which known), one line per violation found (by
 * invariant and crash point), and `states explored: N, violations: M`.
 * Exits 1 when a violation is not among KNOWN_VIOLATIONS or KNOWN_WHERE_SOME_SURVIVE,
 * 0 otherwise.
 */
import { parseArgs } from "node:util";
import { describeViolations, type Exploration, explore, INVARIANTS } from "../support/power-loss.js";
import { KNOWN_WHERE_SOME_SURVIVE, KNOWN_VIOLATIONS, SCENARIOS, WITHOUT_GIT } from "../support/power-loss-scenarios.js";

function options() {
  const { values } = parseArgs({
    options: {
      combinations: { type: "string", default: "16" },
      seed: { type: "string", default: "1" },
      scenario: { type: "string", multiple: true },
      omit: { type: "string" },
      keep: { type: "boolean", default: false },
    },
    strict: true,
  });
  const fail = (message: string): never => {
    process.stderr.write(`powerloss: ${message}\n`);
    process.exit(2);
  };
  const combinations =
    values.combinations === "all" ? ("all" as const) : Number.parseInt(values.combinations as string, 10);
  if (combinations !== "all" && !(combinations >= 1)) fail("--combinations must be a positive number, or all");
  const seed = Number.parseInt(values.seed as string, 10);
  if (!Number.isFinite(seed)) fail("--seed must be a number");
  if (values.omit !== undefined && values.omit !== "file-fsync" && values.omit !== "dir-fsync")
    fail("--omit must be file-fsync or dir-fsync");
  return {
    combinations,
    seed,
    filters: values.scenario ?? [],
    omit: values.omit as "file-fsync" | "dir-fsync" | undefined,
    keep: values.keep as boolean,
  };
}

const chosen = options();
const scenarios = [...SCENARIOS, WITHOUT_GIT].filter(
  (scenario) => chosen.filters.length === 0 || chosen.filters.some((text) => scenario.name.includes(text)),
);
const results: Exploration[] = [];
let unexpected = 0;
process.stdout.write(
  `power-loss simulator: ${scenarios.length} scenarios, ${chosen.combinations} combinations per crash point, seed ${chosen.seed}${chosen.omit ? `, ${chosen.omit} omitted` : ""}\n\n`,
);
for (const scenario of scenarios) {
  const started = Date.now();
  const result = await explore(scenario, {
    combinations: chosen.combinations,
    seed: chosen.seed,
    omit: chosen.omit,
    keep: chosen.keep,
    onState: (checked, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${scenario.name}: ${checked}/${total} states`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  results.push(result);
  const known = { ...KNOWN_WHERE_SOME_SURVIVE[scenario.name], ...KNOWN_VIOLATIONS[scenario.name] };
  const knownCount = result.violations.filter((violation) => violation.invariant in known).length;
  unexpected += result.violations.length - knownCount;
  process.stdout.write(
    `${scenario.name}: ${result.operations} operations, ${result.considered} crash states, ${result.states} distinct states checked, ${result.violations.length} violations (${knownCount} known), ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  for (const line of describeViolations(result.violations)) process.stdout.write(`  ${line}\n`);
  for (const [invariant, why] of Object.entries(known)) process.stdout.write(`  known ${invariant}: ${why}\n`);
}
const states = results.reduce((sum, result) => sum + result.states, 0);
const violations = results.reduce((sum, result) => sum + result.violations.length, 0);
process.stdout.write("\ninvariants:\n");
for (const [invariant, meaning] of Object.entries(INVARIANTS)) process.stdout.write(`  ${invariant}: ${meaning}\n`);
process.stdout.write(`states explored: ${states}, violations: ${violations} (${violations - unexpected} known)\n`);
process.exit(unexpected > 0 ? 1 : 0);
