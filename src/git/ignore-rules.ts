/**
 * git's ignore rules, as they keep a journal's record files out of git.
 *
 *   const rules = await ignoringRules(repo, paths);                     // as `git add` sees them
 *   const rules = await ignoringRules(repo, paths, { asIfUntracked: true });  // files to come
 *   throw IgnoredByGitError.of(repo, rules);
 *
 * `ignoringRules` asks `git check-ignore -v` which of `paths` (absolute; a
 * directory with a trailing `/`) git ignores, and for each the rule that does:
 * the file that holds it (`source`, absolute), its line and its pattern. A
 * path under an ignored directory is ignored by that directory's rule. By
 * default a tracked file is not ignored (git adds it like any other);
 * `asIfUntracked` asks about paths as new files (lore init). Paths git does
 * not ignore are absent from the map.
 *
 * IgnoredByGitError: a commit that can never be made, because git ignores
 * files it would hold (`git add` refuses them); it names each file and rule,
 * and carries them (`rules`, by absolute path). Exit 1: the record is written,
 * not committed, and no later command will commit it while the rule stands.
 * Errors: GitError when git fails otherwise.
 */
import path from "node:path";
import { ExitCode, LoreError } from "../base/errors.js";
import { GitError, type GitRepo, startGit } from "./git-process.js";

export interface IgnoreRule {
  /** The file holding the rule, absolute (`.gitignore`, `.git/info/exclude`, core.excludesFile). */
  source: string;
  line: number;
  pattern: string;
}

/** A rule as git's `check-ignore -v` shows it: `file:line:pattern`, the file relative to the work tree where it is in it. */
export function describeRule(repo: GitRepo, rule: IgnoreRule): string {
  const relative = path.relative(repo.root, rule.source);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? rule.source : relative;
  return `${shown.split(path.sep).join("/")}:${rule.line}:${rule.pattern}`;
}

function relativeToRoot(repo: GitRepo, file: string): string {
  const relative = path.relative(repo.root, file).split(path.sep).join("/");
  return file.endsWith("/") || file.endsWith(path.sep) ? `${relative}/` : relative;
}

export async function ignoringRules(
  repo: GitRepo,
  paths: string[],
  { asIfUntracked = false }: { asIfUntracked?: boolean } = {},
): Promise<Map<string, IgnoreRule>> {
  const rules = new Map<string, IgnoreRule>();
  if (paths.length === 0) return rules;
  const byRelative = new Map(paths.map((file) => [relativeToRoot(repo, file), file]));
  const checking = startGit(
    repo,
    ["check-ignore", "--verbose", "-z", "--stdin", ...(asIfUntracked ? ["--no-index"] : [])],
    { stdin: true },
  );
  checking.send(`${[...byRelative.keys()].join("\0")}\0`);
  let output: string;
  try {
    output = (await checking.result).stdout.toString("utf8");
  } catch (error) {
    // Exit 1: none of the paths is ignored.
    if (error instanceof GitError && error.gitStatus === 1) return rules;
    throw error;
  }
  const fields = output.split("\0");
  for (let index = 0; index + 3 < fields.length; index += 4) {
    const [source, line, pattern, shown] = fields.slice(index, index + 4);
    const file = byRelative.get(shown);
    // --verbose also shows a negation (`!pattern`) that was the last to match: that path is not ignored.
    if (file === undefined || source === "" || pattern.startsWith("!")) continue;
    rules.set(file, { source: path.resolve(repo.root, source), line: Number(line), pattern });
  }
  return rules;
}

export class IgnoredByGitError extends LoreError {
  readonly exitCode = ExitCode.Failed;
  /** `rules`: each ignored file (absolute) and its rule; none when only the message is known (a resolution another lore wrote). */
  constructor(
    message: string,
    readonly rules: ReadonlyMap<string, IgnoreRule> = new Map(),
  ) {
    super(message);
  }

  /** The error naming each ignored file (relative to the work tree) and its rule. */
  static of(repo: GitRepo, rules: ReadonlyMap<string, IgnoreRule>): IgnoredByGitError {
    const named = [...rules].map(([file, rule]) => `${relativeToRoot(repo, file)} (${describeRule(repo, rule)})`);
    return new IgnoredByGitError(`git ignores ${named.join(", ")}`, rules);
  }

  /** The error for `file` alone, when it is one of the ignored files; undefined otherwise. */
  forFile(repo: GitRepo, file: string): IgnoredByGitError | undefined {
    const rule = this.rules.get(file);
    return rule && IgnoredByGitError.of(repo, new Map([[file, rule]]));
  }
}
