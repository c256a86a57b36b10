// Real mounts for tests (Linux, root with CAP_SYS_ADMIN): a tmpfs, a
// read-only bind mount. `whyCannotMount()` says why mounting is not possible
// here (undefined when it is), so a suite can skip and say so; every mount
// made is undone by `unmountAll()` (in an afterEach).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { tempDir } from "./journal.js";

export function whyCannotMount(): string | undefined {
  if (process.platform !== "linux") return "mount is Linux-only here";
  const probe = tempDir("lore-mount-probe-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "pipe" });
    execFileSync("umount", [probe], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `mounting a tmpfs is not permitted here (needs root with CAP_SYS_ADMIN): ${(error as Error).message.split("\n")[0]}`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const mounted: string[] = [];

export function mount(args: string[], target: string): void {
  execFileSync("mount", [...args, target], { stdio: "pipe" });
  mounted.push(target);
}

/** Binds `target` onto itself, read-only. */
export function mountReadOnly(target: string): void {
  mount(["--bind", target], target);
  execFileSync("mount", ["-o", "remount,bind,ro", target], { stdio: "pipe" });
}

export function unmountAll(): void {
  for (const target of mounted.reverse()) {
    try {
      execFileSync("umount", [target], { stdio: "pipe" });
    } catch {
      // Lazily, if something still uses it.
      execFileSync("umount", ["-l", target], { stdio: "pipe" });
    }
  }
  mounted.length = 0;
}
