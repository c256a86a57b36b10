/**
 * Progress of a long sync, where someone can see it.
 *
 *   const progress = createProgress({ json, stderrIsTty });
 *   progress?.phase("reading", total); progress?.advance(n); progress?.done();
 *
 * - On a terminal: a cli-progress bar on stderr, shown only once a phase has
 *   run for `LORE_PROGRESS_DELAY_MS` (default 1000; a quick sync prints
 *   nothing extra).
 * - With `--json`: NDJSON events on stderr, at most one per
 *   JSON_INTERVAL_MS per phase plus the phase's start and end:
 *   `{"event":"progress","phase":"reading","done":120,"total":4000}`.
 * - Otherwise (a pipe, a hook, cron): nothing.
 * cli-progress is loaded only when a bar is shown.
 */
import { createRequire } from "node:module";
import type { SingleBar } from "cli-progress";
import type { SyncProgressSink } from "./run-sync.js";

const DEFAULT_DELAY_MS = 1000;

function delayMs(): number {
  const value = Number(process.env.LORE_PROGRESS_DELAY_MS);
  return Number.isFinite(value) && value >= 0 && process.env.LORE_PROGRESS_DELAY_MS?.trim() ? value : DEFAULT_DELAY_MS;
}
const JSON_INTERVAL_MS = 100;

function jsonProgress(): SyncProgressSink {
  let phase = "";
  let total = 0;
  let last = 0;
  const emit = (done: number) => {
    process.stderr.write(`${JSON.stringify({ event: "progress", phase, done, total })}\n`);
    last = Date.now();
  };
  let current = 0;
  return {
    phase(name, count) {
      phase = name;
      total = count;
      current = 0;
      emit(0);
    },
    advance(done) {
      current = done;
      if (Date.now() - last >= JSON_INTERVAL_MS) emit(done);
    },
    done() {
      emit(Math.max(current, total));
    },
  };
}

function terminalProgress(): SyncProgressSink {
  const delay = delayMs();
  let bar: SingleBar | undefined;
  let startedAt = 0;
  let name = "";
  let total = 0;
  return {
    phase(phaseName, count) {
      bar?.stop();
      bar = undefined;
      name = phaseName;
      total = count;
      startedAt = Date.now();
    },
    advance(done) {
      if (!bar && total > 0 && Date.now() - startedAt >= delay) {
        const requireHere = createRequire(import.meta.filename);
        const { SingleBar: Bar, Presets } = requireHere("cli-progress") as typeof import("cli-progress");
        bar = new Bar(
          { format: `lore sync: ${name} [{bar}] {value}/{total} files`, stream: process.stderr, hideCursor: true },
          Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar?.update(done);
    },
    done() {
      bar?.update(total);
      bar?.stop();
      bar = undefined;
    },
  };
}

export function createProgress(options: { json: boolean; stderrIsTty: boolean }): SyncProgressSink | undefined {
  if (options.json) return jsonProgress();
  return options.stderrIsTty ? terminalProgress() : undefined;
}
