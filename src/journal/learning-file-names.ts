/**
 * The file name of a failure or an observation, each a file of its own:
 * `memory/failures/<YYYYMMDD>_<slug>.md` (ELF's record-failure.sh) and
 * `memory/successes/obs_<YYYYMMDD>_<slug>.md` (lore's observations: ELF's
 * pattern name, `<YYYYMMDD>_<slug>.md`, after the `obs_` of ELF's hook's
 * `obs_<ts>.md`, so that ELF's own pattern files are never taken for lore's).
 * The slug is failureSlug's (slug.ts). A name already taken gets `-2`, `-3`,
 * ... instead: a record never overwrites another.
 *
 *   const stem = learningFileStem("observation", "20260101", title);   // relative, no `.md`
 *   const file = firstFreeFile(stem, (candidate) => exists(candidate)); // `${stem}.md`, or `${stem}-2.md`, ...
 *
 * Pure: the caller says which names are taken (on disk, under the journal
 * lock, and those it is about to write).
 */
import { FAILURES_DIR, OBSERVATION_FILE_PREFIX, SUCCESSES_DIR } from "./journal-file.js";
import { failureSlug } from "./slug.js";

/** How the path of each kind's file starts, before its date. */
const PATH_START = {
  failure: `${FAILURES_DIR}/`,
  observation: `${SUCCESSES_DIR}/${OBSERVATION_FILE_PREFIX}`,
} as const;

export type LearningType = keyof typeof PATH_START;

/** How the relative path of every file of this kind starts (its directory, and `obs_` for an observation). */
export function learningPathStart(type: LearningType): string {
  return PATH_START[type];
}

/** The relative path, without `.md`, of a failure's or an observation's file recorded on `compactDate` (YYYYMMDD). */
export function learningFileStem(type: LearningType, compactDate: string, title: string): string {
  return `${PATH_START[type]}${compactDate}_${failureSlug(title)}`;
}

/** `${stem}.md`, else the first of `${stem}-2.md`, `${stem}-3.md`, ... that `isTaken` does not name. */
export function firstFreeFile(stem: string, isTaken: (relative: string) => boolean): string {
  for (let suffix = 1; ; suffix++) {
    const candidate = suffix === 1 ? `${stem}.md` : `${stem}-${suffix}.md`;
    if (!isTaken(candidate)) return candidate;
  }
}
