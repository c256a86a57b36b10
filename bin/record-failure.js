#!/usr/bin/env node
// ELF's record-failure.sh as a command of its own: `lore record-failure` with the same flags.
require("./run.js").run(["record-failure"]);
