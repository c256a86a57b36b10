/**
 * File-name slugs, ELF's rules made safe.
 *
 * `failureSlug(title)`: lowercased, each space turned into `-`, everything but
 * `a-z`, `0-9` and `-` removed, cut to 100 characters. Unlike ELF, a colon does
 * not survive (it is not allowed in Windows file names) and an empty result
 * becomes `untitled`, never an empty name.
 *
 * `domainSlug(domain)`: lowercased, spaces turned into `-`, other characters
 * outside `a-z`, `0-9` and `-` removed, every leading and trailing `-`
 * stripped (ELF strips one of each), then cut to 100 characters (ELF's
 * order); used for a heuristic domain's file name and its database value. An
 * empty result is returned as "" for the caller to reject. `Testing Stuff`
 * gives `testing-stuff`.
 */
const MAX_SLUG_LENGTH = 100;

function baseSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/ /g, "-")
    .replace(/[^a-z0-9-]/g, "");
}

export function failureSlug(title: string): string {
  return baseSlug(title).slice(0, MAX_SLUG_LENGTH) || "untitled";
}

export function domainSlug(domain: string): string {
  return baseSlug(domain)
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH);
}
