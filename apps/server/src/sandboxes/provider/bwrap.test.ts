// Isolation of the real bubblewrap sandbox: every escape attempt here must fail.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../../cli/src/e2e/support.js";
import { BwrapProvider } from "./bwrap.js";
import {
  HOST_PATH,
  marker,
  noProcessesWith,
  processesWith,
  type SandboxFixture,
  sandboxFixture,
  someProcessesWith,
  TEST_LIMITS,
} from "./test-support/sandbox.js";
import { SandboxUnavailableError } from "./types.js";

let f: SandboxFixture;
let loopback: Server;
let loopbackPort = 0;
const SENTINEL = `sentinel-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  f = sandboxFixture();
  // A server-side secret the sandbox must never see, planted in this (the "server") process's environment.
  process.env.MOGPLEX_TEST_SERVER_SECRET = SENTINEL;
  loopback = createServer((s) => s.end("hello from the host\n"));
  await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
  loopbackPort = (loopback.address() as { port: number }).port;
});

afterAll(async () => {
  delete process.env.MOGPLEX_TEST_SERVER_SECRET;
  loopback.close();
  await f.close();
});

const sh = (
  h: {
    exec: (r: {
      script: string;
      timeoutMs: number;
    }) => Promise<{ stdout: string; stderr: string; exitCode: number | null }>;
  },
  script: string,
  timeoutMs = 10_000,
) => h.exec({ script, timeoutMs });

describe("bwrap provider", () => {
  it("reports itself usable on this machine with a binding process limit", async () => {
    const status = await f.provider.check();
    expect(status).toMatchObject({ ok: true });
    expect(["rlimit", "cgroup"]).toContain(status.processLimit);
  });

  it("runs a command in the workspace as an unprivileged user, files landing in the host workspace", async () => {
    const h = await f.create();
    const r = await sh(h, 'id -u; pwd; echo content > made.txt; echo "$1"');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["1000", "/workspace"]);
    expect(readFileSync(join(h.workspace, "made.txt"), "utf8")).toBe("content\n");
  });

  it("cannot write outside the workspace and its private /tmp", async () => {
    const h = await f.create();
    const outside = join(f.dataDir, `escape-${Date.now()}`);
    const r = await sh(
      h,
      `for p in /usr/x /etc/x /x /bin/x ${outside}; do touch "$p" 2>/dev/null && echo "WROTE $p"; done; ` +
        "touch /tmp/private && echo tmp-ok",
    );
    expect(r.stdout).not.toContain("WROTE");
    expect(r.stdout).toContain("tmp-ok");
    expect(existsSync(outside)).toBe(false);
    // The sandbox's /tmp is its own, not the host's.
    expect(existsSync(join(tmpdir(), "private"))).toBe(false);
  });

  it("cannot read /etc/shadow, home directories, the host /tmp or the server's data directory", async () => {
    writeFileSync(join(f.dataDir, "secret.txt"), SENTINEL);
    const h = await f.create();
    const r = await sh(
      h,
      `cat /etc/shadow; ls /root /home; ls ${f.dataDir}; cat ${join(f.dataDir, "secret.txt")}; ` +
        `ls ${tmpdir()} | head -3; grep -c . /etc/passwd`,
    );
    expect(`${r.stdout}${r.stderr}`).not.toContain(SENTINEL);
    expect(r.stderr).toMatch(/\/etc\/shadow: No such file or directory/);
    expect(r.stderr).toMatch(new RegExp(`${f.dataDir}.*No such file or directory`));
    // Only the synthetic accounts are listed.
    expect(r.stdout.trim().split("\n").pop()).toBe("2");
  });

  it("sees only the environment it was given: nothing of the server's", async () => {
    const h = await f.create({ GIVEN: "given-value" });
    const r = await sh(h, "env; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'");
    expect(r.stdout).toContain("GIVEN=given-value");
    expect(r.stdout).not.toContain(SENTINEL);
    expect(r.stdout).not.toContain("MOGPLEX_TEST_SERVER_SECRET");
    const names = r.stdout
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split("=")[0]);
    expect(new Set(names)).toEqual(new Set(["GIVEN", "PATH", "HOME", "PWD", "SHLVL", "_"]));
  });

  it("cannot reach a service on the host's loopback (only its own lo exists)", async () => {
    const h = await f.create();
    const r = await sh(
      h,
      `(exec 3<>/dev/tcp/127.0.0.1/${loopbackPort} && cat <&3) && echo CONNECTED; ` +
        `curl -sS --max-time 3 http://127.0.0.1:${loopbackPort}/ && echo CONNECTED; awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev`,
    );
    expect(r.stdout).not.toContain("CONNECTED");
    expect(r.stdout).not.toContain("hello from the host");
    expect(r.stdout.trim().split("\n").pop()).toBe("lo");
  });

  it("kills a command past its wall-time limit, with its whole process tree", async () => {
    const h = await f.create();
    const m = marker();
    const r = await h.exec({ script: `sleep 300 & sleep 301; echo ${m}`, args: [m], timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    expect(r.stdout).not.toContain(m);
    await noProcessesWith(m);
  });

  it("leaves no background process behind when a command ends", async () => {
    const h = await f.create();
    const m = marker();
    const r = await h.exec({
      script: '(sleep 300; echo "$1") >/dev/null 2>&1 & echo started',
      args: [m],
      timeoutMs: 5_000,
    });
    expect(r.stdout).toBe("started\n");
    await noProcessesWith(m);
  });

  it("contains a fork bomb: the process cap holds, the host keeps working, nothing survives", async () => {
    const h = await f.create({}, { processes: 64 });
    const m = marker("bomb");
    let peak = 0;
    const watch = setInterval(() => {
      peak = Math.max(peak, processesWith(m).length);
    }, 20);
    const r = await h.exec({ script: `bomb() { bomb | bomb & }; bomb; sleep 5 # ${m}`, timeoutMs: 3_000 });
    clearInterval(watch);
    expect(r.timedOut).toBe(true);
    // The cap is on the sandbox's processes (bash retries its forks until killed); the host still forks.
    expect(peak).toBeLessThanOrEqual(64);
    expect(execFileSync("/bin/echo", ["host ok"]).toString()).toBe("host ok\n");
    await noProcessesWith(m);
  });

  it("kill() ends a running command and its tree at once, and refuses later commands", async () => {
    const h = await f.create();
    const m = marker();
    const running = h.exec({ script: `sleep 300 # ${m}`, timeoutMs: 60_000 });
    expect((await someProcessesWith(m)).length).toBeGreaterThan(0);
    expect(h.pids().length).toBeGreaterThan(0);
    await h.kill();
    const r = await running;
    expect(r.aborted).toBe(true);
    await noProcessesWith(m);
    expect(h.pids()).toEqual([]);
    await expect(h.exec({ script: "true", timeoutMs: 1000 })).rejects.toBeInstanceOf(SandboxUnavailableError);
  });

  it("a worker killed at any moment, even while bwrap starts, takes its sandboxed commands with it", async () => {
    ensureBuilt();
    const dist = fileURLToPath(new URL("../../../dist/sandboxes/provider/bwrap.js", import.meta.url));
    for (const delayMs of [0, 20, 300]) {
      const m = marker("orphan");
      // A stand-in worker: starts a long command, says so, and is then SIGKILLed by us.
      const script = [
        `const { BwrapProvider } = await import(${JSON.stringify(dist)});`,
        `const p = new BwrapProvider({ bwrap: "bwrap", hostPath: ${JSON.stringify(HOST_PATH)} });`,
        `const h = await p.create({ id: ${JSON.stringify(m)}, root: ${JSON.stringify(join(f.dataDir, m))},`,
        `  env: { PATH: "/usr/bin:/bin" }, limits: ${JSON.stringify(TEST_LIMITS)} });`,
        `h.exec({ script: "sleep 300 # ${m}", timeoutMs: 600000 }).catch(() => {});`,
        `process.stdout.write("spawned\\n"); setInterval(() => {}, 1000);`,
      ].join("\n");
      const worker = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("stand-in worker did not start")), 20_000);
        worker.stdout?.on("data", () => {
          clearTimeout(t);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, delayMs));
      worker.kill("SIGKILL");
      await noProcessesWith(m, 5_000);
      // What is left is what a later worker's sweep removes: the directory (and cgroup, as root).
      await f.provider.cleanup(m, join(f.dataDir, m));
    }
  });

  it("caps the output it keeps and says how much it dropped", async () => {
    const h = await f.create();
    const r = await h.exec({
      script: "head -c 100000 /dev/zero | tr '\\0' a",
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(r.stdout.length).toBe(1000);
    expect(r.droppedBytes.stdout).toBe(99_000);
  });
});

describe("bwrap missing", () => {
  it("says so with an actionable reason, and refuses to create sandboxes (no unsandboxed fallback)", async () => {
    const p = new BwrapProvider({ bwrap: "bwrap-not-installed-here", hostPath: HOST_PATH });
    const status = await p.check();
    expect(status.ok).toBe(false);
    expect(status.reason).toMatch(
      /bubblewrap \(bwrap-not-installed-here\) was not found: install bubblewrap/,
    );
    await expect(
      p.create({
        id: "x",
        root: join(f.dataDir, "never"),
        env: {},
        limits: { processes: 8, cpuSeconds: 1, memoryMb: 64, addressSpaceMb: 0, fileSizeMb: 1, diskMb: 64 },
      }),
    ).rejects.toBeInstanceOf(SandboxUnavailableError);
    expect(existsSync(join(f.dataDir, "never"))).toBe(false);
  });
});
