/**
 * Synthetic journals, for the tests and benchmarks of `lore sync` (10k and
 * 100k records).
 *
 *   const counts = generateJournal(dir, { records: 10_000, seed: 1 });
 *   // counts: { failures, heuristics, domainFiles, files }
 *   const elf = generateElfJournal(dir, { failures: 10_000, seed: 1 });
 *   // elf: { failures, failureFiles, heuristics, domainFiles, files }
 *   const changed = changeSomeFiles(dir, 0.01, 2);
 *   // changed: relative paths ("memory/failures/20250314_x.md", ...)
 *
 * `generateJournal(dir, options)` writes a fresh journal under `dir`:
 * `memory/failures/`, `memory/heuristics/` and `memory/successes/`, with no
 * database and no git repository. It guarantees:
 *   - Determinism: the same options and seed give a byte-identical tree. All
 *     randomness comes from one seeded PRNG (mulberry32); no clock, no
 *     Math.random, no crypto.
 *   - Counts: exactly round(records * heuristicShare) heuristics, the rest
 *     failures; `domainFiles` domain files (the domains that got at least one
 *     heuristic, out of `domains`); `files` = failures + domainFiles.
 *   - Failures: one file each, `YYYYMMDD_<failureSlug(title)>.md` with a date
 *     in 2024-2026; a name already taken gets `-2`, `-3`, ... as lore does
 *     (some titles deliberately recur on the same day). Each file is 0.5 to 3
 *     KB. Titles have no colon, so ELF's slug and lore's agree.
 *   - Heuristics: blocks in `memory/heuristics/<domainSlug>.md` files that
 *     start with ELF's header; H-ids are 1..N, unique across all files, in
 *     order of creation.
 *   - Two styles, mixed at random: a share `elfShare` is written as ELF wrote
 *     it (ELF's templates, no lore id, the `# TIME-FIX-3` Date comment), the
 *     rest by lore's own renderers with a unique v4-shaped lore id. Free text
 *     holds `#`, `:`, quotes and unicode; lore-style text also has lines that
 *     look like structure (`# x`, `---`, `## H-1:`, `<!-- -->`), which lore's
 *     renderer escapes. ELF-style text never starts a line with such a marker,
 *     so ELF's raw output stays parseable.
 *   - Every failure file parses with `parseFailure` and every domain file
 *     with `parseHeuristicFile`.
 * It throws when `dir` already holds failure or heuristic files.
 *
 * `generateElfJournal(dir, { failures, heuristics, seed })` writes a journal
 * as ELF's own recorders leave it: no lore id anywhere, ELF's file names and
 * raw markdown, a few hundred `## H-<id>` blocks per domain file, and ELF's
 * `memory/index.db` with the rows its scripts insert (its own comment has the
 * details). The same options give a byte-identical tree, database included.
 *
 * `changeSomeFiles(dir, fraction, seed = 1)` edits round(fraction * n) of the
 * n failure files and, separately, of the m domain files (at least one of each
 * when fraction > 0), chosen by the seeded PRNG: a failure's first summary line
 * or one heuristic's explanation gets text appended, so the content and the
 * size change and the file stays parseable. It returns the changed files'
 * paths relative to `dir` (with `/`), sorted.
 *
 * Writes are synchronous (fs.writeFileSync); each domain file is built in
 * memory and written once.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { renderFailure } from "../../src/journal/failure-markdown.js";
import { renderDomainHeader, renderHeuristicBlock } from "../../src/journal/heuristic-markdown.js";
import { domainSlug, failureSlug } from "../../src/journal/slug.js";
import { ELF_FAILURE_SECTIONS, ELF_SCHEMA } from "./elf-format.js";
import { Prng } from "./prng.js";

export interface SyntheticJournalOptions {
  records: number;
  seed?: number;
  /** Share of the records that are heuristics; default 0.4. */
  heuristicShare?: number;
  /** Number of heuristic domains; default records / 250, at least 5. */
  domains?: number;
  /** Share of the records written as ELF wrote them, without lore ids; default 0.2. */
  elfShare?: number;
  /**
   * How the text's words are drawn: `uniform` (default) from WORDS alike, so
   * every word is in a fifth of the records; `zipf` from ZIPF_WORDS words,
   * WORDS the commonest, each word's share 1/rank (Zipf's law, as in prose).
   */
  vocabulary?: "uniform" | "zipf";
}

