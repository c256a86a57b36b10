#!/usr/bin/env node
// ELF's record-failure.sh, as a command of its own: `lore record-failure` with the same flags.
import { runCli } from "../dist/lore.js";

process.exitCode = await runCli(["record-failure", ...process.argv.slice(2)]);
