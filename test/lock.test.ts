// The journal lock with real processes: mutual exclusion under contention and
// SIGKILL, takeover from a dead owner, takeover from a frozen (SIGSTOP) owner
// with fencing, a timeout that names the holder, the global lock order, and
// the wait queue through which a release wakes the longest waiter.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runLore } from "./support/lore.js";
import { createJournal, readRows, tempDir } from "./support/journal.js";
import { acquireJournalLock, LockTimeoutError } from "../src/lock/journal-lock.js";
import { LockLevel, LockOrderError, noteAcquired, noteReleased } from "../src/lock/lock-order.js";
import { createJournalDb } from "../src/db/journal-db.js";
import { joinWaitQueue, wakeFirstWaiter } from "../src/lock/wait-queue.js";

const CONTENDER = path.join(REPO_ROOT, "dist-test", "lock-contender.js");

function contender(args: string[]): ChildProcess & { output: Promise<string>; lines: string[] } {
  const child = spawn(process.execPath, [CONTENDER, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let buffered = "";
  const output = new Promise<string>((resolve) => {
    child.stdout?.on("data", (chunk) => {
      buffered += chunk;
      lines.push(...String(chunk).split("\n").filter(Boolean));
    });
    child.on("close", () => resolve(buffered));
  });
  return Object.assign(child, { output, lines });
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function lockDirIn(dir: string): string {
  return path.join(dir, "journal.lock");
}

describe("journal lock", () => {
  it("excludes 10 contending processes, also while some of them are SIGKILLed", async () => {
    const dir = tempDir();
    const counter = path.join(dir, "counter");
    const log = path.join(dir, "log");
    fs.writeFileSync(counter, "0");
    const iterations = 15;
    const survivors = Array.from({ length: 8 }, () =>
      contender(["count", lockDirIn(dir), counter, log, String(iterations)]),
    );
    const victims = Array.from({ length: 4 }, () => contender(["count", lockDirIn(dir), counter, log, "1000"]));
    for (const victim of victims) {
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 200));
      victim.kill("SIGKILL");
    }
    const codes = await Promise.all(survivors.map((child) => child.output.then(() => child.exitCode)));
    expect(codes).toEqual(survivors.map(() => 0));

    // No process ever entered while another live one was inside.
    const lines = fs.readFileSync(log, "utf8").trim().split("\n");
    expect(lines.filter((line) => line.startsWith("violation"))).toEqual([]);
    const sections = lines.filter((line) => line.startsWith("exit"));
    // Each completed section incremented the counter exactly once: no lost
    // update. A victim killed after its increment but before logging its exit
    // adds one uncounted increment.
    const finalCount = Number(fs.readFileSync(counter, "utf8"));
    expect(finalCount).toBeGreaterThanOrEqual(sections.length);
    expect(finalCount).toBeLessThanOrEqual(sections.length + victims.length);
    expect(sections.length).toBeGreaterThanOrEqual(8 * iterations);
  });

  it("lets exactly one of 12 waiters take over a stale lock at a time (proper-lockfile#121)", async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      const counter = path.join(dir, "counter");
      const log = path.join(dir, "log");
      fs.writeFileSync(counter, "0");
      // Twelve waiters poll a live holder; when it dies they all find its lock
      // stale within one poll of each other and race to take it over.
      const owner = contender(["hold", lockDirIn(dir), "0", "30000"]);
      await until(() => owner.lines.some((line) => line.startsWith("acquired")));
      const waiters = Array.from({ length: 12 }, () => contender(["count", lockDirIn(dir), counter, log, "1"]));
      await new Promise((resolve) => setTimeout(resolve, 600));
      owner.kill("SIGKILL");
      await owner.output;
      await Promise.all(waiters.map((waiter) => waiter.output));
      expect(waiters.map((waiter) => waiter.exitCode)).toEqual(waiters.map(() => 0));
      const lines = fs.readFileSync(log, "utf8").trim().split("\n");
      expect(lines.filter((line) => line.startsWith("violation"))).toEqual([]);
      // Strictly alternating enter/exit of the same process: nobody entered in between.
      for (let index = 0; index < lines.length; index += 2) {
        expect(lines[index].split(" ")[0]).toBe("enter");
        expect(lines[index + 1]).toBe(lines[index].replace("enter", "exit"));
      }
      expect(Number(fs.readFileSync(counter, "utf8"))).toBe(12);
    }
  });

  it("takes over at once from an owner that was SIGKILLed", async () => {
    const dir = tempDir();
    const holder = contender(["hold", lockDirIn(dir), "0", "30000"]);
    await until(() => holder.lines.some((line) => line.startsWith("acquired")));
    holder.kill("SIGKILL");
    await holder.output;
    const started = Date.now();
    const lock = await acquireJournalLock(
      { lockDir: lockDirIn(dir), journalKey: dir },
      { timeoutMs: 20_000, staleMs: 30_000 },
    );
    const tookMs = Date.now() - started;
    await lock.release();
    // Far below the 30 s stale age: the dead owner is detected by its pid.
    expect(tookMs).toBeLessThan(2_000);
  });

  it("fences a frozen holder: a SIGSTOPped owner past the stale age loses the lock and notices", async () => {
    const dir = tempDir();
    const frozen = contender(["fenced", lockDirIn(dir), "3000", "2000"]);
    await until(() => frozen.lines.includes("acquired"));
    frozen.kill("SIGSTOP");
    const started = Date.now();
    const lock = await acquireJournalLock(
      { lockDir: lockDirIn(dir), journalKey: dir },
      { timeoutMs: 20_000, staleMs: 2_000 },
    );
    const waitedMs = Date.now() - started;
    frozen.kill("SIGCONT");
    const output = await frozen.output;
    lock.assertHeld();
    await lock.release();
    // Not at once (its owner is alive): only once the heartbeat is older than 2 s.
    expect(waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(output).toMatch(/lost: lost the journal lock/);
  });

  it("times out naming the holder's pid, host and age", async () => {
    const dir = tempDir();
    const holder = contender(["hold", lockDirIn(dir), "0", "30000"]);
    await until(() => holder.lines.some((line) => line.startsWith("acquired")));
    const failure = acquireJournalLock(
      { lockDir: lockDirIn(dir), journalKey: dir },
      { timeoutMs: 300, staleMs: 30_000 },
    );
    await expect(failure).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(failure).rejects.toThrow(new RegExp(`held by pid ${holder.pid} on host .+ for \\d+\\.\\d s`));
    holder.kill("SIGKILL");
    await holder.output;
  });
});

