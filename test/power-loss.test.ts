// The power-loss simulator (test/support/power-loss.ts), bounded: every
// scenario of test/support/power-loss-scenarios.ts cut short after each of its
// operations, with everything not yet durable lost (a power loss at its
// worst; `npm run powerloss` tries the other combinations). Every invariant
// must hold, except those KNOWN_VIOLATIONS lists, which must still be found
// (each is a test that fails while the violation is there: once a fix lands,
// it fails, and its entry goes). Taking every file fsync, or every directory
// fsync, out of a record, or out of records sent together to `lore mcp` (one
// write transaction for all), must make the simulator find an acknowledged
// record lost or torn, and out of a validation, an acknowledged validation
// uncounted.
// And no file in src/ changes files except through the seam.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  describeViolations,
  type Exploration,
  type ExploreOptions,
  explore,
  gitRunIsDurable,
} from "./support/power-loss.js";
import { KNOWN_VIOLATIONS, MCP_TOGETHER, SCENARIOS, VALIDATE, WITHOUT_GIT } from "./support/power-loss-scenarios.js";

const BOUNDED: ExploreOptions = { combinations: 1, seed: 1 };
const OMITTED = ["file-fsync", "dir-fsync"] as const;
const SCENARIOS_HERE = [...SCENARIOS, WITHOUT_GIT, MCP_TOGETHER];
const results = new Map<string, Exploration>();

/** Runs `tasks` two at a time (each journal has a path of its own; the machine has 2 cores). */
async function twoAtATime(tasks: Array<() => Promise<void>>): Promise<void> {
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all([worker(), worker()]);
}

describe("the power-loss simulator, bounded", () => {
  beforeAll(async () => {
    await twoAtATime([
      ...SCENARIOS_HERE.map((scenario) => async () => {
        results.set(scenario.name, await explore(scenario, BOUNDED));
      }),
      ...OMITTED.flatMap((omit) => [
        async () => {
          results.set(omit, await explore(WITHOUT_GIT, { ...BOUNDED, omit }));
        },
        async () => {
          results.set(`${VALIDATE.name} ${omit}`, await explore(VALIDATE, { ...BOUNDED, omit }));
        },
        async () => {
          results.set(`${MCP_TOGETHER.name} ${omit}`, await explore(MCP_TOGETHER, { ...BOUNDED, omit }));
        },
      ]),
    ]);
    const states = [...results.values()].reduce((sum, result) => sum + result.states, 0);
    const violations = [...results.values()].reduce((sum, result) => sum + result.violations.length, 0);
    const omitted = OMITTED.flatMap((omit) => [omit, `${VALIDATE.name} ${omit}`]).reduce(
      (sum, key) => sum + (results.get(key) as Exploration).violations.length,
      0,
    );
    console.log(
      `power-loss simulator (bounded): states explored: ${states}, violations: ${violations} (${omitted} with an fsync taken out)`,
    );
  }, 600_000);

  describe.each(SCENARIOS_HERE)("power loss during $name", (scenario) => {
    const known = KNOWN_VIOLATIONS[scenario.name] ?? {};
    const result = () => results.get(scenario.name) as Exploration;

    it("leaves a state the next commands make whole, wherever it strikes", () => {
      expect(result().states).toBeGreaterThan(1);
      const unknown = result().violations.filter((violation) => !(violation.invariant in known));
      expect(describeViolations(unknown)).toEqual([]);
    });

    for (const [invariant, why] of Object.entries(known)) {
      it.fails(`holds "${invariant}" (known to fail today: ${why})`, () => {
        const found = result().violations.filter((violation) => violation.invariant === invariant);
        expect(describeViolations(found)).toEqual([]);
      });
    }
  });

  describe("an fsync taken out of a record", () => {
    it.each(OMITTED)("without any %s, the simulator finds an acknowledged record lost or torn", (omit) => {
      const found = (results.get(omit) as Exploration).violations.filter(
        (violation) => violation.invariant === "lost" || violation.invariant === "torn",
      );
      expect(describeViolations(found)).not.toEqual([]);
    });

    it.each(OMITTED)(
      "without any %s in records sent together to lore mcp, the simulator finds one lost or torn",
      (omit) => {
        const found = (results.get(`${MCP_TOGETHER.name} ${omit}`) as Exploration).violations.filter(
          (violation) => violation.invariant === "lost" || violation.invariant === "torn",
        );
        expect(describeViolations(found)).not.toEqual([]);
      },
    );

    it.each(OMITTED)("without any %s in a validation, the simulator finds an acknowledged one uncounted", (omit) => {
      const found = (results.get(`${VALIDATE.name} ${omit}`) as Exploration).violations.filter(
        (violation) => violation.invariant === "uncounted",
      );
      expect(describeViolations(found)).not.toEqual([]);
    });
  });
});

describe("git as one unit", () => {
  it("counts a git run durable only when core.fsync covers objects, refs and the index", () => {
    expect(gitRunIsDurable(["git", "-c", "core.fsync=all", "-c", "core.fsyncMethod=fsync", "commit"])).toBe(true);
    expect(gitRunIsDurable(["git", "-c", "core.fsync=committed,index", "add"])).toBe(true);
    expect(gitRunIsDurable(["git", "-c", "core.fsync=committed", "commit"])).toBe(false);
    expect(gitRunIsDurable(["git", "-c", "core.fsync=all,-index", "commit"])).toBe(false);
    expect(gitRunIsDurable(["git", "-C", "/repo", "commit"])).toBe(false);
  });
});

/** The `fs` calls that change what a disk holds (metadata such as times and modes aside). */
const CHANGING_CALL =
  /\bfs\.(?:(?:writeFile|appendFile|write|fsync|fdatasync|rename|link|symlink|unlink|mkdir|mkdtemp|rmdir|rm|cp|copyFile|truncate|ftruncate)(?:Sync)?\(|openSync\([^)]*,\s*["'`](?!r["'`]))/;

/**
 * The modules that may call fs's changing calls: the seam itself, and the
 * writer of a read command's answer, which writes only to the standard
 * output and error descriptors (never a file of the journal).
 */
const BESIDE_THE_SEAM = [path.join("io", "file-system.ts"), path.join("base", "sync-output.ts")];

describe("the file-system seam", () => {
  it("is the only module of src/ that changes files through fs", () => {
    const root = path.resolve(import.meta.dirname, "..", "src");
    const offenders: string[] = [];
    const walk = (directory: string) => {
      for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
        const file = path.join(directory, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith(".ts") && !BESIDE_THE_SEAM.includes(path.relative(root, file))) {
          fs.readFileSync(file, "utf8")
            .split("\n")
            .forEach((line, index) => {
              if (CHANGING_CALL.test(line) || /from "node:fs\/promises"/.test(line))
                offenders.push(`${path.relative(root, file)}:${index + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
