/**
 * Who a process is, in a form another process can check later.
 *
 * `currentProcess()` returns pid, host and the process start time. On Linux the
 * start time is the kernel's (field 22 of /proc/<pid>/stat, clock ticks since
 * boot), so a pid that the kernel gave to a new process does not look alive.
 * Elsewhere it is null, and only the pid is checked.
 *
 * `ownerLiveness(owner)` answers "alive", "dead" or "unknown" (another host, or
 * a process we may not signal). On Linux a zombie (killed, its parent not yet
 * reaping it) counts as dead.
 */
import fs from "node:fs";
import os from "node:os";

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Kernel start time of the process, or null where it cannot be read. */
  startTime: string | null;
}

interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie, X dead, ... */
  state: string;
  startTime: string;
}

function readProcStat(pid: number): ProcStat | null {
  if (process.platform !== "linux") return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTime: fields[19] };
  } catch {
    return null;
  }
}

let self: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  self ??= { pid: process.pid, host: os.hostname(), startTime: readProcStat(process.pid)?.startTime ?? null };
  return self;
}

export type Liveness = "alive" | "dead" | "unknown";

export function ownerLiveness(owner: ProcessIdentity): Liveness {
  if (owner.host !== currentProcess().host) return "unknown";
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return "dead";
    if (code !== "EPERM") return "unknown";
  }
  const stat = readProcStat(owner.pid);
  if (stat) {
    // A zombie (killed, not yet reaped by its parent) holds nothing any more.
    if (stat.state === "Z" || stat.state === "X") return "dead";
    if (owner.startTime !== null && stat.startTime !== owner.startTime) return "dead";
  }
  return "alive";
}
