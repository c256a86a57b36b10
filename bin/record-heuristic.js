#!/usr/bin/env node
// ELF's record-heuristic.sh, as a command of its own: `lore record-heuristic` with the same flags.
import { runCli } from "../dist/lore.js";

process.exitCode = await runCli(["record-heuristic", ...process.argv.slice(2)]);
