/**
 * The queue of processes waiting for the journal lock: a release wakes the
 * longest live waiter at once, instead of leaving the lock free until some
 * waiter's next poll.
 *
 *   const ticket = joinWaitQueue(queueDir);    // once the lock was found held
 *   await ticket.sleep(backoffMs);              // ends early when woken
 *   ticket.leave();                             // acquired, timed out or failed
 *   wakeFirstWaiter(queueDir);                  // by the holder, after its release
 *
 *   freshWaiterQueued(queueDir);                // by a holder: hand its commit off?
 *   joinWaitQueue(queueDir, "handoff");         // a writer that did (txn/group-commit.ts)
 *   wakeWaiter(queueDir, writer);               // by the holder that committed its record
 *
 * A wake-up only cuts a sleep short: waiters keep polling with backoff, so a
 * lost one (the releaser was killed, the file system cannot be watched, the
 * waiter is on another host) costs time, never correctness. Nothing here
 * throws. `memory/.lore/lock-waiters/` holds one empty ticket per waiter,
 * `<join time>-<pid>-<process start time>-<host>-<random>[-handoff]`, so names
 * sort by arrival and say who waits; a waiter watches its ticket, a releaser
 * touches it, and removes the tickets of dead waiters it meets on the way.
 * Design: docs/DESIGN.md#wait-queue
 */
import fs from "node:fs";
import path from "node:path";
import { currentProcess, ownerLiveness, type ProcessIdentity } from "./process-identity.js";
import { removeIfPresent } from "../io/durable-file.js";
import { sleep } from "../base/backoff.js";
import { makeDirectory, writeFile } from "../io/file-system.js";

export interface WaitTicket {
  /** Waits `ms`, or less when woken; a wake-up that came while awake ends the next sleep at once. */
  sleep(ms: number): Promise<void>;
  /** Leaves the queue; idempotent. */
  leave(): void;
}

const NO_TICKET: WaitTicket = { sleep, leave: () => {} };

/** A host name as it may stand in a file name. */
function hostTag(host: string): string {
  return host.replace(/[^A-Za-z0-9.]/g, "_");
}

/** What a waiter still has to do: write its record, or only see it committed (a handed-off writer). */
export type WaiterKind = "fresh" | "handoff";

function ticketName(me: ProcessIdentity, kind: WaiterKind): string {
  const random = Math.random().toString(36).slice(2, 8);
  const parts = [String(Date.now()).padStart(15, "0"), me.pid, me.startTime ?? "", hostTag(me.host), random];
  return [...parts, ...(kind === "handoff" ? ["handoff"] : [])].join("-");
}

interface Waiter extends ProcessIdentity {
  kind: WaiterKind;
}

/** Who waits behind a ticket, from its name (the host as a tag); undefined for a name that is not a ticket's. */
function waiterOf(name: string): Waiter | undefined {
  const match = /^\d{15}-(\d+)-(\d*)-([A-Za-z0-9._]+)-[a-z0-9]+(-handoff)?$/.exec(name);
  if (!match) return undefined;
  return { pid: Number(match[1]), startTime: match[2] || null, host: match[3], kind: match[4] ? "handoff" : "fresh" };
}

export function joinWaitQueue(queueDir: string, kind: WaiterKind = "fresh"): WaitTicket {
  const ticketFile = path.join(queueDir, ticketName(currentProcess(), kind));
  let watcher: fs.FSWatcher;
  try {
    makeDirectory(queueDir, { recursive: true });
    writeFile(ticketFile, "", { flag: "wx" });
    watcher = fs.watch(ticketFile, { persistent: false });
  } catch {
    removeIfPresent(ticketFile);
    return NO_TICKET;
  }
  let woken = false;
  let wake: (() => void) | undefined;
  watcher.on("change", () => {
    woken = true;
    wake?.();
  });
  watcher.on("error", () => {});
  return {
    sleep(ms) {
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          woken = false;
          resolve();
        }
        wake = done;
      });
    },
    leave() {
      watcher.close();
      removeIfPresent(ticketFile);
    },
  };
}

function queuedNames(queueDir: string): string[] {
  // Asked first: a journal nobody waited for has no queue, and a thrown ENOENT costs more than the stat.
  if (!fs.existsSync(queueDir)) return [];
  try {
    return fs.readdirSync(queueDir).sort();
  } catch {
    return [];
  }
}

/** Wakes the waiter behind ticket `name` by touching it; false when it left the queue meanwhile. */
function touchTicket(queueDir: string, name: string): boolean {
  try {
    const now = new Date();
    fs.utimesSync(path.join(queueDir, name), now, now);
    return true;
  } catch {
    return false;
  }
}

/** Wakes the longest-waiting live waiter, removing the tickets of dead ones before it. Never throws. */
export function wakeFirstWaiter(queueDir: string): void {
  const me = currentProcess();
  for (const name of queuedNames(queueDir)) {
    const waiter = waiterOf(name);
    if (
      waiter === undefined ||
      (waiter.host === hostTag(me.host) && ownerLiveness({ ...waiter, host: me.host }) === "dead")
    ) {
      removeIfPresent(path.join(queueDir, name));
      continue;
    }
    if (touchTicket(queueDir, name)) return;
  }
}

/** Wakes the process `who` if it waits in the queue. Never throws. */
export function wakeWaiter(queueDir: string, who: ProcessIdentity): void {
  for (const name of queuedNames(queueDir)) {
    const waiter = waiterOf(name);
    if (waiter?.pid === who.pid && waiter.startTime === who.startTime && waiter.host === hostTag(who.host))
      touchTicket(queueDir, name);
  }
}

/** Whether a waiter with a record still to write is queued (dead waiters' tickets count until a release clears them). */
export function freshWaiterQueued(queueDir: string): boolean {
  return queuedNames(queueDir).some((name) => waiterOf(name)?.kind === "fresh");
}

/** The wait queue of the journal lock `lockDir`. */
export function waitQueueOf(lockDir: string): string {
  return path.join(path.dirname(lockDir), "lock-waiters");
}
