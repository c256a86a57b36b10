#!/usr/bin/env node
// ELF's record-heuristic.sh as a command of its own: `lore record-heuristic` with the same flags.
import { run } from "./run.js";

await run(["record-heuristic"]);