export interface SyntheticJournalCounts {
  failures: number;
  heuristics: number;
  domainFiles: number;
  files: number;
}

const WORDS = [
  "cache",
  "lock",
  "retry",
  "timeout",
  "queue",
  "worker",
  "schema",
  "migration",
  "index",
  "query",
  "transaction",
  "commit",
  "branch",
  "merge",
  "rebase",
  "build",
  "bundle",
  "deploy",
  "release",
  "rollback",
  "config",
  "secret",
  "token",
  "session",
  "cookie",
  "header",
  "request",
  "response",
  "payload",
  "stream",
  "buffer",
  "socket",
  "connection",
  "pool",
  "thread",
  "process",
  "signal",
  "handler",
  "callback",
  "promise",
  "async",
  "await",
  "event",
  "listener",
  "hook",
  "plugin",
  "module",
  "package",
  "dependency",
  "version",
  "lockfile",
  "registry",
  "mirror",
  "proxy",
  "gateway",
  "router",
  "endpoint",
  "service",
  "client",
  "server",
  "database",
  "table",
  "column",
  "row",
  "record",
  "journal",
  "log",
  "metric",
  "trace",
  "span",
  "alert",
  "dashboard",
  "probe",
  "health",
  "check",
  "test",
  "fixture",
  "mock",
  "stub",
  "snapshot",
  "assertion",
  "flaky",
  "race",
  "deadlock",
  "leak",
  "overflow",
  "underflow",
  "encoding",
  "locale",
  "timezone",
  "clock",
  "date",
  "path",
  "symlink",
  "permission",
  "quota",
  "disk",
  "volume",
  "container",
  "image",
  "cluster",
  "node",
  "replica",
  "shard",
  "partition",
  "backup",
  "restore",
  "archive",
  "upload",
  "download",
  "parser",
  "lexer",
  "compiler",
  "linter",
  "formatter",
  "type",
  "interface",
  "generic",
  "null",
  "undefined",
  "silently",
  "always",
  "never",
  "again",
  "after",
  "before",
  "during",
  "without",
  "with",
  "when",
  "failed",
  "broke",
  "dropped",
  "ignored",
  "skipped",
  "corrupted",
  "duplicated",
  "stalled",
  "crashed",
  "hung",
  "the",
  "a",
  "our",
  "every",
  "stale",
  "missing",
  "wrong",
  "partial",
  "empty",
  "large",
  "production",
  "staging",
  "local",
  "remote",
  "nightly",
  "weekly",
  "manual",
  "automatic",
  "shared",
  "global",
];

/** Tokens with the characters that free text really holds: `#`, `:`, quotes, unicode. */
const SPECIAL_TOKENS = [
  "#42",
  "issue #1337",
  "C#",
  "key: value",
  "note:",
  "ratio 3:1",
  '"quoted"',
  "'single'",
  "it's",
  "`npm ci`",
  "café",
  "naïve",
  "Zürich",
  "→",
  "—",
  "✓",
  "日本語",
  "💥",
  "(see above)",
  "[draft]",
  "50%",
  "a/b",
  "x*y",
  "<none>",
  "&&",
  "~/.config",
  "v2.1.0",
  "e.g.",
  "i.e.,",
  "½",
];

/** Lines that look like markdown structure; only lore's renderer (which escapes them) gets them. */
const STRUCTURAL_LINES = [
  "# Not a heading",
  "## H-7: not a real block",
  "## Root Cause",
  "---",
  "<!-- lore:id=00000000-0000-4000-8000-000000000000 -->",
  "\\# already escaped",
  "#hashtag at the start",
];

/** Title-safe tokens: no colon (ELF keeps colons in file names, lore does not). */
const TITLE_TOKENS = ["#42", '"quoted"', "'single'", "C++", "café", "v2", "—", "💥", "(again)", "it's"];

