/**
 * What git would commit with, asked once: the configuration and the
 * identities `git var -l` prints, and whether a commit of lore's may be made
 * by other means than `git commit` (batch-commit.ts, direct-commit.ts).
 *
 *   const settings = await commitSettings(repo);   // undefined when git cannot tell
 *   const who = identities(settings);              // { author, committer } git would accept, or undefined
 *   if (anyCommitHook(commitHooksDir(repo, settings, options.hooksDir))) ...let git commit
 *
 * git is asked again only when what its answer came from may have changed:
 * the answer is kept, in the process (`lore mcp`) and in
 * `<git dir>/lore-git-settings.json` (each command line record, which would
 * otherwise start one more git), with the size, times and inode of the
 * repository's, the user's and the system's configuration files, the
 * environment variables git reads for them and for identities (`GIT_*`,
 * `EMAIL`, `HOME`, `XDG_CONFIG_HOME`, ...) and the host's name; it is not
 * kept at all when a configuration file includes another (an `[include]` may
 * name any file). The file is a cache: written whole by a rename, not synced,
 * and a missing, torn or foreign one is asked of git again. Keys are
 * lower-cased, as git prints them. Errors: none; a git that fails is
 * undefined.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readFileIfPresent } from "../io/durable-file.js";
import { renamePath, writeFile } from "../io/file-system.js";
import { commonDir, type GitRepo, runGit } from "./git-process.js";

const answers = new Map<string, { key: string; settings: Map<string, string> }>();

const CACHE_FILE = "lore-git-settings.json";

/** The environment variables `git var -l` depends on, beside the configuration files. */
function environmentOf(): string {
  const names = Object.keys(process.env)
    .filter((name) => /^(GIT_|EMAIL$|HOME$|XDG_CONFIG_HOME$|USER$|LOGNAME$|PREFIX$)/.test(name))
    .sort();
  return JSON.stringify([os.hostname(), ...names.map((name) => [name, process.env[name]])]);
}

/** The configuration files git reads for `repo`, as far as lore follows them. */
function configFiles(repo: GitRepo): string[] {
  const home = os.homedir();
  const xdg = process.env.XDG_CONFIG_HOME || path.join(home, ".config");
  return [
    path.join(commonDir(repo), "config"),
    path.join(repo.gitDir, "config.worktree"),
    path.join(home, ".gitconfig"),
    path.join(xdg, "git", "config"),
    "/etc/gitconfig",
  ];
}

/** The files' sizes, times and inodes; undefined when one includes another file. */
function stateOf(files: string[]): string | undefined {
  const parts: string[] = [];
  for (const file of files) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      parts.push("-");
      continue;
    }
    if (/^\s*\[\s*include/im.test(fs.readFileSync(file, "utf8"))) return undefined;
    parts.push(`${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`);
  }
  return parts.join("|");
}

/** `git var -l`'s answer as the cache file keeps it for `key`; undefined when it keeps none for it. */
function cachedOutput(repo: GitRepo, key: string): string | undefined {
  try {
    const cached = JSON.parse(readFileIfPresent(path.join(repo.gitDir, CACHE_FILE)) ?? "null") as unknown;
    const { key: cachedKey, output } = (cached ?? {}) as { key?: unknown; output?: unknown };
    return cachedKey === key && typeof output === "string" ? output : undefined;
  } catch {
    return undefined;
  }
}

function keepOutput(repo: GitRepo, key: string, output: string): void {
  const file = path.join(repo.gitDir, CACHE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFile(temporary, JSON.stringify({ key, output }));
    renamePath(temporary, file);
  } catch {
    // Only a cache: the next command asks git again.
  }
}

export async function commitSettings(repo: GitRepo): Promise<Map<string, string> | undefined> {
  const files = stateOf(configFiles(repo));
  const key = files === undefined ? undefined : `${files}\n${environmentOf()}`;
  const known = answers.get(repo.gitDir);
  if (key !== undefined && known?.key === key) return known.settings;
  let output = key === undefined ? undefined : cachedOutput(repo, key);
  if (output === undefined) {
    try {
      output = (await runGit(repo, ["var", "-l"])).stdout;
    } catch {
      return undefined;
    }
    if (key !== undefined) keepOutput(repo, key, output);
  }
  const settings = new Map<string, string>();
  for (const line of output.split("\n")) {
    const equals = line.indexOf("=");
    // A key git prints alone was set with no value (`[core] autocrlf`), which git reads as true.
    if (equals > 0) settings.set(line.slice(0, equals).toLowerCase(), line.slice(equals + 1));
    else if (line.trim() !== "") settings.set(line.trim().toLowerCase(), "true");
  }
  if (key !== undefined) answers.set(repo.gitDir, { key, settings });
  return settings;
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|on|1)$/i.test(value.trim());
}

/**
 * An identity `git commit` would accept: `git var -l` also prints one it
 * guessed, which `git commit` refuses ("unable to auto-detect email
 * address", an email at `(none)`) or an empty name.
 */
function usableIdentity(ident: string | undefined): ident is string {
  const match = ident === undefined ? null : /^(.*) <([^>]*)> \d+ [+-]\d{4}$/.exec(ident);
  return match !== null && match[1].trim() !== "" && !match[2].includes("(none)");
}

/** `now` as git writes a commit's time: seconds since the epoch and the local zone, `1733240000 +0100`. */
function gitTime(now: Date): string {
  const offset = -now.getTimezoneOffset();
  const zone = `${offset < 0 ? "-" : "+"}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}${String(Math.abs(offset) % 60).padStart(2, "0")}`;
  return `${Math.floor(now.getTime() / 1000)} ${zone}`;
}

/** `ident` with its time made `now`'s, unless the environment fixes that time (`variable`), which git var then printed. */
function stamped(ident: string, variable: string, now: Date): string {
  return process.env[variable] ? ident : ident.replace(/ \d+ [+-]\d{4}$/, ` ${gitTime(now)}`);
}

/**
 * The author and committer a commit made `now` would have, as `Name <email>
 * <time> <zone>`; undefined when git would refuse one, or commits are signed.
 */
export function identities(
  settings: Map<string, string>,
  now = new Date(),
): { author: string; committer: string } | undefined {
  const committer = settings.get("git_committer_ident");
  const author = settings.get("git_author_ident");
  if (!usableIdentity(committer) || !usableIdentity(author)) return undefined;
  if (isTrue(settings.get("user.useconfigonly")) || isTrue(settings.get("commit.gpgsign"))) return undefined;
  return {
    author: stamped(author, "GIT_AUTHOR_DATE", now),
    committer: stamped(committer, "GIT_COMMITTER_DATE", now),
  };
}

const COMMIT_HOOKS = ["pre-commit", "prepare-commit-msg", "commit-msg", "post-commit"];

/** The directory git runs a commit's hooks from: the one lore gives (its chained hooks), else core.hooksPath, else the repository's. */
export function commitHooksDir(repo: GitRepo, settings: Map<string, string>, given: string | undefined): string {
  if (given !== undefined) return given;
  const configured = settings.get("core.hookspath");
  if (configured === undefined || configured === "") return path.join(commonDir(repo), "hooks");
  const expanded = configured.startsWith("~/") ? path.join(os.homedir(), configured.slice(2)) : configured;
  return path.resolve(repo.root, expanded);
}

/** Whether a hook a commit would run is present in `hooksDir` (with `also`: more of them). */
export function anyCommitHook(hooksDir: string, also: string[] = []): boolean {
  return [...COMMIT_HOOKS, ...also].some((name) => {
    try {
      fs.accessSync(path.join(hooksDir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
