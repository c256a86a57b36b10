// Shared start of lore's executables: caches compiled code between runs where
// Node can (22.1+; a record is a short-lived process), runs the CLI with
// `prefix` before the user's arguments, and exits with its code.
//
// It exits as soon as the output is flushed instead of letting Node tear down:
// the teardown would close the SQLite connection, and closing the last
// connection checkpoints the WAL with fsyncs, about 5 ms on every record. WAL
// mode is made for a connection that goes away without that; SQLite's
// automatic checkpoint still folds the WAL in as it grows.
//
// bin/ and dist/ are CommonJS (see scripts/build.mjs for why).
const { enableCompileCache } = require("node:module");

enableCompileCache?.();

exports.run = async function run(prefix) {
  const { runCli } = require("../dist/lore.js");
  const code = await runCli([...prefix, ...process.argv.slice(2)]);
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
};
