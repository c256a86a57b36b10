/**
 * A full garbage collection, asked for between the batches of a long job
 * (sync's comparison in batches, sync/compare-journal.ts), so that the
 * process's memory follows what the job holds rather than what it has read.
 *
 *   collectGarbage();
 *
 * V8 grows its heap lazily: a sync that reads 100,000 files holds under
 * 200 MB but leaves twice that in garbage before V8 collects it. Node exposes
 * no collection without `--expose-gc`, and a CLI cannot choose its own Node
 * flags, so the flag is set at run time and `gc` taken from a new context, as
 * V8 then provides it there. When that fails, this does nothing: memory is
 * then only larger, never wrong. Never throws.
 */
import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      const gc: unknown = vm.runInNewContext("gc");
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
