// Journals shared between clones through a bare repository, as teams share
// them: each clone with lore initialised and its git hooks installed.
import path from "node:path";
import { configureGitIdentity, git, tempDir } from "./journal.js";
import { runLore } from "./lore.js";

async function lore(args: string[], cwd: string): Promise<void> {
  const result = await runLore(args, { cwd });
  if (result.code !== 0) throw new Error(`lore ${args.join(" ")} failed in ${cwd}: ${result.stderr}`);
}

/** A clone of `bare` named `name` beside it: merges on pull, lore initialised, its hooks installed. */
export async function cloneJournal(bare: string, name: string): Promise<string> {
  const dir = path.join(path.dirname(bare), name);
  git(path.dirname(bare), ["clone", "-q", bare, name]);
  configureGitIdentity(dir);
  git(dir, ["config", "pull.rebase", "false"]);
  await lore(["init"], dir);
  await lore(["hooks", "install"], dir);
  return dir;
}

/** A bare repository whose first commit, pushed from `seed`, holds an initialised journal (and `seed`'s extra files). */
export async function sharedJournal(
  prefix: string,
  seedWith: (seed: string) => Promise<void> = async () => {},
): Promise<{ root: string; bare: string; seed: string }> {
  const root = tempDir(prefix);
  const bare = path.join(root, "journal.git");
  git(root, ["init", "-q", "--bare", bare]);
  const seed = path.join(root, "seed");
  git(root, ["clone", "-q", bare, "seed"]);
  configureGitIdentity(seed);
  await lore(["init"], seed);
  await lore(["hooks", "install"], seed);
  await seedWith(seed);
  git(seed, ["add", "-A"]);
  git(seed, ["commit", "-q", "-m", "journal"]);
  git(seed, ["push", "-q", "origin", "HEAD"]);
  return { root, bare, seed };
}
