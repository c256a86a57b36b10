/**
 * What each of lore's ways of committing is given (commit.ts, batch-commit.ts,
 * direct-commit.ts): the caller's deadline, fencing and hooks directory
 * (`CommitOptions`), one file with its message (`FileCommit`), and git's
 * clean-up of a `-m` message, for the commits lore writes without `git
 * commit`.
 *
 *   const options: CommitOptions = { deadline, staleMs, assertHeld, hooksDir };
 *   const text = cleanMessage(commit.message);
 *
 * Nothing here runs git or throws.
 */

export interface CommitOptions {
  deadline: number;
  staleMs: number;
  /** Fencing: throws when the caller no longer holds the journal lock; checked before each git. */
  assertHeld: () => void;
  /** The hooks directory lore's commits run (lore's chained hooks, hook-state.ts); undefined: the repository's own. */
  hooksDir: string | undefined;
}

export interface FileCommit {
  /** Absolute path of a file inside the work tree. */
  file: string;
  message: string;
}

/** git's clean-up of a `-m` message: no trailing spaces, no leading, trailing or doubled blank lines, one final newline. */
export function cleanMessage(message: string): string {
  const lines = message.split("\n").map((line) => line.trimEnd());
  const kept: string[] = [];
  for (const line of lines) {
    if (line === "" && (kept.length === 0 || kept[kept.length - 1] === "")) continue;
    kept.push(line);
  }
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  return `${kept.join("\n")}\n`;
}
