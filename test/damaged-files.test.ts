// A record never builds on damage. A domain file that is not valid UTF-8,
// that was cut short in the middle of a block, that holds garbage bytes or
// git conflict markers: record-heuristic refuses to write into it (exit 4,
// one line naming the file and the line), writes nothing (the file byte for
// byte as it was, no row, no commit, no intent), `lore sync` names the same
// file and line (and `--fix` leaves it alone), and the pre-commit check
// refuses it alike. Bytes that are not UTF-8 in an argument or a variable are
// a usage error (exit 2) naming the field. Real processes, real git.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../src/base/errors.js";
import { DamagedFileError } from "../src/journal/journal-file.js";
import { journalLayout } from "../src/journal/layout.js";
import { writeRowsAndFiles } from "../src/txn/files-transaction.js";
import { withJournalSession } from "../src/txn/journal-session.js";
import { createJournal, git, invariantViolations, openDb, readRows } from "./support/journal.js";
import { REPO_ROOT, recordHeuristic, runLore, runProcess, type RunResult } from "./support/lore.js";

const DOMAIN = "damaged";
const RELATIVE = `memory/heuristics/${DOMAIN}.md`;

/** A journal whose domain file holds two records, and that file's bytes. */
async function journalWithDomain(): Promise<{ dir: string; file: string; sound: Buffer }> {
  const dir = await createJournal({ git: true });
  for (const rule of ["First rule", "Second rule"]) {
    const result = await recordHeuristic(dir, { domain: DOMAIN, rule, explanation: `Why: ${rule}.\nOn two lines.` });
    expect(result.code, result.stderr).toBe(0);
  }
  const file = path.join(dir, RELATIVE);
  return { dir, file, sound: fs.readFileSync(file) };
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

interface Damage {
  name: string;
  /** The damaged bytes, from the sound file's, and the line lore must name. */
  damage(sound: Buffer): { bytes: Buffer; line: number };
  message: RegExp;
}

const DAMAGES: Damage[] = [
  {
    name: "bytes that are not UTF-8 inside a block",
    damage: (sound) => {
      const text = sound.toString("utf8");
      const at = Buffer.byteLength(text.slice(0, text.indexOf("On two lines.")));
      return {
        bytes: Buffer.concat([sound.subarray(0, at), Buffer.from([0xff, 0xfe]), sound.subarray(at)]),
        line: lineOf(text, "On two lines."),
      };
    },
    message: /not valid UTF-8/,
  },
  {
    name: "garbage bytes appended",
    damage: (sound) => ({
      bytes: Buffer.concat([sound, Buffer.from([0x00, 0x9c, 0xc3, 0x28, 0x0a])]),
      line: sound.toString("utf8").split("\n").length,
    }),
    message: /not valid UTF-8/,
  },
  {
    name: "cut in the middle of the last block's explanation",
    damage: (sound) => {
      const text = sound.toString("utf8");
      return {
        bytes: Buffer.from(text.slice(0, text.lastIndexOf("On two lines.") + 5)),
        line: lineOf(text, "## H-2:"),
      };
    },
    message: /H-2: no `---` line ends the block/,
  },
  {
    name: "cut in the last block's Source line",
    damage: (sound) => {
      const text = sound.toString("utf8");
      return {
        bytes: Buffer.from(text.slice(0, text.lastIndexOf("**Source**") + 14)),
        line: lineOf(text, "## H-2:"),
      };
    },
    message: /H-2: no \*\*Created\*\* line/,
  },
  {
    name: "cut in the last block's lore id line",
    damage: (sound) => {
      const text = sound.toString("utf8");
      const at = text.lastIndexOf("<!-- lore:id=");
      return { bytes: Buffer.from(text.slice(0, at + 20)), line: lineOf(text, "## H-2:") + 1 };
    },
    message: /H-2: its lore id line is cut short/,
  },
  {
    name: "git conflict markers",
    damage: (sound) => ({
      bytes: Buffer.concat([sound, Buffer.from("<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs\n")]),
      line: sound.toString("utf8").split("\n").length,
    }),
    message: /git conflict markers/,
  },
];

describe("a domain file that is damaged", () => {
  it.each(DAMAGES)(
    "$name: record-heuristic exits 4 naming file and line, writes nothing; sync and pre-commit name it too",
    async ({ damage, message }) => {
      const { dir, file, sound } = await journalWithDomain();
      const { bytes, line } = damage(sound);
      fs.writeFileSync(file, bytes);
      const rowsBefore = readRows(dir);
      const head = git(dir, ["rev-parse", "HEAD"]);
      const names = fs.readdirSync(path.dirname(file));

      const result = await recordHeuristic(dir, { domain: DOMAIN, rule: "Never built on damage" });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^lore record-heuristic: refusing to write into ${RELATIVE}:${line}: `));
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain("nothing was written");
      // Not a byte changed, nothing beside it, no row, no commit, no intent.
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
      expect(fs.readdirSync(path.dirname(file))).toEqual(names);
      expect(readRows(dir)).toEqual(rowsBefore);
      expect(git(dir, ["rev-parse", "HEAD"])).toBe(head);
      expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);

      // sync names the same file and line, and --fix leaves it alone.
      const report = await runLore(["sync", "--json"], { cwd: dir });
      expect(report.code, report.stderr).toBe(3);
      const findings = JSON.parse(report.stdout).findings as Array<{ type: string; path: string; line: number }>;
      expect(findings.map(({ type, path: where, line: at }) => `${type} ${where}:${at}`)).toEqual([
        `${message.source.includes("conflict") ? "conflict-markers" : "unparseable"} ${RELATIVE}:${line}`,
        // The damage was made after the file's commit: git does not hold it either, for a person to see.
        `uncommitted ${RELATIVE}:null`,
      ]);
      expect((await runLore(["sync", "--fix"], { cwd: dir })).code).toBe(3);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
      expect(readRows(dir)).toEqual(rowsBefore);

      // The pre-commit check refuses it alike.
      expect((await runLore(["hooks", "install"], { cwd: dir })).code).toBe(0);
      git(dir, ["add", RELATIVE]);
      const preCommit = await runLore(["hook", "pre-commit"], { cwd: dir });
      expect(preCommit.code).toBe(1);
      expect(preCommit.stderr).toContain(`lore pre-commit: ${RELATIVE}:${line}: `);

      // Repaired from git, the domain takes the record.
      git(dir, ["checkout", "HEAD", "--", RELATIVE]);
      expect((await recordHeuristic(dir, { domain: DOMAIN, rule: "Built on sound bytes" })).code).toBe(0);
      expect(invariantViolations(dir)).toEqual([]);
    },
  );

  it("a sound file's bytes are never rewritten: a BOM and CRLF line ends stay, the record is appended", async () => {
    const { dir, file, sound } = await journalWithDomain();
    const elfBytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(sound.toString("utf8").replace(/\n/g, "\r\n")),
    ]);
    fs.writeFileSync(file, elfBytes);
    git(dir, ["commit", "-q", "-am", "as an editor saved it"]);
    expect((await recordHeuristic(dir, { domain: DOMAIN, rule: "Appended" })).code).toBe(0);
    const after = fs.readFileSync(file);
    expect(after.subarray(0, elfBytes.length).equals(elfBytes)).toBe(true);
    expect(after.subarray(elfBytes.length).toString("utf8")).toMatch(/^## H-3: Appended\n/);
  });

  it("sync never writes a row back into a damaged domain file: the file stays byte for byte, its rows alone", async () => {
    const { dir, file, sound } = await journalWithDomain();
    expect((await runLore(["sync", "--fix"], { cwd: dir })).code).toBe(0);
    // A row only the database has (ELF's dashboard), in the damaged file's domain.
    const db = openDb(dir);
    db.prepare(
      "INSERT INTO heuristics(domain, rule, explanation, source_type, confidence) VALUES (?, 'From the dashboard', 'x', 'observation', 0.5)",
    ).run(DOMAIN);
    db.close();
    const bytes = Buffer.concat([sound, Buffer.from("\u00e9 caf\u00e9 ", "latin1"), Buffer.from("\n")]);
    fs.writeFileSync(file, bytes);
    const fix = await runLore(["sync", "--fix", "--json"], { cwd: dir });
    expect(fix.code, fix.stderr).toBe(3);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(readRows(dir).heuristics.map((row) => row.rule)).toEqual([
      "First rule",
      "Second rule",
      "From the dashboard",
    ]);
  });
});

describe("the files transaction (sync's write-backs, and later writers)", () => {
  it("refuses to rewrite a damaged record file: DamagedFileError (exit 4), its rows rolled back, the file as it was", async () => {
    const { dir, file, sound } = await journalWithDomain();
    const bytes = Buffer.concat([sound, Buffer.from([0xc0, 0x0a])]);
    fs.writeFileSync(file, bytes);
    const rowsBefore = readRows(dir);
    const options = { timeoutMs: 10_000, staleMs: 30_000, noCommit: false };
    const write = withJournalSession(journalLayout(dir), options, (session) =>
      writeRowsAndFiles(session, () => {
        session.db.sqlite.prepare("UPDATE heuristics SET rule = 'Rewritten' WHERE id = 1").run();
        return { files: new Map([[RELATIVE, "# Heuristics: damaged\n"]]), message: "sync: rewrite 1 record(s)" };
      }),
    );
    const thrown = await write.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(DamagedFileError);
    expect(exitCodeFor(thrown)).toBe(4);
    expect((thrown as Error).message).toMatch(
      new RegExp(`^refusing to write into ${RELATIVE}:${sound.toString().split("\n").length}: not valid UTF-8`),
    );
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(readRows(dir)).toEqual(rowsBefore);
    expect(fs.readdirSync(path.join(dir, "memory", ".lore", "pending"))).toEqual([]);
  });
});

/** lore run by bash, so that an argument or a variable can hold bytes that are not UTF-8 (printf's octal escapes). */
function runLoreWithBytes(dir: string, script: string): Promise<RunResult> {
  return runProcess("bash", ["-c", script], {
    cwd: dir,
    env: { LORE_BIN: path.join(REPO_ROOT, "bin", "lore.js"), NODE_BIN: process.execPath },
  });
}

describe("bytes that are not UTF-8 in an argument or a variable", () => {
  it.each([
    ["--title", "title", `"$NODE_BIN" "$LORE_BIN" record-failure --title "$(printf 'caf\\351')" --domain d`],
    [
      "--summary",
      "summary",
      `"$NODE_BIN" "$LORE_BIN" record-failure --title t --domain d --summary "$(printf 'a\\n\\377b')"`,
    ],
    [
      "FAILURE_TITLE",
      "title",
      `FAILURE_TITLE="$(printf 'caf\\351')" "$NODE_BIN" "$LORE_BIN" record-failure --domain d`,
    ],
    ["--rule", "rule", `"$NODE_BIN" "$LORE_BIN" record-heuristic --domain d --rule "$(printf 'r\\300\\257')"`],
    [
      "HEURISTIC_EXPLANATION",
      "explanation",
      `HEURISTIC_EXPLANATION="$(printf '\\377')" "$NODE_BIN" "$LORE_BIN" record-heuristic --domain d --rule r`,
    ],
  ])("%s: exit 2, one line naming the field, nothing written", async (_name, field, script) => {
    const dir = await createJournal({ git: true });
    const head = git(dir, ["rev-parse", "HEAD"]);
    const result = await runLoreWithBytes(dir, script);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^lore record-(failure|heuristic): ${field}: must be valid UTF-8 .*\\n$`));
    expect(readRows(dir)).toEqual({ learnings: [], heuristics: [] });
    expect(git(dir, ["rev-parse", "HEAD"])).toBe(head);
    expect(git(dir, ["status", "--porcelain"])).toBe("");
  });
});
