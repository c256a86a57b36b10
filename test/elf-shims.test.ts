// `lore elf install | uninstall | status` and the default journal, as an ELF
// user meets them: a fake ELF install root (a temp dir holding a journal and
// scripts/record-failure.sh, record-heuristic.sh and record-violation.sh
// copied from test/fixtures/elf-scripts), lore's shims run exactly as ELF's
// callers run ELF's scripts (`bash DIR/scripts/record-failure.sh ...`, by
// path, with the FAILURE_* and HEURISTIC_* variables, record-violation.sh's
// positional arguments), and the records checked in DIR's files, rows and git
// commits. Real files, real git, real child processes.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runLore, runNode, runProcess, type RunResult } from "./support/lore.js";
import {
  configureGitIdentity,
  git,
  invariantViolations,
  markdownRecords,
  readRows,
  tempDir,
} from "./support/journal.js";

const FIXTURES = path.join(REPO_ROOT, "test", "fixtures", "elf-scripts");
const SCRIPTS = ["record-failure.sh", "record-heuristic.sh", "record-violation.sh"] as const;
/** Modes the fake ELF scripts get: one unusual, so that a restore must keep it. */
const MODES: Record<(typeof SCRIPTS)[number], number> = {
  "record-failure.sh": 0o755,
  "record-heuristic.sh": 0o750,
  "record-violation.sh": 0o755,
};
/** What a shim puts between `--base DIR` and the caller's arguments: `--` for a script of positional arguments. */
const BEFORE_ARGUMENTS: Record<(typeof SCRIPTS)[number], string> = {
  "record-failure.sh": "",
  "record-heuristic.sh": "",
  "record-violation.sh": " --",
};

/** An empty home directory: no ELF install root, so nothing of the machine's own is found. */
function emptyHome(): string {
  return tempDir("lore-home-");
}

/** A journal (lore init --git, an identity, .gitignore committed) at `dir`, which may exist. */
async function initJournal(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const init = await runLore(["init", "--git", dir], { cwd: tempDir(), env: { HOME: emptyHome() } });
  expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: "" });
  configureGitIdentity(dir);
  git(dir, ["add", ".gitignore", "memory/golden-rules.md"]);
  git(dir, ["commit", "-q", "-m", "journal"]);
}

/** A fake ELF install root at `dir`: ELF's scripts from the fixtures, with MODES, and (by default) a journal. */
async function fakeElfRoot(
  dir = path.join(tempDir("lore-elf-"), "emergent-learning"),
  journal = true,
): Promise<string> {
  if (journal) await initJournal(dir);
  fs.mkdirSync(path.join(dir, "scripts"), { recursive: true });
  for (const script of SCRIPTS) {
    const file = path.join(dir, "scripts", script);
    fs.copyFileSync(path.join(FIXTURES, script), file);
    fs.chmodSync(file, MODES[script]);
  }
  return dir;
}

function elf(action: string, dir: string, extra: string[] = [], lore = REPO_ROOT): Promise<RunResult> {
  return runNode([path.join(lore, "bin", "lore.js"), "elf", action, "--elf-dir", dir, ...extra], {
    cwd: tempDir(),
    env: { HOME: emptyHome() },
  });
}

function ok(result: RunResult): RunResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return result;
}

/** Runs `command args` (bash, or a script by path) as ELF's callers do: another directory, the given variables. */
function runAsCaller(command: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runProcess(command, args, { cwd: tempDir("lore-caller-"), env: { HOME: emptyHome(), ...env } });
}

interface FileSnapshot {
  content: string;
  mode: number;
  ino: number;
  mtimeMs: number;
}

/** Every file below `dir`, with content, mode, inode and mtime (so that a rewrite shows). */
function snapshot(dir: string): Record<string, FileSnapshot> {
  const result: Record<string, FileSnapshot> = {};
  const walk = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stats = fs.lstatSync(full);
        result[path.relative(dir, full)] = {
          content: fs.readFileSync(full, "latin1"),
          mode: stats.mode & 0o7777,
          ino: stats.ino,
          mtimeMs: stats.mtimeMs,
        };
      }
    }
  };
  walk(dir);
  return result;
}

function statusOf(result: RunResult): {
  journal: boolean;
  scripts: Array<{ script: string; found: string; current: boolean; originalKept: boolean }>;
} {
  ok(result);
  return JSON.parse(result.stdout);
}

function headSubject(dir: string): string {
  return git(dir, ["log", "-1", "--format=%s"]).trim();
}

