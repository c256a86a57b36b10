// The build's patches to libraries, one entry each, and `libraryPatches()`,
// the esbuild plugin that applies them (scripts/build.mjs). Each entry names
// the library, the exact version it was written for, and what it changes:
//
//   rewrite      text replaced in one of the library's files (exactly once)
//   shim         what the library gets when it asks for module `request`
//   replacedBy   the module that `requiredBy` gets instead of the library
//
// The build fails (the plugin throws) when the installed copy of a library
// has another version than its entry names, when a rewrite's text is not in
// the file exactly once, or when a patch was never applied (the library no
// longer asks for what it replaces). Check a new version's source against the
// patch, then name the version here and in package.json.
//
// Pins: package.json names each patched library's exact version: lore's own
// dependencies directly; signal-exit and graceful-fs, which only
// proper-lockfile requires, through `overrides` scoped to proper-lockfile
// (write-file-atomic keeps its signal-exit 4). Overrides rather than the
// check alone, so that `npm install` here (where the build runs) fetches the
// checked version instead of a newer one that fails the build; the check
// still catches an override changed without its patch, or a stale install.
//
// Why each patch pays: docs/DESIGN.md#library-patches.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The module `createRequire` is taken from in the bundle: the bundle's own `require`, without loading node:module. */
export const BUNDLE_REQUIRE_MODULE = `export function createRequire(file) {
  if (file !== __filename && file !== __loreModule.url) throw new Error("createRequire(" + file + ") in " + __filename + ": only the bundle's own file has a require here");
  return require;
}`;

export const LIBRARY_PATCHES = [
  {
    library: "yargs-parser",
    version: "22.0.0",
    why: "names its file for createRequire by __filename, not by making the URL import.meta.url (1.5 ms a record)",
    rewrite: { file: "build/lib/index.js", from: "createRequire(import.meta.url)", to: "createRequire(__filename)" },
  },
  {
    library: "yargs-parser",
    version: "22.0.0",
    why: "gets createRequire from the bundle's own require, not node:module (0.7 ms a record)",
    shim: { request: "node:module", contents: BUNDLE_REQUIRE_MODULE },
  },
  {
    library: "signal-exit",
    version: "3.0.7",
    requiredBy: "proper-lockfile",
    why: "loads assert for one assert.equal on its argument (1 ms a record)",
    shim: {
      request: "assert",
      contents: `exports.equal = (actual, expected, message) => { if (actual != expected) throw new Error(message); };`,
    },
  },
  {
    library: "write-file-atomic",
    version: "7.0.1",
    why: "loads crypto (3 ms a record) to hash a temp name's digits; a 32-bit FNV-1a hash of the same inputs serves",
    shim: {
      request: "node:crypto",
      contents: `exports.createHash = () => {
  let hash = 0x811c9dc5;
  const hasher = {
    update(text) {
      for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16777619) >>> 0;
      return hasher;
    },
    digest() {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(hash);
      return bytes;
    },
  };
  return hasher;
};`,
    },
  },
  {
    library: "write-file-atomic",
    version: "7.0.1",
    why: "loads worker_threads (1 ms a record) for the thread id, 0 in the only thread the bundle runs in",
    shim: { request: "worker_threads", contents: "exports.threadId = 0;" },
  },
  {
    library: "graceful-fs",
    version: "4.2.12",
    requiredBy: "proper-lockfile",
    why: "patches fs at load to queue on EMFILE, which lore, holding a handful of files, never meets",
    replacedBy: "node:fs",
  },
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The directory of the copy of `name` that Node would load from `fromDir`. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) throw new Error(`${name} is not installed (looked up from ${fromDir})`);
  }
}

function nameOf(patch) {
  const change = patch.rewrite
    ? `rewrite of ${JSON.stringify(patch.rewrite.from)} in ${patch.rewrite.file}`
    : patch.shim
      ? `shim for its ${JSON.stringify(patch.shim.request)}`
      : `${patch.replacedBy} for ${patch.requiredBy ?? "lore"}`;
  return `library patch for ${patch.library} ${patch.version} (${change})`;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An esbuild plugin applying `patches` to the libraries installed under `root`; see the top of this file. */
export function libraryPatches(patches = LIBRARY_PATCHES, root = ROOT) {
  return {
    name: "library-patches",
    setup(b) {
      const entries = patches.map((patch) => {
        const requiredByDir = patch.requiredBy ? packageDir(patch.requiredBy, root) : root;
        const dir = packageDir(patch.library, requiredByDir);
        const installed = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
        if (installed !== patch.version) {
          throw new Error(
            `${nameOf(patch)}: ${patch.library} ${installed} is installed (${path.relative(root, dir)}); ` +
              "check the patch against it, then name that version in scripts/library-patches.mjs and package.json",
          );
        }
        return { patch, dir, requiredByDir, applied: false };
      });
      const within = (file, dir) => file.startsWith(dir + path.sep);

      const rewritten = new Map();
      for (const entry of entries.filter(({ patch }) => patch.rewrite)) {
        const file = path.join(entry.dir, entry.patch.rewrite.file);
        rewritten.set(file, [...(rewritten.get(file) ?? []), entry]);
      }
      for (const [file, fileEntries] of rewritten) {
        b.onLoad({ filter: new RegExp(`^${escapeRegExp(file)}$`) }, () => {
          let source = readFileSync(file, "utf8");
          for (const entry of fileEntries) {
            const { from, to } = entry.patch.rewrite;
            const count = source.split(from).length - 1;
            if (count !== 1) {
              throw new Error(
                `${nameOf(entry.patch)}: ${JSON.stringify(from)} occurs ${count} times in ${file}, not once`,
              );
            }
            source = source.replace(from, to);
            entry.applied = true;
          }
          return { contents: source, loader: "js", resolveDir: path.dirname(file) };
        });
      }

      const byRequest = entries.filter(({ patch }) => patch.shim || patch.replacedBy);
      const requests = byRequest.map(({ patch }) => (patch.shim ? patch.shim.request : patch.library));
      if (requests.length > 0) {
        b.onResolve({ filter: new RegExp(`^(${requests.map(escapeRegExp).join("|")})$`) }, (args) => {
          const entry = byRequest.find(({ patch, dir, requiredByDir }) =>
            patch.shim
              ? patch.shim.request === args.path && within(args.importer, dir)
              : patch.library === args.path && within(args.importer, requiredByDir),
          );
          if (!entry) return undefined;
          entry.applied = true;
          if (entry.patch.replacedBy) return { path: entry.patch.replacedBy, external: true };
          return { path: args.path, namespace: "library-shim", pluginData: entry.patch.shim.contents };
        });
        b.onLoad({ filter: /.*/, namespace: "library-shim" }, (args) => ({ contents: args.pluginData, loader: "js" }));
      }

      b.onEnd((result) => {
        if (result.errors.length > 0) return;
        const unapplied = entries.filter((entry) => !entry.applied).map((entry) => nameOf(entry.patch));
        if (unapplied.length > 0) {
          throw new Error(
            `never applied, so the library no longer matches it: ${unapplied.join("; ")}. ` +
              "Check the library, then change or remove the patch in scripts/library-patches.mjs",
          );
        }
      });
    },
  };
}
