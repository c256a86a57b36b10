// `npm run bench:against -- DIR`: this lore's record speed against another
// checkout of lore (built, e.g. the commit before a change), interleaved.
//
// Each round runs both, in alternating order, so that the machine's noise
// falls on both alike: one record-failure (git commit included) in a journal
// of its own per build, ROUNDS rounds; and 20 writers started at once in a
// fresh journal per build, PARALLEL_ROUNDS rounds. Prints the medians, the
// ratio this/other.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const other = process.argv[2];
if (!other || !fs.existsSync(path.join(other, "dist", "lore.js"))) {
  console.error("usage: npm run bench:against -- DIR   (DIR: another lore checkout, built with npm run build)");
  process.exit(2);
}
const builds = { this: path.resolve(import.meta.dirname, ".."), other: path.resolve(other) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const PARALLEL_ROUNDS = Number(process.env.BENCH_PARALLEL_ROUNDS ?? 7);
const WRITERS = 20;

const env = { ...process.env };
for (const key of Object.keys(env))
  if (/^(FAILURE_|HEURISTIC_|LORE_|GIT_DIR|GIT_INDEX_FILE)/.test(key)) delete env[key];

function git(cwd, args) {
  return execFileSync("git", args, { cwd, env, encoding: "utf8" });
}

/** Runs one command; its exit code, wall time and the CPU time of it and its children (from /proc on exit). */
function run(args, cwd) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: Number(process.hrtime.bigint() - started) / 1e6, stderr }));
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function newJournal(root) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lore-against-"));
  git(dir, ["init", "-q"]);
  git(dir, ["config", "user.name", "lore bench"]);
  git(dir, ["config", "user.email", "bench@example.invalid"]);
  git(dir, ["config", "commit.gpgsign", "false"]);
  const init = await run([path.join(root, "bin", "lore.js"), "init"], dir);
  if (init.code !== 0) throw new Error(`lore init failed: ${init.stderr}`);
  // An older lore's init may not write golden-rules.md.
  const written = [".gitignore", "memory/golden-rules.md"].filter((file) => fs.existsSync(path.join(dir, file)));
  git(dir, ["add", ...written]);
  git(dir, ["commit", "-q", "-m", "journal"]);
  return dir;
}

async function record(root, journal, title, summary) {
  const args = [path.join(root, "bin", "lore.js"), "record-failure", "--title", title, "--domain", "Bench"];
  const result = await run([...args, "--summary", summary], journal);
  if (result.code !== 0) throw new Error(`record-failure (${root}) failed: ${result.stderr}`);
  return result.ms;
}

const order = (round) => (round % 2 === 0 ? ["this", "other"] : ["other", "this"]);
const journals = { this: await newJournal(builds.this), other: await newJournal(builds.other) };
const single = { this: [], other: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const name of order(round))
    single[name].push(await record(builds[name], journals[name], `bench ${round}`, "one"));
}

const parallel = { this: [], other: [] };
for (let round = 0; round < PARALLEL_ROUNDS; round++) {
  for (const name of order(round)) {
    const journal = await newJournal(builds[name]);
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: WRITERS }, (_, index) => record(builds[name], journal, "parallel", `writer ${index}`)),
    );
    const commits = Number(git(journal, ["rev-list", "--count", "HEAD"]).trim()) - 1;
    if (commits !== WRITERS) throw new Error(`${name}: ${commits} commits for ${WRITERS} writers`);
    parallel[name].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;
const row = (label, values) =>
  `| ${label} | ${fmt(median(values.this))} | ${fmt(median(values.other))} | ${(median(values.this) / median(values.other)).toFixed(3)} |`;
console.log(`this: ${builds.this}\nother: ${builds.other}\n`);
console.log("| measure | this | other | this / other |\n| --- | --- | --- | --- |");
console.log(row(`one record-failure (median of ${ROUNDS})`, single));
console.log(row(`${WRITERS} writers at once, wall time (median of ${PARALLEL_ROUNDS})`, parallel));
