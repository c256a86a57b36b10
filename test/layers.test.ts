// The layers of src/ import one way (docs/DESIGN.md): a folder imports only
// its own files and folders below it, and no file import cycle exists. Type
// imports count too: a type that a lower layer needs belongs in that layer.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** Bottom to top; a folder may import only from its own rank or below. */
const LAYERS = [
  "base",
  "io",
  "journal",
  "lock",
  "db",
  "read",
  "git",
  "txn",
  "record",
  "feedback",
  "sync",
  "hooks",
  "setup",
  "claude",
  "cli",
  "mcp",
];

const SRC = path.resolve(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The src files that `file` imports (static, dynamic and type imports, and `typeof import()`). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")));
}

function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe("layers", () => {
  it("every src folder has a place in the layer order", () => {
    const folders = new Set(files.map(layerOf));
    expect([...folders].filter((folder) => !LAYERS.includes(folder))).toEqual([]);
  });

  it("no folder imports a folder above it", () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (LAYERS.indexOf(layerOf(target)) > LAYERS.indexOf(layerOf(file))) {
          upward.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it("no file import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map((entry) => path.relative(SRC, entry)).join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("every import names a file that exists", () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((target) => !fs.existsSync(target)).map((target) => `${path.relative(SRC, file)} -> ${target}`),
    );
    expect(missing).toEqual([]);
  });
});
