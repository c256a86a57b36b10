// The synthetic journal generator (support/synthetic-journal.ts) that the
// tests and benchmarks of `lore sync` use: the same seed gives a byte-identical
// tree; the counts, file names and sizes are as documented; every failure file
// and every domain file parses with lore's parsers, lore-style records with a
// unique lore id and ELF-style ones as ELF wrote them; H-ids are 1..N; and
// changeSomeFiles changes exactly the files it reports, in a way the parsers
// see, keeping them parseable. The ELF mode (generateElfJournal) writes what
// ELF's recorders write, files and rows, which lore's sync reads back as in
// sync (but for the rows of a failure recorded twice on one day). Also the CLI
// bundle dist-test/generate-journal.js.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { parseFailure, type ParsedFailure } from "../src/journal/failure-markdown.js";
import { parseHeuristicFile, renderDomainHeader, type ParsedHeuristic } from "../src/journal/heuristic-markdown.js";
import { failureSlug } from "../src/journal/slug.js";
import {
  changeSomeFiles,
  generateElfJournal,
  generateJournal,
  type ElfJournalOptions,
  type SyntheticJournalOptions,
} from "./support/synthetic-journal.js";
import { configureGitIdentity, git, readRows, tempDir, type LearningRow } from "./support/journal.js";
import { REPO_ROOT, runLore } from "./support/lore.js";
import { ELF_FAILURE_SECTIONS } from "./support/elf-format.js";

const OPTIONS: SyntheticJournalOptions = { records: 500, seed: 42 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FAILURE_NAME = /^(\d{4})(\d{2})(\d{2})_([a-z0-9-]+?)(?:-(\d+))?\.md$/;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = tempDir("lore-synthetic-");
  dirs.push(dir);
  return dir;
}

function generated(options: SyntheticJournalOptions = OPTIONS): {
  dir: string;
  counts: ReturnType<typeof generateJournal>;
} {
  const dir = newDir();
  return { dir, counts: generateJournal(dir, options) };
}

/** Every directory and file under `dir`, relative, with the files' bytes. */
function snapshot(dir: string): Map<string, Buffer | "dir"> {
  const out = new Map<string, Buffer | "dir">();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        out.set(child, "dir");
        walk(child);
      } else {
        out.set(child, fs.readFileSync(path.join(dir, child)));
      }
    }
  };
  walk("");
  return out;
}

/** Two snapshots hold the same directories and byte-identical files. */
function expectSameTree(actual: Map<string, Buffer | "dir">, expected: Map<string, Buffer | "dir">): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [file, content] of expected) {
    const other = actual.get(file) as Buffer | "dir";
    const same = content === "dir" ? other === "dir" : other !== "dir" && content.equals(other);
    expect(same, file).toBe(true);
  }
}

function failureFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, "memory", "failures")).sort();
}

function domainFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, "memory", "heuristics")).sort();
}

function read(dir: string, relative: string): string {
  return fs.readFileSync(path.join(dir, relative), "utf8");
}

const journal = generated();

