// Shared start of lore's executables: caches compiled code between runs where
// Node can (22.1+; a record is a short-lived process), then runs the CLI with
// `prefix` before the user's arguments and exits with its code.
import module from "node:module";

module.enableCompileCache?.();

export async function run(prefix) {
  const { runCli } = await import("../dist/lore.js");
  process.exitCode = await runCli([...prefix, ...process.argv.slice(2)]);
}
