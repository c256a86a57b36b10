// Bundles the CLI into dist/ with esbuild, so that a record (a short-lived
// process) loads one file instead of hundreds: start-up is most of its cost.
//
//   node scripts/build.mjs   (npm run build; also run by npm install)
//
// Makes, in CommonJS (dist/package.json says so inside this ESM package):
//   dist/lore.js             every command's entry, starting with a
//                            `//lore-build <id>` line (a hash of the bundle)
//   dist/lore.v8cache        its V8 code cache for that id, made by
//                            scripts/train-code-cache.cjs (bin/run.js uses it)
//   dist/sync-and-hooks.js   loaded on demand (src/cli/on-demand-parts.ts), with
//                            a build id and dist/sync-and-hooks.v8cache, as
//                            dist/lore.js
//   dist/help-and-usage.js   loaded on demand (src/cli/on-demand-parts.ts)
//   dist/manage-elf.js       loaded on demand (src/cli/on-demand-parts.ts)
//   dist/read-commands.js    `lore query`, `lore context`, `lore search`: started on its
//                            own by bin/run.js, or loaded on demand; with a
//                            build id and dist/read-commands.v8cache, as
//                            dist/lore.js
//   dist/claude-code.js      loaded on demand (src/cli/on-demand-parts.ts), with
//                            a build id and dist/claude-code.v8cache
//   dist/mcp-server.js       `lore mcp`, with the MCP SDK and zod inside it: loaded
//                            on demand (src/cli/on-demand-parts.ts), never by a record
// better-sqlite3 (a native addon) and cli-progress stay external, but for
// better-sqlite3's JavaScript in dist/read-commands.js (its addon is loaded
// by path all the same).
//
// Libraries are patched through scripts/library-patches.mjs, one entry per
// patch, each for an exact version. Exits non-zero, with nothing usable in
// dist/, when esbuild fails, when a library patch no longer fits (see there),
// when lore's own code imports one of `node:fs|path|os|readline` by name, or
// when a bundle bin/run.js compiles (COMPILED_BY_RUN) has a dynamic import(). A
// code cache that cannot be made is only reported: lore works without it,
// only starts slower.
//
// Why each choice: docs/DESIGN.md#the-build.
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUNDLE_REQUIRE_MODULE, LIBRARY_PATCHES, libraryPatches } from "./library-patches.mjs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const dist = new URL("../dist/", import.meta.url);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
writeFileSync(new URL("package.json", dist), `${JSON.stringify({ type: "commonjs" })}\n`);

const loreSources = fileURLToPath(new URL("../src/", import.meta.url));
const builtinDefaults = {
  name: "builtin-defaults",
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path|os|readline)$/ }, (args) => {
      if (args.namespace === "builtin-default") return { path: args.path, external: true };
      if (!args.importer.startsWith(loreSources)) return undefined;
      return { path: args.path, namespace: "builtin-default" };
    });
    b.onLoad({ filter: /.*/, namespace: "builtin-default" }, (args) => ({
      contents: `export default require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

// lore's own code gets `createRequire` from the bundle's own require, not from node:module.
const ownRequire = {
  name: "own-require",
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      args.importer.startsWith(loreSources) ? { path: args.path, namespace: "own-require" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "own-require" }, () => ({ contents: BUNDLE_REQUIRE_MODULE, loader: "js" }));
  },
};

/** The bundles bin/run.js compiles itself, each with its build id and code cache. */
const COMPILED_BY_RUN = ["lore", "read-commands", "sync-and-hooks", "claude-code"];

/** esbuild's options for `entryPoints`, with `external` left out of the bundles. */
function bundleOptions(entryPoints, external, patches = libraryPatches()) {
  return {
    entryPoints,
    outdir: "dist",
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external,
    define: {
      LORE_VERSION: JSON.stringify(version),
      "import.meta.url": "__loreModule.url",
      "import.meta.filename": "__filename",
    },
    banner: {
      js: 'const __loreModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
    },
    minify: true,
    legalComments: "none",
    metafile: true,
    plugins: [builtinDefaults, ownRequire, patches],
    logLevel: "warning",
  };
}

// A failed build leaves no dist/lore.js behind that could pass for a good one.
try {
  // dist/read-commands.js carries better-sqlite3's JavaScript inside it (a query loads one file less and
  // compiles it from its code cache); the other bundles leave it outside, in node_modules.
  const ON_DEMAND = [
    "./help-and-usage.js",
    "./sync-and-hooks.js",
    "./manage-elf.js",
    "./read-commands.js",
    "./claude-code.js",
    "./mcp-server.js",
  ];
  const mainBuild = await build(
    bundleOptions(
      {
        lore: "src/cli/main.ts",
        "help-and-usage": "src/cli/help-and-usage.ts",
        "sync-and-hooks": "src/cli/sync-and-hooks.ts",
        "manage-elf": "src/cli/manage-elf.ts",
        "claude-code": "src/cli/claude-code.ts",
        "mcp-server": "src/mcp/mcp-server.ts",
      },
      ["better-sqlite3", "cli-progress", ...ON_DEMAND],
    ),
  );
  // Of the patched libraries, only yargs-parser is in it (each patch must apply where it is given).
  const readBuild = await build(
    bundleOptions(
      { "read-commands": "src/cli/read-commands.ts" },
      ["bindings", "cli-progress", ...ON_DEMAND],
      libraryPatches(LIBRARY_PATCHES.filter((patch) => patch.library === "yargs-parser")),
    ),
  );

  const outputs = { ...mainBuild.metafile.outputs, ...readBuild.metafile.outputs };
  for (const name of COMPILED_BY_RUN) {
    // bin/run.js compiles the bundle as a script, which has no loader for import() (esbuild's
    // metafile tells a dynamic import from the text "import(" inside a string, which a hook's source holds).
    if (outputs[`dist/${name}.js`].imports.some((imported) => imported.kind === "dynamic-import"))
      throw new Error(
        `dist/${name}.js has a dynamic import(); load such parts with require (src/cli/on-demand-parts.ts)`,
      );
    const bundleFile = new URL(`${name}.js`, dist);
    const bundle = readFileSync(bundleFile, "utf8");
    writeFileSync(
      bundleFile,
      `//lore-build ${createHash("sha256").update(bundle).digest("hex").slice(0, 16)}\n${bundle}`,
    );
  }
} catch (error) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write(`build: failed, dist/ removed: ${error.message}\n`);
  process.exit(1);
}

try {
  execFileSync(process.execPath, [fileURLToPath(new URL("train-code-cache.cjs", import.meta.url))], {
    stdio: ["ignore", "ignore", "pipe"],
  });
} catch (error) {
  process.stderr.write(
    `build: no code caches for the bundles bin/run.js compiles (lore works, only starts slower): ${String(error.stderr || error.message).trim()}\n`,
  );
}