const DOMAIN_WORDS = [
  "testing",
  "git",
  "api",
  "database",
  "build",
  "deploy",
  "auth",
  "caching",
  "networking",
  "frontend",
  "backend",
  "security",
  "performance",
  "logging",
  "monitoring",
  "ci",
  "docker",
  "kubernetes",
  "migrations",
  "config",
  "python",
  "typescript",
  "rust",
  "shell",
  "windows",
  "macos",
  "linux",
  "concurrency",
  "memory",
  "storage",
  "search",
  "payments",
  "email",
  "i18n",
  "accessibility",
  "docs",
  "release",
  "dependencies",
  "packaging",
  "observability",
];
const DOMAIN_QUALIFIERS = [
  "Core",
  "Web",
  "Mobile",
  "Data",
  "Infra",
  "Platform",
  "Client",
  "Server",
  "Internal",
  "Legacy",
];

const TAGS = [
  "bug",
  "regression",
  "flaky",
  "ci",
  "prod",
  "incident",
  "perf",
  "security",
  "data-loss",
  "hotfix",
  "tooling",
  "config",
  "race",
  "windows",
  "network",
  "ux",
  "docs",
  "upgrade",
  "infra",
  "postmortem",
];
const CONFIDENCES = [0.3, 0.5, 0.6, 0.7, 0.85, 0.9];
const SOURCES = ["observation", "failure", "success", "experiment", "code-review"];
const SEVERITIES = [1, 2, 2, 3, 3, 3, 4, 4, 5];

const FIRST_DAY = Date.UTC(2024, 0, 1);
const DAYS = 366 + 365 + 365; // 2024 to 2026
const MIN_FAILURE_BYTES = 512;
const MAX_FAILURE_BYTES = 3072;

function dayString(day: number): string {
  return new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10);
}

function capitalize(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

/** The size of the `zipf` vocabulary: WORDS, then made-up words. */
const ZIPF_WORDS = 20_000;
const SYLLABLES = ["ka", "ro", "mi", "te", "su", "lo", "ne", "vi", "da", "po", "re", "shu", "gri", "fan", "tor", "lex"];

/** The rank-th word of the `zipf` vocabulary: a word of WORDS, or one made of 2 to 4 syllables. */
function zipfWord(rank: number): string {
  if (rank < WORDS.length) return WORDS[rank];
  let rest = rank - WORDS.length;
  let word = "";
  do {
    word += SYLLABLES[rest % SYLLABLES.length];
    rest = Math.floor(rest / SYLLABLES.length);
  } while (rest > 0 || word.length < 4);
  return word;
}

const zipfVocabulary = (() => {
  let cached: { words: string[]; cumulative: Float64Array } | undefined;
  return () => {
    if (!cached) {
      const cumulative = new Float64Array(ZIPF_WORDS);
      let total = 0;
      for (let rank = 0; rank < ZIPF_WORDS; rank++) cumulative[rank] = total += 1 / (rank + 1);
      for (let rank = 0; rank < ZIPF_WORDS; rank++) cumulative[rank] /= total;
      cached = { words: Array.from({ length: ZIPF_WORDS }, (_, rank) => zipfWord(rank)), cumulative };
    }
    return cached;
  };
})();

function zipfPick(rng: Prng): string {
  const { words, cumulative } = zipfVocabulary();
  const roll = rng.next();
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle] < roll) low = middle + 1;
    else high = middle;
  }
  return words[low];
}

/** How a word is drawn: the journal being generated sets it (SyntheticJournalOptions.vocabulary). */
let pickWord: (rng: Prng) => string = (rng) => rng.pick(WORDS);

/** `count` words (pickWord), capitalized, with a special token now and then (never first). */
function words(rng: Prng, count: number, specials: readonly string[], specialChance: number): string[] {
  const out = [capitalize(pickWord(rng))];
  for (let i = 1; i < count; i++) out.push(rng.chance(specialChance) ? rng.pick(specials) : pickWord(rng));
  return out;
}

