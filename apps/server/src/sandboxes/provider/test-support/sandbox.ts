// Helpers for sandbox tests: a real bwrap provider over a temp "data dir", and a /proc scan for stray processes.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BwrapProvider } from "../bwrap.js";
import type { SandboxHandle, SandboxLimits } from "../types.js";

export const TEST_LIMITS: SandboxLimits = {
  processes: 64,
  cpuSeconds: 60,
  memoryMb: 1024,
  addressSpaceMb: 0,
  fileSizeMb: 64,
  diskMb: 512,
};

export const HOST_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Host processes whose command line mentions `marker` (the sandboxed ones are visible from the host). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmdline.includes(marker)) found.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/**
 * Polls until some process mentions `marker` and returns their pids; rejects after `ms`. Generous by default:
 * on a loaded 2-core CI machine starting bwrap has taken over 5 s.
 */
export async function someProcessesWith(marker: string, ms = 20_000): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const found = processesWith(marker);
    if (found.length > 0) return found;
    if (Date.now() > until) throw new Error(`no process mentioning ${marker} appeared within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls until no process mentions `marker`; rejects (failing the test) after `ms`. */
export async function noProcessesWith(marker: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const left = processesWith(marker);
    if (left.length === 0) return;
    if (Date.now() > until) throw new Error(`processes still running: ${left.join(", ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SandboxFixture {
  dataDir: string;
  provider: BwrapProvider;
  create(env?: Record<string, string>, limits?: Partial<SandboxLimits>): Promise<SandboxHandle>;
  close(): Promise<void>;
}

export function sandboxFixture(): SandboxFixture {
  const dataDir = mkdtempSync(join(tmpdir(), "mogplex-sbx-test-"));
  const provider = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH });
  const handles: SandboxHandle[] = [];
  return {
    dataDir,
    provider,
    async create(env = {}, limits = {}) {
      const id = randomBytes(6).toString("hex");
      const h = await provider.create({
        id,
        root: join(dataDir, "sandboxes", id),
        env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", ...env },
        limits: { ...TEST_LIMITS, ...limits },
      });
      handles.push(h);
      return h;
    },
    async close() {
      for (const h of handles) await h.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const marker = (p = "mogplex-marker") => `${p}-${randomBytes(5).toString("hex")}`;

/** Whether `uid` can read `path` (a checkout under a 0700 home can't be read by a normal user). */
export function readableBy(uid: number, path: string): boolean {
  return (
    spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "test", "-r", path])
      .status === 0
  );
}