describe("a heartbeat from the future (a clock set back, a restored backup)", () => {
  /** A lock directory as another clock left it: its heartbeat `aheadMs` in the future, with `owner` when given. */
  function futureLock(dir: string, aheadMs: number, owner?: object): string {
    const lockDir = lockDirIn(dir);
    fs.mkdirSync(lockDir);
    const inode = fs.statSync(lockDir).ino;
    if (owner) fs.writeFileSync(`${lockDir}.owner`, JSON.stringify({ ...owner, lockInode: inode }));
    const future = new Date(Date.now() + aheadMs);
    fs.utimesSync(lockDir, future, future);
    return lockDir;
  }

  const foreign = { pid: 4242, host: "another-host", startTime: null, acquiredAt: Date.now() + 3_600_000, token: "f" };
  for (const [name, owner] of [
    ["no owner", undefined],
    ["a foreign owner", foreign],
  ] as const) {
    it(`is stale when more than the stale age ahead, with ${name}: taken over at once`, async () => {
      const dir = tempDir();
      const lockDir = futureLock(dir, 3_600_000, owner);
      const started = Date.now();
      const lock = await acquireJournalLock({ lockDir, journalKey: dir }, { timeoutMs: 5_000, staleMs: 2_000 });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(lock.takenOverFrom).toHaveLength(1);
      expect(lock.takenOverFrom[0]).toMatch(/3\d{3}\.\d s in the future/);
      await lock.release();
    });
  }

  it("is waited for when within the stale age, and the timeout says it is in the future", async () => {
    const dir = tempDir();
    const lockDir = futureLock(dir, 20_000);
    const failure = acquireJournalLock({ lockDir, journalKey: dir }, { timeoutMs: 300, staleMs: 30_000 });
    await expect(failure).rejects.toThrow(/heartbeat 1\d\.\d s in the future/);
  });

  it("is not stale while its owner is alive on this host (its next heartbeat corrects it)", async () => {
    const dir = tempDir();
    const holder = contender(["hold", lockDirIn(dir), "0", "30000"]);
    await until(() => holder.lines.some((line) => line.startsWith("acquired")));
    const future = new Date(Date.now() + 3_600_000);
    fs.utimesSync(lockDirIn(dir), future, future);
    const failure = acquireJournalLock(
      { lockDir: lockDirIn(dir), journalKey: dir },
      { timeoutMs: 300, staleMs: 2_000 },
    );
    await expect(failure).rejects.toBeInstanceOf(LockTimeoutError);
    holder.kill("SIGKILL");
    await holder.output;
  });
});

describe("the record commands and the journal lock", () => {
  it("exit 75 on a lock timeout, naming the holder, and write nothing", async () => {
    const dir = await createJournal({ git: true });
    const holder = contender(["hold", path.join(dir, "memory", ".lore", "journal.lock"), "0", "30000"]);
    await until(() => holder.lines.some((line) => line.startsWith("acquired")));
    const result = await runLore(
      ["record-failure", "--title", "blocked", "--domain", "Locks", "--lock-timeout", "0.5"],
      {
        cwd: dir,
      },
    );
    holder.kill("SIGKILL");
    await holder.output;
    expect(result.code).toBe(75);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(`timed out waiting for the journal lock .*held by pid ${holder.pid} on host \\S+ for \\d+\\.\\d s`),
    );
    expect(readRows(dir).learnings).toHaveLength(0);
    expect(fs.readdirSync(path.join(dir, "memory", "failures"))).toEqual([]);
  });
});

