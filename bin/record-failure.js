#!/usr/bin/env node
// ELF's record-failure.sh as a command of its own: `lore record-failure` with the same flags.
import { run } from "./run.js";

await run(["record-failure"]);
