/**
 * Loads `lore sync`'s implementation on demand. It lives here, beside
 * sync-main.ts, so that the bundler (scripts/build.mjs) keeps the import as
 * `./sync-main.js`, a file of its own that only `lore sync` loads.
 */
export function loadSyncMain(): Promise<typeof import("./sync-main.js")> {
  return import("./sync-main.js");
}
