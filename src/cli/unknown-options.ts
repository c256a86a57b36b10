/**
 * ELF's recorders skip unknown flags silently; lore skips them too, so that a
 * caller written for ELF keeps working, but says so on stderr, since a typo
 * such as `--titel` should not pass unnoticed.
 */
import { warn } from "../base/warn.js";

const ALWAYS_KNOWN = new Set(["_", "$0", "help", "version"]);

export function warnUnknownOptions(args: Record<string, unknown>, declared: object): void {
  for (const key of Object.keys(args)) {
    if (!ALWAYS_KNOWN.has(key) && !Object.hasOwn(declared, key)) warn(`unknown option --${key} ignored`);
  }
}