describe("a lock attempt that fails", () => {
  it("leaves no owner temp file and no lock directory, so that sync finds the journal clean", async () => {
    const dir = await createJournal({ git: true });
    const loreDir = path.join(dir, "memory", ".lore");
    // A directory in the owner file's place: renaming the owner's temp file over it fails.
    const owner = path.join(loreDir, "journal.lock.owner");
    fs.mkdirSync(path.join(owner, "in-the-way"), { recursive: true });
    const refused = await runLore(["record-failure", "--title", "owner refused", "--domain", "Locks"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/journal\.lock\.owner/);
    fs.rmSync(owner, { recursive: true });
    expect(fs.readdirSync(loreDir).filter((name) => name.startsWith("journal.lock"))).toEqual([]);
    const sync = await runLore(["sync"], { cwd: dir });
    expect({ code: sync.code, stdout: sync.stdout }).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^In sync/m),
    });
    expect(readRows(dir).learnings).toEqual([]);
  });
});

describe("lock order", () => {
  it("refuses SQLite's write lock without the journal lock", () => {
    const dir = tempDir();
    const db = createJournalDb(path.join(dir, "index.db"), { busyTimeoutMs: 100 });
    expect(() => db.write(dir, () => undefined)).toThrow(LockOrderError);
    db.close();
  });

  it("refuses the journal lock while SQLite's write lock is held", async () => {
    const dir = tempDir();
    noteAcquired(LockLevel.Journal, dir);
    noteAcquired(LockLevel.SqliteWrite, dir);
    try {
      await expect(
        acquireJournalLock({ lockDir: lockDirIn(dir), journalKey: dir }, { timeoutMs: 100, staleMs: 2_000 }),
      ).rejects.toBeInstanceOf(LockOrderError);
    } finally {
      noteReleased(LockLevel.SqliteWrite, dir);
      noteReleased(LockLevel.Journal, dir);
    }
  });

  it("allows journal lock, then SQLite write lock, then release in reverse", async () => {
    const dir = tempDir();
    const lock = await acquireJournalLock(
      { lockDir: lockDirIn(dir), journalKey: dir },
      { timeoutMs: 1_000, staleMs: 2_000 },
    );
    const db = createJournalDb(path.join(dir, "index.db"), { busyTimeoutMs: 100 });
    db.write(dir, () => undefined);
    db.close();
    await lock.release();
    expect(fs.existsSync(lockDirIn(dir))).toBe(false);
  });
});

describe("the journal lock's wait queue", () => {
  /** Whether `promise` settles within `ms`. */
  function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
    return Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
    ]);
  }

  it("a release wakes the longest live waiter, and only it", async () => {
    const queue = path.join(tempDir(), "lock-waiters");
    const first = joinWaitQueue(queue);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = joinWaitQueue(queue);
    expect(fs.readdirSync(queue)).toHaveLength(2);
    const firstSleep = first.sleep(60_000);
    const secondSleep = second.sleep(60_000);

    wakeFirstWaiter(queue);
    expect(await settlesWithin(firstSleep, 5_000)).toBe(true);
    expect(await settlesWithin(secondSleep, 300)).toBe(false);

    first.leave();
    wakeFirstWaiter(queue);
    expect(await settlesWithin(secondSleep, 5_000)).toBe(true);
    second.leave();
    expect(fs.readdirSync(queue)).toEqual([]);
  });

  it("removes the tickets of dead waiters on the way to the first live one", async () => {
    const queue = path.join(tempDir(), "lock-waiters");
    const live = joinWaitQueue(queue);
    const [liveTicket] = fs.readdirSync(queue);
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((resolve) => dead.on("close", resolve));
    // Arrived earlier than the live waiter, and killed since.
    const deadTicket = liveTicket.replace(/^\d{15}-\d+-\d*-/, `${"0".repeat(15)}-${dead.pid}--`);
    fs.writeFileSync(path.join(queue, deadTicket), "");
    const sleeping = live.sleep(60_000);

    wakeFirstWaiter(queue);
    expect(await settlesWithin(sleeping, 5_000)).toBe(true);
    expect(fs.readdirSync(queue)).toEqual([liveTicket]);
    live.leave();
  });

  it("a wake-up that comes while the waiter is awake ends its next sleep at once", async () => {
    const queue = path.join(tempDir(), "lock-waiters");
    const waiter = joinWaitQueue(queue);
    wakeFirstWaiter(queue);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await settlesWithin(waiter.sleep(60_000), 100)).toBe(true);
    waiter.leave();
  });

  it("a lore waiting for the lock queues, gets it when it is released, and leaves no ticket", async () => {
    const dir = tempDir();
    const holder = contender(["hold", lockDirIn(dir), "1500", "30000"]);
    await until(() => holder.lines.some((line) => line.startsWith("acquired")));
    const waiter = contender(["hold", lockDirIn(dir), "10", "30000"]);
    const queue = path.join(dir, "lock-waiters");
    await until(() => fs.existsSync(queue) && fs.readdirSync(queue).length === 1);
    await Promise.all([holder.output, waiter.output]);
    expect(holder.lines).toEqual([expect.stringMatching(/^acquired/), "released"]);
    expect(waiter.lines).toEqual([expect.stringMatching(/^acquired/), "released"]);
    expect(fs.readdirSync(queue)).toEqual([]);
  });
});