describe("lore elf install, status, uninstall", () => {
  it("replaces ELF's scripts with shims that record into that journal, however ELF's callers run them, and puts them back byte for byte", async () => {
    const dir = await fakeElfRoot();
    const before = statusOf(await elf("status", dir, ["--json"]));
    expect(before.journal).toBe(true);
    expect(before.scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "elf", current: false, originalKept: false })),
    );

    const install = ok(await elf("install", dir));
    expect(install.stdout).toBe(
      SCRIPTS.map(
        (script) => `${script}: installed lore's shim (ELF's script kept in scripts/.lore-originals/)\n`,
      ).join(""),
    );
    for (const script of SCRIPTS) {
      const file = path.join(dir, "scripts", script);
      const text = fs.readFileSync(file, "utf8");
      const command = script.replace(/\.sh$/, "");
      expect(text.split("\n")[0]).toBe("#!/bin/sh");
      expect(text).toContain(
        `\nexec '${process.execPath}' '${path.join(REPO_ROOT, "bin", "lore.js")}' ${command} --base '${dir}'${BEFORE_ARGUMENTS[script]} "$@"\n`,
      );
      expect(fs.statSync(file).mode & 0o7777).toBe(0o755);
      const kept = path.join(dir, "scripts", ".lore-originals", script);
      expect(fs.readFileSync(kept)).toEqual(fs.readFileSync(path.join(FIXTURES, script)));
      expect(fs.statSync(kept).mode & 0o7777).toBe(MODES[script]);
    }
    const after = statusOf(await elf("status", dir, ["--json"]));
    expect(after.scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "shim", current: true, originalKept: true })),
    );
    expect(ok(await elf("status", dir)).stdout).toBe(
      [
        `${dir}: holds a journal`,
        "record-failure.sh: lore's shim, current (runs lore record-failure); ELF's original kept",
        "record-heuristic.sh: lore's shim, current (runs lore record-heuristic); ELF's original kept",
        "record-violation.sh: lore's shim, current (runs lore record-violation); ELF's original kept",
        "",
      ].join("\n"),
    );

    // ELF's documented call lines, from another directory; LORE_BASE elsewhere does not move the record.
    const elsewhere = tempDir("lore-elsewhere-");
    const failureScript = path.join(dir, "scripts", "record-failure.sh");
    const heuristicScript = path.join(dir, "scripts", "record-heuristic.sh");
    const byBash = await runAsCaller(
      "bash",
      [failureScript, "--title", "Shim by bash", "--domain", "shims", "--severity", "high", "--summary", "via bash"],
      { LORE_BASE: elsewhere },
    );
    expect({ code: byBash.code, stderr: byBash.stderr }).toEqual({ code: 0, stderr: "" });
    expect(byBash.stdout).toContain("Failure recorded successfully!");
    expect(byBash.stdout).toContain(path.join(dir, "memory", "failures"));
    expect(headSubject(dir)).toBe("failure: Shim by bash");

    const byEnv = await runAsCaller("bash", [failureScript], {
      FAILURE_TITLE: "Shim by env",
      FAILURE_DOMAIN: "shims",
      FAILURE_TAGS: "elf,shim",
      FAILURE_SUMMARY: "via the environment",
    });
    expect({ code: byEnv.code, stderr: byEnv.stderr }).toEqual({ code: 0, stderr: "" });
    expect(headSubject(dir)).toBe("failure: Shim by env");

    const byPath = await runAsCaller(heuristicScript, ["--domain", "Shim Domain", "--rule", "Shims pass arguments"]);
    expect({ code: byPath.code, stderr: byPath.stderr }).toEqual({ code: 0, stderr: "" });
    expect(headSubject(dir)).toBe("heuristic: Shims pass arguments");

    const heuristicByEnv = await runAsCaller("bash", [heuristicScript], {
      HEURISTIC_DOMAIN: "shim domain",
      HEURISTIC_RULE: "Variables pass through",
      HEURISTIC_CONFIDENCE: "high",
    });
    expect({ code: heuristicByEnv.code, stderr: heuristicByEnv.stderr }).toEqual({ code: 0, stderr: "" });

    const rows = readRows(dir);
    expect(rows.learnings.map((row) => [row.title, row.domain, row.severity, row.tags])).toEqual([
      ["Shim by bash", "shims", 4, ""],
      ["Shim by env", "shims", 3, "elf,shim"],
    ]);
    expect(rows.heuristics.map((row) => [row.domain, row.rule, row.confidence])).toEqual([
      ["shim-domain", "Shims pass arguments", 0.7],
      ["shim-domain", "Variables pass through", 0.85],
    ]);
    const records = markdownRecords(dir);
    expect(records.failures.size).toBe(2);
    expect(records.heuristics.size).toBe(2);
    expect(fs.existsSync(path.join(dir, "memory", "heuristics", "shim-domain.md"))).toBe(true);
    expect(git(dir, ["log", "--format=%s"]).trim().split("\n").slice(0, 4)).toEqual([
      "heuristic: Variables pass through",
      "heuristic: Shims pass arguments",
      "failure: Shim by env",
      "failure: Shim by bash",
    ]);
    expect(invariantViolations(dir)).toEqual([]);

    // record-violation.sh's arguments are positional: one starting with a dash is the description, not an option.
    const violation = await runAsCaller("bash", [path.join(dir, "scripts", "record-violation.sh"), "2", "--help me"]);
    expect({ code: violation.code, stderr: violation.stderr }).toEqual({
      code: 0,
      stderr: expect.stringMatching(/^lore: warning: memory\/golden-rules\.md has no rule 2 .*\n$/),
    });
    expect(violation.stdout).toContain("VIOLATION RECORDED");
    expect(violation.stdout).toContain("  Description: --help me\n");
    expect(fs.readdirSync(elsewhere)).toEqual([]);

    // Installing twice changes nothing, not even a file's inode or mtime.
    const installed = snapshot(path.join(dir, "scripts"));
    const again = ok(await elf("install", dir));
    expect(again.stdout).toBe(
      SCRIPTS.map((script) => `${script}: lore's shim installed and current, unchanged\n`).join(""),
    );
    expect(snapshot(path.join(dir, "scripts"))).toEqual(installed);

    const uninstall = ok(await elf("uninstall", dir));
    expect(uninstall.stdout).toBe(SCRIPTS.map((script) => `${script}: restored ELF's script\n`).join(""));
    expect(fs.readdirSync(path.join(dir, "scripts")).sort()).toEqual([...SCRIPTS]);
    for (const script of SCRIPTS) {
      const file = path.join(dir, "scripts", script);
      expect(fs.readFileSync(file)).toEqual(fs.readFileSync(path.join(FIXTURES, script)));
      expect(fs.statSync(file).mode & 0o7777).toBe(MODES[script]);
    }
    const restored = await runAsCaller("bash", [failureScript, "--title", "After uninstall"]);
    expect(restored.stdout).toBe("ELF's record-failure.sh ran: --title After uninstall\n");
    expect(statusOf(await elf("status", dir, ["--json"])).scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "elf", current: false, originalKept: false })),
    );
    const uninstallAgain = ok(await elf("uninstall", dir));
    expect(uninstallAgain.stdout).toBe(SCRIPTS.map((script) => `${script}: not lore's shim, left as it is\n`).join(""));
  });

  it("quotes paths with spaces, quotes and $ in them, and updates a shim of another lore", async () => {
    const parent = tempDir("lore-elf-");
    const dir = await fakeElfRoot(path.join(parent, `ELF's "root" $HOME \\ dir`));
    const otherLore = path.join(tempDir("lore-copy-"), `it's a "lore" $(x)`);
    for (const part of ["bin", "dist"]) {
      fs.cpSync(path.join(REPO_ROOT, part), path.join(otherLore, part), { recursive: true });
    }
    fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(otherLore, "package.json"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(otherLore, "node_modules"), "dir");

    ok(await elf("install", dir, [], otherLore));
    const shim = fs.readFileSync(path.join(dir, "scripts", "record-failure.sh"), "utf8");
    expect(shim).toContain(`'${otherLore.replaceAll("'", "'\\''")}/bin/lore.js'`);
    const recorded = await runAsCaller("bash", [
      path.join(dir, "scripts", "record-failure.sh"),
      "--title",
      "Quoted paths",
      "--domain",
      "shims",
    ]);
    expect({ code: recorded.code, stderr: recorded.stderr }).toEqual({ code: 0, stderr: "" });
    expect(headSubject(dir)).toBe("failure: Quoted paths");
    expect(readRows(dir).learnings.map((row) => row.title)).toEqual(["Quoted paths"]);

    expect(statusOf(await elf("status", dir, ["--json"])).scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "shim", current: false, originalKept: true })),
    );
    const update = ok(await elf("install", dir));
    expect(update.stdout).toBe(
      SCRIPTS.map((script) => `${script}: updated lore's shim (it ran another lore or node)\n`).join(""),
    );
    expect(statusOf(await elf("status", dir, ["--json"])).scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "shim", current: true, originalKept: true })),
    );
    ok(await elf("uninstall", dir));
    for (const script of SCRIPTS) {
      expect(fs.readFileSync(path.join(dir, "scripts", script))).toEqual(fs.readFileSync(path.join(FIXTURES, script)));
    }
  });

  it("refuses a symlinked scripts directory or script with exit 6, and changes nothing", async () => {
    const dir = await fakeElfRoot();
    const real = path.join(tempDir("lore-elf-real-"), "scripts");
    fs.renameSync(path.join(dir, "scripts"), real);
    fs.symlinkSync(real, path.join(dir, "scripts"), "dir");
    const before = snapshot(real);
    const refused = await elf("install", dir);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^lore elf: refusing to write .* is a symbolic link\n$/);
    expect(snapshot(real)).toEqual(before);
    expect((await elf("uninstall", dir)).code).toBe(6);
    expect(ok(await elf("status", dir)).stdout).toContain("lore elf install would refuse:");

    const other = await fakeElfRoot();
    const script = path.join(other, "scripts", "record-heuristic.sh");
    fs.renameSync(script, path.join(real, "elsewhere.sh"));
    fs.symlinkSync(path.join(real, "elsewhere.sh"), script);
    const otherBefore = snapshot(path.join(other, "scripts"));
    const targetBefore = snapshot(real);
    const refusedScript = await elf("install", other);
    expect(refusedScript.code).toBe(6);
    expect(refusedScript.stderr).toContain(`${script} is a symbolic link`);
    expect(snapshot(path.join(other, "scripts"))).toEqual(otherBefore);
    expect(snapshot(real)).toEqual(targetBefore);
  });

  it("reports missing scripts without failing, and names a missing directory and the rule (exit 2)", async () => {
    const bare = tempDir("lore-elf-bare-");
    const install = ok(await elf("install", bare));
    expect(install.stdout).toBe(
      SCRIPTS.map((script) => `${script}: missing: ELF's script is not there, nothing to do\n`).join(""),
    );
    expect(fs.readdirSync(bare)).toEqual([]);
    expect(ok(await elf("status", bare)).stdout).toBe(
      [
        `${bare}: holds no journal (memory/index.db): run \`lore init\` there`,
        "record-failure.sh: missing (ELF is not installed here)",
        "record-heuristic.sh: missing (ELF is not installed here)",
        "record-violation.sh: missing (ELF is not installed here)",
        "",
      ].join("\n"),
    );

    const gone = path.join(bare, "no-such-dir");
    for (const action of ["install", "uninstall", "status"]) {
      const result = await elf(action, gone);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")).toEqual([expect.stringContaining(`lore elf: ${gone} does not exist:`), ""]);
      expect(result.stderr).toContain("--elf-dir must name an existing directory");
    }
    expect(fs.readdirSync(bare)).toEqual([]);

    const usage = await elf("reinstall", bare);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('lore elf: the action must be install, uninstall or status (got "reinstall")\n');
  });

  it("installing into a directory without a journal warns that the shims fail until lore init", async () => {
    const dir = await fakeElfRoot(undefined, false);
    const install = await elf("install", dir);
    expect(install.code).toBe(0);
    expect(install.stderr).toBe(
      `lore: warning: ${dir} holds no journal (memory/index.db): the shims fail until \`lore init\` runs there\n`,
    );
    const recorded = await runAsCaller("bash", [
      path.join(dir, "scripts", "record-failure.sh"),
      "--title",
      "No journal",
      "--domain",
      "shims",
    ]);
    expect(recorded.code).toBe(2);
    expect(recorded.stderr).toBe(
      `lore record-failure: no lore journal found at ${dir}; run \`lore init\` to create one\n`,
    );
  });

  it("finishes an install killed between keeping the original and writing the shim", async () => {
    const dir = await fakeElfRoot();
    const originals = path.join(dir, "scripts", ".lore-originals");
    fs.mkdirSync(originals);
    fs.linkSync(path.join(dir, "scripts", "record-failure.sh"), path.join(originals, "record-failure.sh"));
    fs.writeFileSync(path.join(dir, "scripts", "record-failure.sh.123456"), "half a shim");
    ok(await elf("install", dir));
    expect(fs.readdirSync(path.join(dir, "scripts")).sort()).toEqual([".lore-originals", ...SCRIPTS]);
    expect(statusOf(await elf("status", dir, ["--json"])).scripts).toEqual(
      SCRIPTS.map((script) => expect.objectContaining({ script, found: "shim", current: true, originalKept: true })),
    );
    ok(await elf("uninstall", dir));
    for (const script of SCRIPTS) {
      expect(fs.readFileSync(path.join(dir, "scripts", script))).toEqual(fs.readFileSync(path.join(FIXTURES, script)));
      expect(fs.statSync(path.join(dir, "scripts", script)).mode & 0o7777).toBe(MODES[script]);
    }
    expect(fs.existsSync(originals)).toBe(false);
  });

  it("stops, changing nothing, when ELF was reinstalled over a shim while another original is kept", async () => {
    const dir = await fakeElfRoot();
    ok(await elf("install", dir));
    const script = path.join(dir, "scripts", "record-failure.sh");
    fs.writeFileSync(script, "#!/bin/bash\necho ELF, a newer version\n", { mode: 0o755 });
    const before = snapshot(path.join(dir, "scripts"));
    const install = await elf("install", dir);
    expect(install.code).toBe(1);
    expect(install.stderr).toBe(
      `lore elf: ${script} is not lore's shim, and ${path.join(dir, "scripts", ".lore-originals", "record-failure.sh")} ` +
        "keeps an earlier, different original: remove the one you do not want kept, then run `lore elf install` again; nothing was changed\n",
    );
    expect(snapshot(path.join(dir, "scripts"))).toEqual(before);
    const uninstall = ok(await elf("uninstall", dir));
    expect(uninstall.stdout).toContain("record-failure.sh: not lore's shim (ELF reinstalled?), left as it is;");
    expect(uninstall.stdout).toContain("record-heuristic.sh: restored ELF's script");
    expect(fs.readFileSync(script, "utf8")).toBe("#!/bin/bash\necho ELF, a newer version\n");
    expect(fs.existsSync(path.join(dir, "scripts", ".lore-originals", "record-failure.sh"))).toBe(true);
  });
});

