// A redis-server of the test's own on a free loopback port, so an outage can be staged (SIGKILL, restart on the
// same port) without touching the Redis other suites share.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export interface ThrowawayRedis {
  port: number;
  url: string;
  /** SIGKILLs this server (by its own pid) and waits for it to be gone. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const addr = probe.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts redis-server (no persistence) on `port` (a free one if not given) and waits until it accepts. */
export async function startRedis(port?: number): Promise<ThrowawayRedis> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
  child.stdout?.resume();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}