function title(rng: Prng): string {
  return words(rng, rng.int(3, 12), TITLE_TOKENS, 0.04).join(" ");
}

function rule(rng: Prng): string {
  return words(rng, rng.int(3, 12), SPECIAL_TOKENS, 0.05).join(" ");
}

/** One line of prose; with `structural`, sometimes a line that looks like markdown structure. */
function textLine(rng: Prng, structural: boolean): string {
  if (structural && rng.chance(0.03)) return rng.pick(STRUCTURAL_LINES);
  const line = words(rng, rng.int(6, 28), SPECIAL_TOKENS, 0.06);
  return `${line.join(" ")}${rng.pick([".", ".", ".", "", ":", "!", "?"])}`;
}

/** `lines` lines of prose, now and then with a blank line between paragraphs. */
function text(rng: Prng, lines: number, structural: boolean): string[] {
  const out = [textLine(rng, structural)];
  for (let i = 1; i < lines; i++) {
    if (rng.chance(0.1)) out.push("");
    out.push(textLine(rng, structural));
  }
  return out;
}

function tags(rng: Prng): string {
  const count = rng.pick([0, 1, 1, 2, 2, 2, 3, 3, 4]);
  const chosen: string[] = [];
  while (chosen.length < count) {
    const tag = rng.pick(TAGS);
    if (!chosen.includes(tag)) chosen.push(tag);
  }
  return chosen.join(",");
}

/** A lowercase 8-4-4-4-12 hex id, shaped like a v4 UUID. */
function uuid(rng: Prng): string {
  let hex = "";
  for (let i = 0; i < 4; i++) hex += rng.uint32().toString(16).padStart(8, "0");
  const variant = "89ab"[parseInt(hex[16], 16) & 3];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The domains, as a user would type them (some capitalized); their slugs are unique. */
function domainNames(count: number): string[] {
  const names: string[] = [];
  const slugs = new Set<string>();
  for (let i = 0; i < count; i++) {
    const word = DOMAIN_WORDS[i % DOMAIN_WORDS.length];
    const round = Math.floor(i / DOMAIN_WORDS.length);
    const qualifier = DOMAIN_QUALIFIERS[(round - 1) % DOMAIN_QUALIFIERS.length];
    const lap = Math.floor((round - 1) / DOMAIN_QUALIFIERS.length);
    let name = round === 0 ? word : `${qualifier} ${word}${lap === 0 ? "" : ` ${lap + 1}`}`;
    if (round === 0 && i % 7 === 3) name = capitalize(name);
    const slug = domainSlug(name);
    if (slugs.has(slug)) throw new Error(`synthetic journal: domain slug "${slug}" repeats`);
    slugs.add(slug);
    names.push(name);
  }
  return names;
}

/** `value`, when it is an integer of at least `least`; else a RangeError naming it. */
function checkedCount(name: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least)
    throw new RangeError(`synthetic journal: ${name} must be an integer ≥ ${least}, got ${value}`);
  return value;
}

/** A domain index, skewed so that a few domains are large, as in real journals. */
function domainIndex(rng: Prng, count: number): number {
  const u = rng.next();
  return Math.floor(count * (rng.chance(0.5) ? u : u * u));
}

function elfFailure(record: {
  title: string;
  domain: string;
  severity: number;
  tags: string;
  summary: string;
  date: string;
}): string {
  return [
    `# ${record.title}`,
    "",
    `**Domain**: ${record.domain}`,
    `**Severity**: ${record.severity}`,
    `**Tags**: ${record.tags}`,
    `**Date**: ${record.date}  # TIME-FIX-3: Use consistent captured date`,
    "",
    "## Summary",
    "",
    record.summary,
    "",
    ...ELF_FAILURE_SECTIONS,
    "",
  ].join("\n");
}

function elfHeuristicBlock(block: {
  id: number;
  rule: string;
  confidence: number;
  source: string;
  explanation: string;
  created: string;
}): string {
  return (
    `## H-${block.id}: ${block.rule}\n\n` +
    `**Confidence**: ${block.confidence}\n` +
    `**Source**: ${block.source}\n` +
    `**Created**: ${block.created}\n\n` +
    `${block.explanation}\n\n` +
    `---\n\n`
  );
}

