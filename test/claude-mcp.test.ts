// `lore claude install --mcp`, `uninstall` and `status` with lore's MCP
// server: `.mcp.json` at a project's top level and `~/.claude.json` of a temp
// HOME, real files beside other programs' entries, the real CLI as a child
// process, and the registered command started by a real MCP client.
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { createJournal, git, tempDir } from "./support/journal.js";
import { cleanEnv, REPO_ROOT, runLore, type RunResult } from "./support/lore.js";

const LORE_ENTRY = (base?: string) => ({
  type: "stdio",
  command: process.execPath,
  args: [path.join(REPO_ROOT, "bin", "lore.js"), "mcp", ...(base === undefined ? [] : ["--base", base])],
});
const OTHER_SERVER = { command: "npx", args: ["-y", "some-mcp-server"], env: { TOKEN: "x" } };

function claude(home: string, args: string[], cwd: string): Promise<RunResult> {
  return runLore(["claude", ...args], { cwd, env: { HOME: home } });
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function gitProject(): string {
  const project = tempDir("lore-project-");
  git(project, ["init", "-q"]);
  return project;
}

describe("lore claude install --mcp", () => {
  it("--project registers lore mcp in .mcp.json beside other servers; uninstall restores the bytes", async () => {
    const home = tempDir("lore-home-");
    const project = gitProject();
    const journal = await createJournal();
    const file = path.join(project, ".mcp.json");
    const original = Buffer.from(`${JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2)}\n`);
    fs.writeFileSync(file, original);
    fs.mkdirSync(path.join(project, "src"));
    const install = await claude(home, ["install", "--project", "--mcp", "--base", journal], path.join(project, "src"));
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: "" });
    expect(install.stdout).toContain(`${file}: registered lore's MCP server`);
    expect(readJson(file)).toEqual({ mcpServers: { other: OTHER_SERVER, lore: LORE_ENTRY(journal) } });
    expect(fs.readFileSync(`${file}.lore-backup`).equals(original)).toBe(true);
    expect(fs.existsSync(path.join(project, ".claude", "settings.json"))).toBe(true);

    const again = await claude(home, ["install", "--project", "--mcp", "--base", journal], project);
    expect(again.stdout).toContain("lore's MCP server is registered and current, nothing changed");
    const status = await claude(home, ["status", "--project"], project);
    expect(status.stdout).toContain(
      `project MCP servers ${file}: lore's MCP server (lore mcp), current, serves ${journal}`,
    );

    // The entry as registered starts a server that a client can use.
    const entry = LORE_ENTRY(journal);
    const client = new Client({ name: "lore-test", version: "1" });
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: cleanEnv() as Record<string, string> }),
    );
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("record_failure");
    await client.close();

    const removed = await claude(home, ["uninstall", "--project"], project);
    expect({ code: removed.code, stderr: removed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(removed.stdout).toContain(`${file}: removed lore's MCP server: the file is back as it was`);
    expect(fs.readFileSync(file).equals(original)).toBe(true);
    expect(fs.existsSync(`${file}.lore-backup`)).toBe(false);
  });

  it("--user keeps the rest of ~/.claude.json, and removes only lore's server from a file edited since", async () => {
    const home = tempDir("lore-home-");
    const cwd = tempDir();
    const file = path.join(home, ".claude.json");
    const state = { numStartups: 7, projects: { "/w/app": { mcpServers: { local: OTHER_SERVER } } } };
    fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
    const install = await claude(home, ["install", "--mcp"], cwd);
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: "" });
    expect(readJson(file)).toEqual({ ...state, mcpServers: { lore: LORE_ENTRY() } });
    // Claude Code rewrites its state meanwhile.
    fs.writeFileSync(file, `${JSON.stringify({ ...readJson(file), numStartups: 8 }, null, 2)}\n`);
    const removed = await claude(home, ["uninstall"], cwd);
    expect(removed.stdout).toContain(`${file}: removed lore's MCP server and kept the rest of the file as it is now`);
    expect(readJson(file)).toEqual({ ...state, numStartups: 8 });
    expect(fs.existsSync(`${file}.lore-backup`)).toBe(true);
    const status = await claude(home, ["status", "--json"], cwd);
    expect(JSON.parse(status.stdout).mcp.map((entry: { scope: string; server?: unknown }) => entry.server)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("refuses a server named lore that is another program's, and mcpServers that is no object, writing nothing", async () => {
    const home = tempDir("lore-home-");
    const cwd = tempDir();
    const file = path.join(home, ".claude.json");
    for (const value of [{ mcpServers: { lore: OTHER_SERVER } }, { mcpServers: [] }]) {
      const text = `${JSON.stringify(value, null, 2)}\n`;
      fs.writeFileSync(file, text);
      const result = await claude(home, ["install", "--mcp"], cwd);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain("nothing was written");
      expect(fs.readFileSync(file, "utf8")).toBe(text);
      expect(fs.existsSync(`${file}.lore-backup`)).toBe(false);
      expect(fs.existsSync(path.join(home, ".claude", "settings.json"))).toBe(false);
    }
  });
});