describe("the default journal: ELF's install root below HOME", () => {
  it("records there from an unrelated directory with no --base and no LORE_BASE; a journal above the directory wins", async () => {
    const home = emptyHome();
    const root = path.join(home, ".claude", "emergent-learning");
    await initJournal(root);
    const unrelated = tempDir("lore-unrelated-");
    const result = await runLore(["record-failure", "--title", "Into the install root", "--domain", "home"], {
      cwd: unrelated,
      env: { HOME: home },
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readRows(root).learnings.map((row) => row.title)).toEqual(["Into the install root"]);
    expect(headSubject(root)).toBe("failure: Into the install root");
    expect(invariantViolations(root)).toEqual([]);
    expect(fs.readdirSync(unrelated)).toEqual([]);

    const nearer = path.join(tempDir("lore-nearer-"), "journal");
    await initJournal(nearer);
    fs.mkdirSync(path.join(nearer, "deep", "below"), { recursive: true });
    const near = await runLore(["record-heuristic", "--domain", "home", "--rule", "Nearest wins"], {
      cwd: path.join(nearer, "deep", "below"),
      env: { HOME: home },
    });
    expect({ code: near.code, stderr: near.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readRows(nearer).heuristics.map((row) => row.rule)).toEqual(["Nearest wins"]);
    expect(readRows(root).heuristics).toEqual([]);

    // lore elf without --elf-dir works on the same install root.
    fs.mkdirSync(path.join(root, "scripts"));
    const status = await runLore(["elf", "status"], { cwd: unrelated, env: { HOME: home } });
    expect(status.stdout.split("\n")[0]).toBe(`${root}: holds a journal`);
  });

  it("with none there, the one-line error names every place it looked (exit 2)", async () => {
    const home = emptyHome();
    fs.mkdirSync(path.join(home, ".claude", "emergent-learning", "memory", "failures"), { recursive: true });
    const unrelated = tempDir("lore-unrelated-");
    for (const args of [
      ["record-failure", "--title", "Nowhere", "--domain", "home"],
      ["record-heuristic", "--domain", "home", "--rule", "Nowhere"],
      ["sync"],
    ]) {
      const result = await runLore(args, { cwd: unrelated, env: { HOME: home } });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `lore ${args[0]}: no lore journal found in ${unrelated} or any directory above it, nor in ELF's install root ` +
          `${path.join(home, ".claude", "emergent-learning")} (no --base or LORE_BASE given); run \`lore init\` to create one\n`,
      );
    }
    expect(fs.readdirSync(unrelated)).toEqual([]);
    expect(fs.readdirSync(path.join(home, ".claude", "emergent-learning", "memory"))).toEqual(["failures"]);
  });
});
