// `lore claude install | uninstall | status` on real settings files, as a
// Claude Code user meets them: a temp HOME (~/.claude/settings.json) or a
// temp project (.claude/settings.json at its git top level), the real CLI as
// a child process, and the files compared byte for byte.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runLore, type RunResult } from "./support/lore.js";
import { createJournal, git, tempDir } from "./support/journal.js";

const LORE_COMMAND = (hook: string) =>
  `'${process.execPath}' '${path.join(REPO_ROOT, "bin", "lore.js")}' claude hook ${hook}`;

const ELF_PRE_TOOL = {
  matcher: "Task",
  hooks: [{ type: "command", command: 'python3 "/home/u/.claude/hooks/learning-loop/pre_tool_learning.py"' }],
};
const ELF_POST_TOOL = {
  matcher: "Task",
  hooks: [{ type: "command", command: 'python3 "/home/u/.claude/hooks/learning-loop/post_tool_learning.py"' }],
};
const USER_BASH_HOOK = { matcher: "Bash", hooks: [{ type: "command", command: "echo checked >> /tmp/log" }] };

interface Home {
  home: string;
  file: string;
  backup: string;
}

function newHome(): Home {
  const home = tempDir("lore-home-");
  const file = path.join(home, ".claude", "settings.json");
  return { home, file, backup: `${file}.lore-backup` };
}

function writeSettings(home: Home, text: string): Buffer {
  fs.mkdirSync(path.dirname(home.file), { recursive: true });
  fs.writeFileSync(home.file, text);
  return fs.readFileSync(home.file);
}