function share(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!(result >= 0 && result <= 1)) throw new RangeError(`synthetic journal: ${name} must be in 0..1, got ${result}`);
  return result;
}

function markdownFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith(".md"))
    .sort();
}

export function generateJournal(dir: string, options: SyntheticJournalOptions): SyntheticJournalCounts {
  const uniform = pickWord;
  if (options.vocabulary === "zipf") pickWord = zipfPick;
  try {
    return writeJournal(dir, options);
  } finally {
    pickWord = uniform;
  }
}

function writeJournal(dir: string, options: SyntheticJournalOptions): SyntheticJournalCounts {
  const records = checkedCount("records", options.records, 0);
  const heuristicShare = share(options.heuristicShare, 0.4, "heuristicShare");
  const elfShare = share(options.elfShare, 0.2, "elfShare");
  const domainCount = checkedCount("domains", options.domains ?? Math.max(5, Math.floor(records / 250)), 1);
  const rng = new Prng(options.seed ?? 1);

  const failuresDir = path.join(dir, "memory", "failures");
  const heuristicsDir = path.join(dir, "memory", "heuristics");
  for (const directory of [failuresDir, heuristicsDir]) {
    if (markdownFiles(directory).length > 0) throw new Error(`synthetic journal: ${directory} already holds records`);
  }
  for (const directory of [failuresDir, heuristicsDir, path.join(dir, "memory", "successes")]) {
    fs.mkdirSync(directory, { recursive: true });
  }

  const domains = domainNames(domainCount);
  const blocks: string[][] = domains.map(() => []);
  const names = new Set<string>();
  const loreIds = new Set<string>();
  const earlier: { title: string; day: number }[] = [];
  const newLoreId = (): string => {
    let id = uuid(rng);
    while (loreIds.has(id)) id = uuid(rng);
    loreIds.add(id);
    return id;
  };

  const heuristicCount = Math.round(records * heuristicShare);
  let heuristicsLeft = heuristicCount;
  let nextHeuristicId = 1;
  for (let left = records; left > 0; left--) {
    const isHeuristic = rng.next() * left < heuristicsLeft;
    const elf = rng.chance(elfShare);
    if (isHeuristic) {
      heuristicsLeft--;
      const domain = domainIndex(rng, domainCount);
      const block = {
        id: nextHeuristicId++,
        rule: rule(rng),
        confidence: rng.pick(CONFIDENCES),
        source: rng.pick(SOURCES),
        created: dayString(rng.int(0, DAYS - 1)),
        explanation: text(rng, rng.int(1, 5), !elf).join("\n"),
      };
      blocks[domain].push(elf ? elfHeuristicBlock(block) : renderHeuristicBlock({ ...block, loreId: newLoreId() }));
      continue;
    }
    // A failure; now and then one that recurs, sometimes on the same day (a taken name).
    const recurring = earlier.length > 0 && rng.chance(0.02) ? rng.pick(earlier) : undefined;
    const failureTitle = recurring?.title ?? title(rng);
    const day = recurring && rng.chance(0.6) ? recurring.day : rng.int(0, DAYS - 1);
    if (!recurring) earlier.push({ title: failureTitle, day });
    const summary = text(rng, rng.int(1, 10), !elf);
    const record = { loreId: elf ? "" : newLoreId(), ...failureFields(rng, failureTitle, domains, day) };
    const content = sizedFailure(rng, summary, record, elf ? elfFailure : renderFailure, !elf);
    const stem = `${record.date.replace(/-/g, "")}_${failureSlug(failureTitle)}`;
    let name = `${stem}.md`;
    for (let suffix = 2; names.has(name); suffix++) name = `${stem}-${suffix}.md`;
    names.add(name);
    fs.writeFileSync(path.join(failuresDir, name), content);
  }

  let domainFiles = 0;
  for (let i = 0; i < domainCount; i++) {
    if (blocks[i].length === 0) continue;
    const slug = domainSlug(domains[i]);
    fs.writeFileSync(path.join(heuristicsDir, `${slug}.md`), renderDomainHeader(slug) + blocks[i].join(""));
    domainFiles++;
  }
  const failures = records - heuristicCount;
  return { failures, heuristics: heuristicCount, domainFiles, files: failures + domainFiles };
}

