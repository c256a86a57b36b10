// Writes a synthetic journal (test/support/synthetic-journal.ts) for the
// benchmarks of `lore sync`, and prints its counts as one JSON line:
//
//   node dist-test/generate-journal.js --records N --out DIR [--seed S]
//     [--heuristic-share F] [--elf-share F] [--domains N] [--vocabulary uniform|zipf]
//   {"failures":...,"heuristics":...,"domainFiles":...,"files":...}
//
//   node dist-test/generate-journal.js --style elf --failures N --out DIR [--seed S]
//     [--heuristics M] [--domains N]
//   {"failures":...,"failureFiles":...,"heuristics":...,"domainFiles":...,"files":...}
//                               (a journal as ELF's recorders leave it, with its
//                                database: generateElfJournal)
//
//   node dist-test/generate-journal.js --change F --out DIR [--seed S]
//   {"changed":[...paths]}      (edits a fraction F of DIR's record files, as
//                                changeSomeFiles does)
//
// The same arguments give a byte-identical journal. DIR must not already hold
// failure or heuristic files. A usage error prints a message to stderr and
// exits 2; a failure to generate (DIR already holds records, a write error)
// prints its message and exits 1. The bundle is built by
// scripts/build-test-tools.mjs (for vitest and for `npm run bench`).
import { parseArgs } from "node:util";
import { changeSomeFiles, generateElfJournal, generateJournal } from "../test/support/synthetic-journal.js";

const USAGE =
  "usage: generate-journal --records N --out DIR [--seed S] [--heuristic-share F] [--elf-share F] [--domains N]\n" +
  "       [--vocabulary uniform|zipf]\n" +
  "       generate-journal --style elf --failures N --out DIR [--seed S] [--heuristics M] [--domains N]\n" +
  "       generate-journal --change F --out DIR [--seed S]";

function fail(message: string): never {
  process.stderr.write(`generate-journal: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min)
    fail(`--${name} must be an integer ≥ ${min}`);
  return number;
}

function fraction(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !(number >= 0 && number <= 1)) fail(`--${name} must be a number in 0..1`);
  return number;
}

function main(): void {
  const flags = {
    records: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
    "heuristic-share": { type: "string" },
    "elf-share": { type: "string" },
    domains: { type: "string" },
    change: { type: "string" },
    style: { type: "string" },
    failures: { type: "string" },
    heuristics: { type: "string" },
    vocabulary: { type: "string" },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof flags; strict: true; allowPositionals: false }>>["values"];
  try {
    ({ values } = parseArgs({ options: flags, strict: true, allowPositionals: false }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (!values.out) fail("--out is required");
  const change = fraction(values.change, "change");
  if (change !== undefined) {
    try {
      process.stdout.write(
        `${JSON.stringify({ changed: changeSomeFiles(values.out, change, integer(values.seed, "seed", 0)) })}\n`,
      );
    } catch (error) {
      process.stderr.write(`generate-journal: ${(error as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  const style = values.style ?? "lore";
  if (style !== "lore" && style !== "elf") fail("--style must be lore or elf");
  if (style === "elf") {
    if (values.records !== undefined || values["heuristic-share"] !== undefined || values["elf-share"] !== undefined)
      fail("--style elf takes --failures and --heuristics, not --records or shares");
    const failures = integer(values.failures, "failures", 0);
    if (failures === undefined) fail("--failures is required with --style elf");
    const elfOptions = {
      failures,
      heuristics: integer(values.heuristics, "heuristics", 0),
      domains: integer(values.domains, "domains", 1),
      seed: integer(values.seed, "seed", 0),
    };
    try {
      process.stdout.write(`${JSON.stringify(generateElfJournal(values.out, elfOptions))}\n`);
    } catch (error) {
      process.stderr.write(`generate-journal: ${(error as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  if (values.failures !== undefined || values.heuristics !== undefined)
    fail("--failures and --heuristics go with --style elf");
  const records = integer(values.records, "records", 0);
  if (records === undefined) fail("--records is required");
  const vocabulary = values.vocabulary ?? "uniform";
  if (vocabulary !== "uniform" && vocabulary !== "zipf") fail("--vocabulary must be uniform or zipf");
  const options = {
    vocabulary: vocabulary as "uniform" | "zipf",
    records,
    seed: integer(values.seed, "seed", 0),
    heuristicShare: fraction(values["heuristic-share"], "heuristic-share"),
    elfShare: fraction(values["elf-share"], "elf-share"),
    domains: integer(values.domains, "domains", 1),
  };
  try {
    process.stdout.write(`${JSON.stringify(generateJournal(values.out, options))}\n`);
  } catch (error) {
    process.stderr.write(`generate-journal: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

main();
