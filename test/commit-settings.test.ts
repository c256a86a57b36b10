/**
 * What git would commit with, as a process that stays up (`lore mcp`) keeps
 * it (src/git/commit-settings.ts): asked of `git var -l` again whenever a
 * configuration file it came from changed, and never kept when one includes
 * another file, so a commit never carries an identity the user replaced.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commitSettings, identities } from "../src/git/commit-settings.js";
import { git, tempDir } from "./support/journal.js";

function repository(): { root: string; gitDir: string } {
  const root = tempDir("lore-settings-");
  git(root, ["init", "-q"]);
  git(root, ["config", "user.name", "First Name"]);
  git(root, ["config", "user.email", "first@example.invalid"]);
  return { root, gitDir: path.join(root, ".git") };
}

async function authorName(repo: { root: string; gitDir: string }): Promise<string | undefined> {
  const settings = await commitSettings(repo);
  return settings && identities(settings)?.author.replace(/ <.*$/, "");
}

describe("commit settings kept between commits", () => {
  it("are asked again once the repository's configuration changed", async () => {
    const repo = repository();
    expect(await authorName(repo)).toBe("First Name");
    git(repo.root, ["config", "user.name", "Second Name"]);
    expect(await authorName(repo)).toBe("Second Name");
  });

  it("are not kept when the configuration includes another file, whose change is seen", async () => {
    const repo = repository();
    const included = path.join(repo.root, "..", `${path.basename(repo.root)}.included`);
    fs.writeFileSync(included, "[user]\n\tname = Included Name\n");
    git(repo.root, ["config", "--unset", "user.name"]);
    git(repo.root, ["config", "include.path", included]);
    expect(await authorName(repo)).toBe("Included Name");
    fs.writeFileSync(included, "[user]\n\tname = Changed Name\n");
    expect(await authorName(repo)).toBe("Changed Name");
  });

  it("stamp each commit with the time it is made, not the time git was asked", async () => {
    const repo = repository();
    const settings = await commitSettings(repo);
    const later = new Date(Date.now() + 3_600_000);
    const stamped = settings && identities(settings, later);
    expect(stamped?.committer).toMatch(new RegExp(` ${Math.floor(later.getTime() / 1000)} [+-]\\d{4}$`));
  });

  it("read a key git prints without a value (`[core] autocrlf` alone) as set to true", async () => {
    const repo = repository();
    fs.appendFileSync(path.join(repo.gitDir, "config"), "[core]\n\tautocrlf\n");
    expect((await commitSettings(repo))?.get("core.autocrlf")).toBe("true");
  });
});

describe("commit settings kept between commands", () => {
  it("are read from the git directory's cache by the next process, and asked again once it is stale", async () => {
    const repo = repository();
    await commitSettings(repo);
    const cache = path.join(repo.gitDir, "lore-git-settings.json");
    const kept = JSON.parse(fs.readFileSync(cache, "utf8")) as { key: string; output: string };
    expect(kept.output).toMatch(/^user\.name=First Name$/m);
    // Another process (a new key in the file, as this process's own answer is kept apart): the file's answer is used.
    fs.writeFileSync(cache, JSON.stringify({ ...kept, output: kept.output.replaceAll("First Name", "Cached Name") }));
    const other = { ...repo, gitDir: `${repo.gitDir}${path.sep}` };
    expect(await authorName(other)).toBe("Cached Name");
    // A configuration changed since: git is asked again, and the cache rewritten.
    git(repo.root, ["config", "user.name", "Third Name"]);
    expect(await authorName(other)).toBe("Third Name");
    expect(fs.readFileSync(cache, "utf8")).toContain("Third Name");
    // A torn cache is only a miss.
    fs.writeFileSync(cache, '{"key": "');
    git(repo.root, ["config", "user.name", "Fourth Name"]);
    expect(await authorName(other)).toBe("Fourth Name");
  });
});