export interface ElfJournalOptions {
  /** Failures ELF's record-failure.sh recorded (rows; a few share a file, see below). */
  failures: number;
  /** Heuristics ELF's record-heuristic.sh recorded; default round(failures * 0.2). */
  heuristics?: number;
  /** Number of heuristic domains; default heuristics / 250 (a few hundred blocks a file), at least 1. */
  domains?: number;
  seed?: number;
  /** Write ELF's `memory/index.db` with the recorders' rows; default true. */
  database?: boolean;
}

export interface ElfJournalCounts {
  failures: number;
  /** Failure files: fewer than failures when the same title was recorded twice on one day. */
  failureFiles: number;
  heuristics: number;
  domainFiles: number;
  files: number;
}

/** Title tokens that ELF's slug and lore's agree on: ASCII, and no colon. */
const ELF_TITLE_TOKENS = ["#42", '"quoted"', "'single'", "C++", "v2", "(again)", "it's", "50%", "[draft]"];

/** ELF's failure file slug (record-failure.sh): colons survive, and nothing stands in for an empty one. */
function elfFailureSlug(title: string): string {
  return title
    .toLowerCase()
    .replace(/ /g, "-")
    .replace(/[^a-z0-9:-]/g, "")
    .slice(0, 100);
}

/** A deterministic `YYYY-MM-DD HH:MM:SS` on `day`, as SQLite's CURRENT_TIMESTAMP writes it. */
function timestampOn(day: string, rng: Prng): string {
  const two = (value: number) => String(value).padStart(2, "0");
  return `${day} ${two(rng.int(0, 23))}:${two(rng.int(0, 59))}:${two(rng.int(0, 59))}`;
}

/** A failure's fields but its summary (left empty for sizedFailure), its domain one of `domains`. */
function failureFields(rng: Prng, title: string, domains: readonly string[], day: number) {
  return {
    title,
    domain: domains[domainIndex(rng, domains.length)],
    severity: rng.pick(SEVERITIES),
    tags: tags(rng),
    summary: "",
    date: dayString(day),
  };
}

/**
 * A failure's markdown, its summary (one line each, changed in place) grown or
 * cut until the file's size is within MIN_FAILURE_BYTES..MAX_FAILURE_BYTES;
 * `record.summary` is left as the summary written.
 */
function sizedFailure<T extends { summary: string }>(
  rng: Prng,
  summary: string[],
  record: T,
  render: (record: T) => string,
  structural: boolean,
): string {
  for (;;) {
    record.summary = summary.join("\n");
    const content = render(record);
    const size = Buffer.byteLength(content);
    if (size > MAX_FAILURE_BYTES && summary.length > 1) summary.pop();
    else if (size < MIN_FAILURE_BYTES) summary.push(textLine(rng, structural));
    else return content;
    while (summary.at(-1) === "") summary.pop();
  }
}

/**
 * A journal as ELF's own recorders leave it (the ELF interface,
 * elf-format.md): no lore id anywhere, ELF's markdown written raw, and the
 * rows its scripts insert, in an ELF database (ELF_SCHEMA).
 *   - Failures: one file each, `YYYYMMDD_<ELF slug>.md`, dates rising with
 *     the row ids through 2024-2026. As with ELF, the same title on the same
 *     day (about 1%) overwrites the earlier file, leaving two rows with one
 *     `filepath`; other titles recur on later days. Row: `learnings` with
 *     type `failure`, the file's path, the title, the whole summary with its
 *     line breaks turned into spaces (as ELF's recorder stores one given as a
 *     flag or variable), the tags, the domain as typed and the severity.
 *   - Heuristics: the row first, then its block appended to
 *     `memory/heuristics/<domain slug>.md` (created with ELF's header) with
 *     `H-<row id>`, except about 0.5% that show `H-0` (the id ELF reads back
 *     under contention). Row: `heuristics` with the domain slug, rule,
 *     explanation, source and confidence.
 *   - Dates in the rows (created_at, updated_at) are taken from the files, so
 *     that the database too depends only on the options and seed.
 * Throws when `dir` already holds failure or heuristic files, or a database.
 */