describe("generateJournal", () => {
  it("is deterministic: the same options and seed give a byte-identical tree, another seed another tree", () => {
    const again = generated();
    expect(again.counts).toEqual(journal.counts);
    const first = snapshot(journal.dir);
    expectSameTree(snapshot(again.dir), first);
    const other = snapshot(generated({ ...OPTIONS, seed: 43 }).dir);
    expect([...other.keys()]).not.toEqual([...first.keys()]);
  });

  it("writes the requested counts, the layout (no database) and names as lore does", () => {
    const { dir, counts } = journal;
    expect(counts).toEqual({
      failures: 300,
      heuristics: 200,
      domainFiles: counts.domainFiles,
      files: 300 + counts.domainFiles,
    });
    expect(counts.domainFiles).toBeGreaterThanOrEqual(2);
    expect(counts.domainFiles).toBeLessThanOrEqual(5);
    expect(fs.readdirSync(path.join(dir, "memory")).sort()).toEqual(["failures", "heuristics", "successes"]);
    expect(fs.readdirSync(path.join(dir, "memory", "successes"))).toEqual([]);
    const names = failureFiles(dir);
    expect(names).toHaveLength(counts.failures);
    expect(domainFiles(dir)).toHaveLength(counts.domainFiles);
    const years = new Set<string>();
    let suffixed = 0;
    for (const name of names) {
      const match = FAILURE_NAME.exec(name);
      expect(match, name).not.toBeNull();
      const [, year, month, day, , suffix] = match as RegExpExecArray;
      years.add(year);
      if (suffix !== undefined) suffixed++;
      const text = read(dir, `memory/failures/${name}`);
      const parsed = parseFailure(text);
      expect(parsed.date, name).toBe(`${year}-${month}-${day}`);
      expect(name.startsWith(`${year}${month}${day}_${failureSlug(parsed.title)}`), name).toBe(true);
      const size = Buffer.byteLength(text);
      expect(size, name).toBeGreaterThanOrEqual(512);
      expect(size, name).toBeLessThanOrEqual(3072);
    }
    expect([...years].sort()).toEqual(["2024", "2025", "2026"]);
    expect(suffixed).toBeGreaterThan(0);
  });

  it("draws words by Zipf's law with vocabulary zipf: a few words in most failures, most words in few", () => {
    /** In how many failures' titles each word is. */
    const titleWords = (dir: string) => {
      const found = new Map<string, number>();
      for (const name of failureFiles(dir)) {
        const title = parseFailure(read(dir, `memory/failures/${name}`)).title.toLowerCase();
        for (const word of new Set(title.match(/[a-z]{3,}/g) ?? [])) found.set(word, (found.get(word) ?? 0) + 1);
      }
      return [...found.values()].sort((a, b) => b - a);
    };
    const uniform = titleWords(journal.dir);
    const zipf = titleWords(generated({ ...OPTIONS, vocabulary: "zipf" }).dir);
    // Uniform: 270 words for 300 titles of 3 to 12 words, so none is in more than a few percent of them.
    expect(uniform[0]).toBeLessThan(30);
    // Zipf: the commonest word is in about a third of the titles, and most words are in one title.
    expect(zipf[0]).toBeGreaterThan(60);
    expect(zipf.filter((count) => count === 1).length).toBeGreaterThan(zipf.length / 2);
  });

  it("writes failures that parse: lore-style with a unique lore id, ELF-style as ELF wrote them", () => {
    const { dir } = journal;
    const loreIds = new Set<string>();
    const parsed: ParsedFailure[] = [];
    let elf = 0;
    for (const name of failureFiles(dir)) {
      const text = read(dir, `memory/failures/${name}`);
      const failure = parseFailure(text);
      parsed.push(failure);
      expect(failure.title.split(" ").length, name).toBeGreaterThanOrEqual(3);
      expect(failure.title.split(" ").length, name).toBeLessThanOrEqual(12);
      expect(failure.domain, name).not.toBe("");
      expect(failure.severity, name).toBeGreaterThanOrEqual(1);
      expect(failure.severity, name).toBeLessThanOrEqual(5);
      expect(failure.summary, name).not.toBe("");
      const timeFix = text.includes(`**Date**: ${failure.date}  # TIME-FIX-3: Use consistent captured date\n`);
      if (failure.loreId === undefined) {
        elf++;
        expect(timeFix, name).toBe(true);
        expect(text, name).not.toContain("<!-- lore:id=");
      } else {
        expect(timeFix, name).toBe(false);
        expect(failure.loreId, name).toMatch(UUID);
        expect(loreIds.has(failure.loreId), name).toBe(false);
        loreIds.add(failure.loreId);
      }
    }
    expect(elf).toBeGreaterThan(30);
    expect(elf).toBeLessThan(90);
    const summaries = parsed.map((failure) => failure.summary).join("\n");
    for (const character of ["#", ":", '"', "'"]) expect(summaries).toContain(character);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: any non-ASCII character
    expect(summaries).toMatch(/[^\x00-\x7f]/);
    // Lines that look like structure only occur in lore-style text, which lore's renderer escapes.
    const structural = parsed.filter((failure) => /^(?:#|---|<!--)/m.test(failure.summary));
    expect(structural.length).toBeGreaterThan(0);
    for (const failure of structural) expect(failure.loreId).toBeDefined();
  });

  it("writes domain files that parse, with ELF's header, and H-ids 1..N unique across them", () => {
    const { dir, counts } = journal;
    const blocks: ParsedHeuristic[] = [];
    for (const name of domainFiles(dir)) {
      const text = read(dir, `memory/heuristics/${name}`);
      expect(text.startsWith(renderDomainHeader(name.slice(0, -".md".length))), name).toBe(true);
      const parsed = parseHeuristicFile(text);
      expect(parsed.length, name).toBeGreaterThan(0);
      blocks.push(...parsed);
    }
    expect(blocks).toHaveLength(counts.heuristics);
    const ids = blocks.map((block) => block.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => (a as number) - (b as number))).toEqual(
      Array.from({ length: counts.heuristics }, (_, i) => i + 1),
    );
    const loreIds = blocks.flatMap((block) => (block.loreId === undefined ? [] : [block.loreId]));
    expect(new Set(loreIds).size).toBe(loreIds.length);
    for (const loreId of loreIds) expect(loreId).toMatch(UUID);
    expect(counts.heuristics - loreIds.length).toBeGreaterThan(15);
    for (const block of blocks) {
      expect([0.3, 0.5, 0.6, 0.7, 0.85, 0.9]).toContain(block.confidence);
      expect(block.source).toMatch(/^[a-z-]+$/);
      expect(block.created).toMatch(/^202[4-6]-\d{2}-\d{2}$/);
      const lines = block.explanation.split("\n").filter((line) => line !== "");
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(5);
    }
  });
});

const ELF_OPTIONS: ElfJournalOptions = { failures: 600, heuristics: 400, seed: 42 };

function elfGenerated(options: ElfJournalOptions = ELF_OPTIONS) {
  const dir = newDir();
  return { dir, counts: generateElfJournal(dir, options) };
}

const elfJournal = elfGenerated();

describe("generateElfJournal", () => {
  it("is deterministic, database included; another seed gives another journal", () => {
    const again = elfGenerated();
    expect(again.counts).toEqual(elfJournal.counts);
    expectSameTree(snapshot(again.dir), snapshot(elfJournal.dir));
    const other = elfGenerated({ ...ELF_OPTIONS, seed: 43 });
    expect(failureFiles(other.dir)).not.toEqual(failureFiles(elfJournal.dir));
  });

  it("writes ELF's layout, file names and failure markdown, with no lore id, and one row per failure recorded", () => {
    const { dir, counts } = elfJournal;
    expect(counts).toEqual({
      failures: 600,
      failureFiles: counts.failureFiles,
      heuristics: 400,
      domainFiles: 2,
      files: counts.failureFiles + 2,
    });
    expect(fs.readdirSync(path.join(dir, "memory")).sort()).toEqual([
      "failures",
      "heuristics",
      "index.db",
      "successes",
    ]);
    const names = failureFiles(dir);
    expect(names).toHaveLength(counts.failureFiles);
    // A title recorded twice on one day overwrote its file: two rows, one file.
    expect(counts.failureFiles).toBeLessThan(counts.failures);
    expect(counts.failureFiles).toBeGreaterThan(counts.failures * 0.97);
    const { learnings } = readRows(dir);
    expect(learnings).toHaveLength(counts.failures);
    expect(learnings.map((row) => row.id)).toEqual(Array.from({ length: counts.failures }, (_, i) => i + 1));
    const lastRowOf = new Map(learnings.map((row) => [row.filepath, row]));
    expect([...lastRowOf.keys()].sort()).toEqual(names.map((name) => `memory/failures/${name}`));
    for (const name of names) {
      const text = read(dir, `memory/failures/${name}`);
      const failure = parseFailure(text);
      const row = lastRowOf.get(`memory/failures/${name}`) as LearningRow;
      expect(name, name).toBe(
        `${failure.date.replace(/-/g, "")}_${failure.title
          .toLowerCase()
          .replace(/ /g, "-")
          .replace(/[^a-z0-9:-]/g, "")}.md`,
      );
      expect(text, name).toBe(
        [
          `# ${failure.title}`,
          "",
          `**Domain**: ${failure.domain}`,
          `**Severity**: ${failure.severity}`,
          `**Tags**: ${failure.tags}`,
          `**Date**: ${failure.date}  # TIME-FIX-3: Use consistent captured date`,
          "",
          "## Summary",
          "",
          failure.summary,
          "",
          ...ELF_FAILURE_SECTIONS,
          "",
        ].join("\n"),
      );
      expect(failure.loreId, name).toBeUndefined();
      expect(row, name).toMatchObject({
        type: "failure",
        title: failure.title,
        summary: failure.summary.replace(/\n/g, " "),
        tags: failure.tags,
        domain: failure.domain,
        severity: failure.severity,
      });
      expect(row.lore_id, name).toBeUndefined();
    }
  });

  it("writes domain files of ELF's blocks, H-<row id> (now and then H-0), each with its row", () => {
    const { dir, counts } = elfJournal;
    const { heuristics } = readRows(dir);
    expect(heuristics.map((row) => row.id)).toEqual(Array.from({ length: counts.heuristics }, (_, i) => i + 1));
    let blocks = 0;
    let zero = 0;
    for (const name of domainFiles(dir)) {
      const slug = name.slice(0, -".md".length);
      const text = read(dir, `memory/heuristics/${name}`);
      expect(text.startsWith(renderDomainHeader(slug)), name).toBe(true);
      const rows = heuristics.filter((row) => row.domain === slug);
      const parsed = parseHeuristicFile(text);
      expect(parsed.length, name).toBeGreaterThan(100);
      expect(parsed.map((block) => block.rule)).toEqual(rows.map((row) => row.rule));
      parsed.forEach((block, at) => {
        const row = rows[at];
        if (block.id === 0) zero++;
        else expect(block.id).toBe(row.id);
        expect(block.loreId).toBeUndefined();
        expect(block).toMatchObject({
          explanation: row.explanation,
          source: row.source_type,
          confidence: row.confidence,
        });
      });
      blocks += parsed.length;
    }
    expect(blocks).toBe(counts.heuristics);
    expect(zero).toBeGreaterThan(0);
    expect(zero).toBeLessThan(10);
  });

  it("is a journal lore's sync finds in sync, but for the rows of an overwritten failure file", async () => {
    const { dir, counts } = elfGenerated({ failures: 300, heuristics: 200, seed: 7 });
    git(dir, ["init", "-q"]);
    configureGitIdentity(dir);
    git(dir, ["add", "memory/failures", "memory/heuristics"]);
    git(dir, ["commit", "-q", "-m", "ELF journal"]);
    const result = await runLore(["sync", "--json"], { cwd: dir });
    const report = JSON.parse(result.stdout) as { findings: Array<{ type: string; path: string }> };
    const overwritten = counts.failures - counts.failureFiles;
    expect(overwritten).toBeGreaterThan(0);
    const types = report.findings.map((finding) => finding.type).sort();
    expect(types).toEqual([...Array(overwritten).fill("db-only"), "schema-behind"]);
    // The overwritten records live on in their rows; --fix writes them back to markdown.
    const fixed = await runLore(["sync", "--fix", "--json"], { cwd: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    const again = await runLore(["sync", "--json"], { cwd: dir });
    expect(JSON.parse(again.stdout).findings).toEqual([]);
    expect(failureFiles(dir)).toHaveLength(counts.failures);
  });
});

describe("changeSomeFiles", () => {
  it("changes exactly the files it reports, the same ones for the same seed, and keeps them parseable", () => {
    const { dir, counts } = generated();
    const twin = generated();
    const before = snapshot(dir);
    const changed = changeSomeFiles(dir, 0.1, 7);
    expect(changeSomeFiles(twin.dir, 0.1, 7)).toEqual(changed);
    expectSameTree(snapshot(twin.dir), snapshot(dir));
    expect(changed).toEqual([...changed].sort());
    expect(changed.filter((file) => file.startsWith("memory/failures/"))).toHaveLength(30);
    expect(changed.filter((file) => file.startsWith("memory/heuristics/"))).toHaveLength(
      Math.max(1, Math.round(counts.domainFiles * 0.1)),
    );
    const after = snapshot(dir);
    const untouchedBefore = new Map(before);
    const untouchedAfter = new Map(after);
    for (const file of changed) {
      expect(after.get(file), file).toBeInstanceOf(Buffer);
      untouchedBefore.delete(file);
      untouchedAfter.delete(file);
    }
    expectSameTree(untouchedAfter, untouchedBefore);
    for (const file of changed) {
      const old = (before.get(file) as Buffer).toString("utf8");
      const now = read(dir, file);
      expect(Buffer.byteLength(now), file).toBeGreaterThan(Buffer.byteLength(old));
      if (file.startsWith("memory/failures/")) {
        const { summary: oldSummary, ...oldRest } = parseFailure(old);
        const { summary: newSummary, ...newRest } = parseFailure(now);
        expect(newRest, file).toEqual(oldRest);
        expect(newSummary, file).not.toBe(oldSummary);
      } else {
        const oldBlocks = parseHeuristicFile(old);
        const newBlocks = parseHeuristicFile(now);
        expect(
          newBlocks.map(({ explanation: _, line: __, ...rest }) => rest),
          file,
        ).toEqual(oldBlocks.map(({ explanation: _, line: __, ...rest }) => rest));
        const differing = newBlocks.filter((block, at) => block.explanation !== oldBlocks[at].explanation);
        expect(differing, file).toHaveLength(1);
      }
    }
  });
});

describe("generate-journal CLI", () => {
  it("writes a journal and prints its counts as one JSON line", () => {
    const out = path.join(newDir(), "journal");
    const stdout = execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, "dist-test", "generate-journal.js"), "--records", "500", "--out", out, "--seed", "42"],
      { encoding: "utf8" },
    );
    expect(stdout.endsWith("\n")).toBe(true);
    expect(JSON.parse(stdout)).toEqual(journal.counts);
    expectSameTree(snapshot(out), snapshot(journal.dir));
  });

  it("writes an ELF-mode journal with --style elf", () => {
    const out = path.join(newDir(), "journal");
    const stdout = execFileSync(
      process.execPath,
      [
        path.join(REPO_ROOT, "dist-test", "generate-journal.js"),
        ...["--style", "elf", "--failures", "600", "--heuristics", "400", "--out", out, "--seed", "42"],
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(stdout)).toEqual(elfJournal.counts);
    expectSameTree(snapshot(out), snapshot(elfJournal.dir));
  });
});
