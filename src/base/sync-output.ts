/**
 * Standard input and output read and written straight through their file
 * descriptors with fs.readSync and fs.writeSync, without Node's
 * `process.stdin`, `process.stdout` and `process.stderr`: making those
 * streams loads Node's stream and net modules, about 5 ms of a process that
 * runs for about 140 (docs/PERFORMANCE.md#where-a-querys-time-goes). The read commands take
 * their task and print their answer this way.
 *
 *   writeOutput(STDOUT, text);
 *   const text = pipedInput();   // undefined when stdin is a terminal or /dev/null
 *
 * `writeOutput` writes the whole text before it returns: a short write goes
 * on from where it stopped. `pipedInput` reads stdin to its end when it is a
 * pipe, a socket or a file, as UTF-8; a terminal (or any character device)
 * is not read, so that nothing waits for a user. A descriptor left
 * non-blocking by another process (EAGAIN) is waited for, 1 ms at a time.
 * Any other error is thrown.
 */
import fs from "node:fs";

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Runs `io` until it does not fail with EAGAIN, waiting 1 ms between tries. */
function whenReady<T>(io: () => T): T {
  for (;;) {
    try {
      return io();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export function writeOutput(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) offset += whenReady(() => fs.writeSync(fd, bytes, offset, bytes.length - offset));
}

export function pipedInput(): string | undefined {
  if (fs.fstatSync(STDIN).isCharacterDevice()) return undefined;
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    const read = whenReady(() => fs.readSync(STDIN, chunk, 0, chunk.length, null));
    if (read === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  return Buffer.concat(chunks).toString("utf8");
}