export function generateElfJournal(dir: string, options: ElfJournalOptions): ElfJournalCounts {
  const failureCount = checkedCount("failures", options.failures, 0);
  const heuristicCount = checkedCount("heuristics", options.heuristics ?? Math.round(failureCount * 0.2), 0);
  const domainCount = checkedCount("domains", options.domains ?? Math.max(1, Math.round(heuristicCount / 250)), 1);
  const rng = new Prng(options.seed ?? 1);

  const failuresDir = path.join(dir, "memory", "failures");
  const heuristicsDir = path.join(dir, "memory", "heuristics");
  const dbFile = path.join(dir, "memory", "index.db");
  for (const directory of [failuresDir, heuristicsDir]) {
    if (markdownFiles(directory).length > 0) throw new Error(`synthetic journal: ${directory} already holds records`);
  }
  if (fs.existsSync(dbFile)) throw new Error(`synthetic journal: ${dbFile} already exists`);
  for (const directory of [failuresDir, heuristicsDir, path.join(dir, "memory", "successes")]) {
    fs.mkdirSync(directory, { recursive: true });
  }

  const failureRows: Array<Record<string, string | number>> = [];
  const files = new Map<string, string>();
  const earlier: string[] = [];
  const domains = domainNames(domainCount);
  let previous: { title: string; day: number } | undefined;
  for (let index = 0; index < failureCount; index++) {
    let day = Math.min(DAYS - 1, Math.floor(((index + rng.next()) * DAYS) / failureCount));
    let failureTitle: string;
    if (previous && rng.chance(0.01)) {
      // Recorded again the same day: ELF overwrites the file, and the database gets a second row.
      failureTitle = previous.title;
      day = previous.day;
    } else if (earlier.length > 0 && rng.chance(0.01)) {
      failureTitle = rng.pick(earlier);
    } else {
      failureTitle = words(rng, rng.int(3, 12), ELF_TITLE_TOKENS, 0.04).join(" ");
    }
    previous = { title: failureTitle, day };
    earlier.push(failureTitle);
    const summary = text(rng, rng.int(1, 10), false);
    const record = failureFields(rng, failureTitle, domains, day);
    const content = sizedFailure(rng, summary, record, elfFailure, false);
    const name = `${record.date.replace(/-/g, "")}_${elfFailureSlug(failureTitle)}.md`;
    files.set(name, content);
    const stamp = timestampOn(record.date, rng);
    failureRows.push({
      type: "failure",
      filepath: `memory/failures/${name}`,
      title: record.title,
      summary: summary.join(" "),
      tags: record.tags,
      domain: record.domain,
      severity: record.severity,
      created_at: stamp,
      updated_at: stamp,
    });
  }
  for (const [name, content] of files) fs.writeFileSync(path.join(failuresDir, name), content);

  const slugs = domains.map(domainSlug);
  const blocks: string[][] = slugs.map(() => []);
  const heuristicRows: Array<Record<string, string | number>> = [];
  for (let index = 0; index < heuristicCount; index++) {
    const domain = domainIndex(rng, domainCount);
    const created = dayString(Math.min(DAYS - 1, Math.floor(((index + rng.next()) * DAYS) / heuristicCount)));
    const block = {
      id: rng.chance(0.005) ? 0 : index + 1,
      rule: rule(rng),
      confidence: rng.pick(CONFIDENCES),
      source: rng.pick(SOURCES),
      created,
      explanation: text(rng, rng.int(1, 5), false).join("\n"),
    };
    blocks[domain].push(elfHeuristicBlock(block));
    const stamp = timestampOn(created, rng);
    heuristicRows.push({
      domain: slugs[domain],
      rule: block.rule,
      explanation: block.explanation,
      source_type: block.source,
      confidence: block.confidence,
      created_at: stamp,
      updated_at: stamp,
    });
  }
  let domainFiles = 0;
  for (let i = 0; i < domainCount; i++) {
    if (blocks[i].length === 0) continue;
    fs.writeFileSync(path.join(heuristicsDir, `${slugs[i]}.md`), renderDomainHeader(slugs[i]) + blocks[i].join(""));
    domainFiles++;
  }

  if (options.database ?? true) writeElfDatabase(dbFile, failureRows, heuristicRows);
  return {
    failures: failureCount,
    failureFiles: files.size,
    heuristics: heuristicCount,
    domainFiles,
    files: files.size + domainFiles,
  };
}

