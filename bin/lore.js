#!/usr/bin/env node
import { runCli } from "../dist/lore.js";

process.exitCode = await runCli(process.argv.slice(2));
