/**
 * No symbolic link where lore keeps a journal's database, lock, intents or
 * records.
 *
 *   assertJournalPathsPlain(layout);   // first in every journal session (journal-session.ts) and in lore init
 *
 * Refuses with UnsafePathError (exit 6), before anything is opened, created
 * or locked, a link at: `memory/`; `index.db` and the files SQLite keeps
 * beside it; `memory/failures` and `memory/heuristics`; `memory/.lore` and
 * the paths in it lore writes under fixed names (the lock directory, its
 * owner file, the pending intents, the wait queue, the files commit's git
 * index). Through such a link the row would go into another database, or the
 * lock, its owner and the pending intent (with the whole row) outside the
 * journal, where no recovery of this journal finds them. Files lore creates
 * under fresh names (intents, temp files) cannot be planted in advance, and a
 * record's own file is checked by `assertPlainPath` before it is written.
 *
 * The journal's base may itself be a link (ELF users link
 * `~/.claude/emergent-learning`): everything below it then resolves together.
 * `memory/` may not: git commits nothing beyond a symbolic link, and every
 * record's `assertPlainPath` already refused it.
 * Costs one lstat per path, 13 in all; nothing is read.
 */
import { assertNoSymlinks } from "../io/durable-file.js";
import type { JournalLayout } from "../journal/layout.js";
import { lockOwnerFile } from "../lock/journal-lock.js";
import { waitQueueOf } from "../lock/wait-queue.js";
import { filesCommitIndex } from "./files-transaction.js";

export function assertJournalPathsPlain(layout: JournalLayout): void {
  const database = ["", "-wal", "-shm", "-journal"].map((suffix) => `${layout.dbFile}${suffix}`);
  assertNoSymlinks([
    layout.memoryDir,
    ...database,
    layout.failuresDir,
    layout.heuristicsDir,
    layout.loreDir,
    layout.lockDir,
    lockOwnerFile(layout.lockDir),
    layout.pendingDir,
    waitQueueOf(layout.lockDir),
    filesCommitIndex(layout),
  ]);
}