/** ELF's database as its init makes it, with the rows inserted in order (ids 1..N in each table). */
function writeElfDatabase(
  file: string,
  failures: Array<Record<string, string | number>>,
  heuristics: Array<Record<string, string | number>>,
): void {
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  const db = new Database(file);
  try {
    db.exec(ELF_SCHEMA);
    const insertAll = (table: string, rows: Array<Record<string, string | number>>) => {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]);
      const insert = db.prepare(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((column) => `@${column}`).join(", ")})`,
      );
      for (const row of rows) insert.run(row);
    };
    db.transaction(() => {
      insertAll("learnings", failures);
      insertAll("heuristics", heuristics);
    })();
  } finally {
    db.close();
  }
}

/** `count` distinct items of `items`, chosen by `rng` (a partial Fisher-Yates shuffle). */
function sample<T>(rng: Prng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

function changeCount(total: number, fraction: number): number {
  if (fraction <= 0 || total === 0) return 0;
  return Math.min(total, Math.max(1, Math.round(total * fraction)));
}

/** The first summary line gets `mark` appended (or, with no summary, becomes it). */
function changeFailure(text: string, mark: string): string {
  const lines = text.split("\n");
  const heading = lines.indexOf("## Summary");
  if (heading < 0) throw new Error("synthetic journal: a failure file with no `## Summary`");
  const first = heading + 2;
  if (lines[heading + 1] !== "" || first >= lines.length || lines[first] === "" || lines[first].startsWith("## ")) {
    lines.splice(heading + 1, 0, "", mark.trim());
  } else {
    lines[first] += mark;
  }
  return lines.join("\n");
}

/** One heuristic's first explanation line gets `mark` appended (or, with no explanation, becomes it). */
function changeHeuristic(rng: Prng, text: string, mark: string): string {
  const lines = text.split("\n");
  const created: number[] = [];
  lines.forEach((line, at) => {
    if (line.startsWith("**Created**:")) created.push(at);
  });
  if (created.length === 0) throw new Error("synthetic journal: a domain file with no heuristic");
  const at = rng.pick(created);
  const first = at + 2;
  if (lines[at + 1] !== "" || first >= lines.length || lines[first] === "" || lines[first] === "---") {
    lines.splice(at + 1, 0, "", mark.trim());
  } else {
    lines[first] += mark;
  }
  return lines.join("\n");
}

export function changeSomeFiles(dir: string, fraction: number, seed = 1): string[] {
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`synthetic journal: fraction must be in 0..1, got ${fraction}`);
  const rng = new Prng(seed);
  const changed: string[] = [];
  const groups = [
    { folder: "memory/failures", change: changeFailure },
    { folder: "memory/heuristics", change: (text: string, mark: string) => changeHeuristic(rng, text, mark) },
  ];
  for (const { folder, change } of groups) {
    const files = markdownFiles(path.join(dir, folder));
    for (const name of sample(rng, files, changeCount(files.length, fraction))) {
      const file = path.join(dir, folder, name);
      const mark = ` (edited ${rng.uint32().toString(16).padStart(8, "0")}: “revised”)`;
      fs.writeFileSync(file, change(fs.readFileSync(file, "utf8"), mark));
      changed.push(`${folder}/${name}`);
    }
  }
  return changed.sort();
}
