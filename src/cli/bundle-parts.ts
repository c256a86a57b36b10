/**
 * Loads the parts of lore that a record never needs, on demand: `lore sync`, `lore
 * hooks` and the git hooks' work (dist/sync-and-hooks.js) and yargs's help and usage front
 * (dist/yargs-front.js), each a bundle of its own (scripts/build.mjs), so that
 * a record's start-up never pays for them. They are required, not imported:
 * Node's `import()` of a CommonJS file first scans all of it for its exports
 * (about 15 ms here), and bin/run.js compiles dist/lore.js as a script, where
 * `import()` needs an experimental loader. Runs from the bundle only, where
 * this file and those bundles sit side by side in dist/.
 */
import { createRequire } from "node:module";

const requireBesideBundle = createRequire(import.meta.filename);

export function loadSyncAndHooks(): typeof import("./sync-and-hooks.js") {
  return requireBesideBundle("./sync-and-hooks.js") as typeof import("./sync-and-hooks.js");
}

export function loadYargsFront(): typeof import("./yargs-front.js") {
  return requireBesideBundle("./yargs-front.js") as typeof import("./yargs-front.js");
}
