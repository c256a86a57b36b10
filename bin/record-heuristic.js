#!/usr/bin/env node
// ELF's record-heuristic.sh as a command of its own: `lore record-heuristic` with the same flags.
require("./run.js").run(["record-heuristic"]);