function claude(home: Home, args: string[], cwd = tempDir()): Promise<RunResult> {
  return runLore(["claude", ...args], { cwd, env: { HOME: home.home } });
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The settings' hooks, as event -> the commands of every handler. */
function commands(file: string): Record<string, string[]> {
  const hooks = readJson(file).hooks as Record<string, { hooks: { command: string }[] }[]>;
  return Object.fromEntries(
    Object.entries(hooks).map(([event, groups]) => [event, groups.flatMap((g) => g.hooks.map((h) => h.command))]),
  );
}

async function installed(home: Home, args: string[] = [], cwd?: string): Promise<RunResult> {
  const result = await claude(home, ["install", ...args], cwd);
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
  return result;
}

/** Install, install again (nothing changes), uninstall: the original bytes (or no file) come back. */
async function roundTrip(home: Home, original: Buffer | undefined): Promise<void> {
  await installed(home);
  const afterInstall = fs.readFileSync(home.file);
  const again = await installed(home);
  expect(again.stdout).toContain("nothing changed");
  expect(fs.readFileSync(home.file).equals(afterInstall)).toBe(true);
  if (original !== undefined) expect(fs.readFileSync(home.backup).equals(original)).toBe(true);
  const removed = await claude(home, ["uninstall"]);
  expect({ code: removed.code, stderr: removed.stderr }).toEqual({ code: 0, stderr: "" });
  expect(removed.stdout).toContain("back as it was");
  if (original === undefined) expect(fs.existsSync(home.file)).toBe(false);
  else expect(fs.readFileSync(home.file).equals(original)).toBe(true);
  expect(fs.existsSync(home.backup)).toBe(false);
}

describe("lore claude install and uninstall", () => {
  it("creates a missing settings file with lore's three hooks, and uninstall removes it", async () => {
    const home = newHome();
    const result = await installed(home);
    expect(result.stdout).toContain("registered lore's hooks");
    const settings = readJson(home.file);
    expect(settings).toEqual({
      hooks: {
        SessionStart: [{ hooks: [{ type: "command", command: LORE_COMMAND("session-start"), timeout: 5 }] }],
        PreToolUse: [
          {
            matcher: "^(Agent|Task)$",
            hooks: [{ type: "command", command: LORE_COMMAND("pre-tool-use"), timeout: 2 }],
          },
        ],
        PostToolUse: [
          {
            matcher: "^(Agent|Task)$",
            hooks: [{ type: "command", command: LORE_COMMAND("post-tool-use"), timeout: 10 }],
          },
        ],
      },
    });
    expect(fs.readFileSync(home.file, "utf8")).toBe(`${JSON.stringify(settings, null, 2)}\n`);
    expect(fs.existsSync(home.backup)).toBe(false);
    await roundTrip(newHome(), undefined);
  });

  it("keeps every other entry, its order and 2-space indent, and restores the bytes", async () => {
    const home = newHome();
    const original = writeSettings(
      home,
      `${JSON.stringify({ model: "opus", permissions: { allow: ["Bash(npm test)"] }, env: { A: "1" } }, null, 2)}\n`,
    );
    await installed(home);
    const text = fs.readFileSync(home.file, "utf8");
    expect(Object.keys(readJson(home.file))).toEqual(["model", "permissions", "env", "hooks"]);
    expect(text).toMatch(/^\{\n {2}"model": "opus",\n {2}"permissions": \{\n {4}"allow"/);
    expect(text.endsWith("}\n")).toBe(true);
    await roundTrip(home, original);
  });

  it("keeps existing hooks (ELF's included) with a 4-space indent, and restores the bytes", async () => {
    const home = newHome();
    const original = writeSettings(
      home,
      `${JSON.stringify(
        {
          hooks: { PreToolUse: [USER_BASH_HOOK, ELF_PRE_TOOL], PostToolUse: [ELF_POST_TOOL] },
          statusLine: { type: "command", command: "x" },
        },
        null,
        4,
      )}\n`,
    );
    const result = await installed(home);
    expect(result.stderr).toMatch(/^lore: warning: .*ELF's learning-loop hooks \(PreToolUse, PostToolUse\)/);
    expect(commands(home.file)).toEqual({
      PreToolUse: [USER_BASH_HOOK.hooks[0].command, ELF_PRE_TOOL.hooks[0].command, LORE_COMMAND("pre-tool-use")],
      PostToolUse: [ELF_POST_TOOL.hooks[0].command, LORE_COMMAND("post-tool-use")],
      SessionStart: [LORE_COMMAND("session-start")],
    });
    expect(fs.readFileSync(home.file, "utf8")).toMatch(/^\{\n {4}"hooks": \{\n {8}"PreToolUse"/);
    await roundTrip(home, original);
  });

  it("restores an empty hooks object, a tab-indented file without a final newline, and one-line arrays", async () => {
    for (const text of [
      '{\n  "hooks": {}\n}\n',
      '{\n\t"model": "sonnet",\n\t"hooks": {\n\t\t"Stop": []\n\t}\n}',
      '{\n  "permissions": { "allow": ["Read", "Grep"] }, "hooks": { }\n}\n',
      "{}",
    ]) {
      const home = newHome();
      const original = writeSettings(home, text);
      await roundTrip(home, original);
    }
  });

  it("writes a tab-indented file with tabs and no final newline", async () => {
    const home = newHome();
    writeSettings(home, '{\n\t"model": "sonnet"\n}');
    await installed(home);
    const text = fs.readFileSync(home.file, "utf8");
    expect(text).toMatch(/^\{\n\t"model": "sonnet",\n\t"hooks": \{\n\t\t"SessionStart"/);
    expect(text.endsWith("}")).toBe(true);
  });

  it("refuses a file that is not valid JSON, naming it and the line, and writes nothing", async () => {
    for (const [text, pattern] of [
      ['{\n  "model": "opus",\n}\n', /is not valid JSON \(line 3, column 1/],
      ["", /is not valid JSON \(line 1, column 1/],
      ['{\n  "a": 1\n  "b": 2\n}\n', /is not valid JSON \(line 3,/],
      ["[1, 2]\n", /must hold one JSON object \(it holds an array\)/],
      ['{ "hooks": [] }\n', /"hooks" must be an object of hook events \(it is an array\)/],
      ['{ "hooks": { "PreToolUse": {} } }\n', /"hooks\.PreToolUse" must be an array of matcher groups/],
    ] as const) {
      const home = newHome();
      const original = writeSettings(home, text);
      const result = await claude(home, ["install"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(pattern);
      expect(result.stderr).toContain(home.file);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stdout).toBe("");
      expect(fs.readFileSync(home.file).equals(original)).toBe(true);
      expect(fs.readdirSync(path.dirname(home.file))).toEqual(["settings.json"]);
    }
  });

  it("removes only lore's entries from a file edited since install, and keeps the backup", async () => {
    const home = newHome();
    const original = writeSettings(home, `${JSON.stringify({ hooks: { PreToolUse: [USER_BASH_HOOK] } }, null, 2)}\n`);
    await installed(home);
    const edited = readJson(home.file);
    edited.model = "haiku";
    (edited.hooks as Record<string, unknown[]>).Stop = [{ hooks: [{ type: "command", command: "say done" }] }];
    fs.writeFileSync(home.file, `${JSON.stringify(edited, null, 2)}\n`);
    const removed = await claude(home, ["uninstall"]);
    expect({ code: removed.code, stderr: removed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(removed.stdout).toContain("kept the rest of the file as it is now");
    expect(readJson(home.file)).toEqual({
      hooks: { PreToolUse: [USER_BASH_HOOK], Stop: [{ hooks: [{ type: "command", command: "say done" }] }] },
      model: "haiku",
    });
    expect(fs.readFileSync(home.backup).equals(original)).toBe(true);
    const again = await claude(home, ["uninstall"]);
    expect(again.stdout).toContain("no hook of lore's, nothing changed");
  });

  it("updates the hooks of another lore in place and still restores the bytes from before the first install", async () => {
    const home = newHome();
    const original = writeSettings(home, `${JSON.stringify({ model: "opus" }, null, 2)}\n`);
    await installed(home);
    const moved = fs.readFileSync(home.file, "utf8").replaceAll(REPO_ROOT, "/opt/old-lore");
    fs.writeFileSync(home.file, moved);
    const status = await claude(home, ["status", "--user"]);
    expect(status.stdout).toContain("lore's hook, not current");
    const updated = await installed(home);
    expect(updated.stdout).toContain("updated lore's hooks");
    expect(fs.readFileSync(home.file, "utf8")).not.toContain("/opt/old-lore");
    expect(fs.readFileSync(home.backup).equals(original)).toBe(true);
    const removed = await claude(home, ["uninstall"]);
    expect(removed.stdout).toContain("back as it was");
    expect(fs.readFileSync(home.file).equals(original)).toBe(true);
  });

  it("--project writes .claude/settings.json at the git top level, else in the working directory", async () => {
    const home = newHome();
    const project = tempDir("lore-project-");
    git(project, ["init", "-q"]);
    const sub = path.join(project, "src", "deep");
    fs.mkdirSync(sub, { recursive: true });
    await installed(home, ["--project"], sub);
    expect(Object.keys(commands(path.join(project, ".claude", "settings.json")))).toEqual([
      "SessionStart",
      "PreToolUse",
      "PostToolUse",
    ]);
    expect(fs.existsSync(home.file)).toBe(false);
    const plain = tempDir("lore-plain-");
    await installed(home, ["--project"], plain);
    expect(fs.existsSync(path.join(plain, ".claude", "settings.json"))).toBe(true);
    const removed = await claude(home, ["uninstall", "--project"], sub);
    expect(removed.stdout).toContain("back as it was");
    expect(fs.existsSync(path.join(project, ".claude", "settings.json"))).toBe(false);
  });

  it("--base names the journal in the hook commands; a --base that is no journal is refused", async () => {
    const home = newHome();
    const journal = await createJournal();
    await installed(home, ["--base", journal]);
    expect(commands(home.file).PreToolUse).toEqual([`${LORE_COMMAND("pre-tool-use")} --base '${journal}'`]);
    const status = await claude(home, ["status", "--user"]);
    expect(status.stdout).toContain(`lore's hook, current, reads ${journal}`);
    const elsewhere = newHome();
    const refused = await claude(elsewhere, ["install", "--base", tempDir()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^lore claude: no lore journal found at /);
    expect(fs.existsSync(elsewhere.file)).toBe(false);
  });

  it("recognises the README's hand-written entry: status reports it, uninstall removes it", async () => {
    const home = newHome();
    const byHand = {
      hooks: {
        PreToolUse: [
          {
            matcher: "^(Agent|Task)$",
            hooks: [{ type: "command", command: "lore claude hook pre-tool-use", timeout: 2 }],
          },
          USER_BASH_HOOK,
        ],
        PostToolUse: [
          {
            matcher: "^(Agent|Task)$",
            hooks: [{ type: "command", command: "lore claude hook post-tool-use", timeout: 10 }],
          },
        ],
      },
    };
    writeSettings(home, `${JSON.stringify(byHand, null, 2)}\n`);
    const status = await claude(home, ["status", "--user"]);
    expect(status.stdout).toMatch(
      /PreToolUse \^\(Agent\|Task\)\$: lore's hook, not current \(lore claude hook pre-tool-use\)/,
    );
    expect(status.stdout).toMatch(
      /PostToolUse \^\(Agent\|Task\)\$: lore's hook, not current \(lore claude hook post-tool-use\)/,
    );
    const removed = await claude(home, ["uninstall"]);
    expect(removed.stdout).toContain("kept the rest of the file as it is now");
    expect(readJson(home.file)).toEqual({ hooks: { PreToolUse: [USER_BASH_HOOK] } });
  });

  it("refuses --user with --project, and an unknown action", async () => {
    const home = newHome();
    expect((await claude(home, ["install", "--user", "--project"])).code).toBe(2);
    expect((await claude(home, ["reinstall"])).code).toBe(2);
    expect((await claude(home, ["uninstall", "--base", "/tmp"])).code).toBe(2);
    expect(fs.existsSync(home.file)).toBe(false);
  });
});

describe("lore claude status", () => {
  it("lists lore's and ELF's hooks in the user's and the project's settings, one line each", async () => {
    const home = newHome();
    writeSettings(home, `${JSON.stringify({ hooks: { PreToolUse: [ELF_PRE_TOOL] } }, null, 2)}\n`);
    await installed(home);
    const project = tempDir("lore-project-");
    const result = await claude(home, ["status"], project);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = result.stdout.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^user settings .*: PreToolUse Task: ELF's learning-loop hook .*both would run/),
      expect.stringMatching(
        /^user settings .*: PreToolUse \^\(Agent\|Task\)\$: lore's hook, current, reads the journal found/,
      ),
      expect.stringMatching(/^user settings .*: SessionStart: lore's hook, current/),
      expect.stringMatching(/^user settings .*: PostToolUse \^\(Agent\|Task\)\$: lore's hook, current/),
      `project settings ${path.join(project, ".claude", "settings.json")}: no such file`,
    ]);
    const json = JSON.parse((await claude(home, ["status", "--json"], project)).stdout);
    expect(json.settings.map((s: { scope: string; state: string }) => [s.scope, s.state])).toEqual([
      ["user", "read"],
      ["project", "missing"],
    ]);
    expect(json.settings[0].entries.map((e: { owner: string; current: boolean }) => [e.owner, e.current])).toEqual([
      ["elf", false],
      ["lore", true],
      ["lore", true],
      ["lore", true],
    ]);
  });

  it("reports a settings file that is not JSON and still exits 0", async () => {
    const home = newHome();
    writeSettings(home, "{ nope");
    const result = await claude(home, ["status", "--user"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^user settings .*is not valid JSON \(line 1, column 3/);
  });
});
