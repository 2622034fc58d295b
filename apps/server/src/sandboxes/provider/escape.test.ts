// An attacker's code inside a sandbox tries to reach the host: kernel knobs, core handlers, namespaces,
// filtered syscalls, host paths, the disk. Run as the test runner's user (root in CI) and as a normal user.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../../../cli/src/e2e/support.js";
import { DEFAULT_SANDBOX_HOST_ID } from "./host-user.js";
import {
  escapeFindings,
  escapeProbeScript,
  HOST_KNOBS,
  parseProbe,
  readKnobs,
} from "./test-support/escape-probe.js";
import { hostUidsUnder } from "./test-support/host-procs.js";
import {
  HOST_PATH,
  noProcessesWith,
  processesWith,
  readableBy,
  type SandboxFixture,
  sandboxFixture,
  TEST_LIMITS,
} from "./test-support/sandbox.js";

const asRoot = process.getuid?.() === 0;
const NORMAL_USER = 65_534;
let f: SandboxFixture;
let knobs: Record<string, string>;

beforeAll(() => {
  f = sandboxFixture();
  knobs = readKnobs();
});

afterAll(async () => {
  // Should a probe ever get through, put the host back the way it was before failing.
  const now = readKnobs();
  for (const k of HOST_KNOBS) if (now[k] !== knobs[k]) writeFileSync(k, knobs[k] ?? "");
  await f.close();
});

const sleepUntilKilled = "sleep 60 & sleep 60 & wait";
// Three 150 MB files, in the workspace and /tmp: under a 256 MB cap the second or third one fails.
const DISK_FILL =
  "for p in /workspace/a /tmp/b /workspace/c; do head -c 157286400 /dev/zero > $p || echo FAILED $p; done; sync";
const usedBytes = (dir: string) =>
  Number(execFileSync("du", ["-s", "--block-size=1", dir]).toString().split("\t")[0]);

describe(`escape attempts, server as ${asRoot ? "root" : "a normal user"}`, () => {
  it("can't write host kernel knobs, dump core, make namespaces, mount, or call filtered syscalls", async () => {
    const h = await f.create();
    const r = await h.exec({ script: escapeProbeScript(), args: ["/workspace"], timeoutMs: 30_000 });
    const report = parseProbe(r.stdout);
    // The host path of the sandbox's files never shows in its mount table: they live on the sandbox's own
    // filesystem (an ext4 image for a root server, a tmpfs in its own namespace for an unprivileged one).
    expect(escapeFindings(report, [f.dataDir, h.workspace])).toEqual([]);
    expect(readKnobs()).toEqual(knobs);
    expect(report.uid).toBe("1000");
  });

  it("runs every sandboxed process as a non-zero host uid (the dedicated one for a root server)", async () => {
    const h = await f.create();
    const running = h.exec({ script: sleepUntilKilled, timeoutMs: 30_000 });
    let uids = new Map<number, number>();
    for (let i = 0; i < 100 && uids.size < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      uids = hostUidsUnder(h.pids());
    }
    // bwrap, its init, bash, and the two sleeps: all of them are visible from the host.
    expect(uids.size).toBeGreaterThanOrEqual(4);
    const want = asRoot ? DEFAULT_SANDBOX_HOST_ID : process.getuid?.();
    expect([...new Set(uids.values())]).toEqual([want]);
    await h.kill();
    await running;
  });

  it("caps the workspace and /tmp together: ENOSPC, and the data dir keeps < 280 MB", async () => {
    const h = await f.create({}, { diskMb: 256, fileSizeMb: 1024 });
    const r = await h.exec({ script: DISK_FILL, timeoutMs: 120_000 });
    expect(r.stderr).toMatch(/No space left on device/);
    expect(r.stdout).toMatch(/FAILED/);
    expect(usedBytes(f.dataDir)).toBeLessThan(280 * 1024 * 1024);
    // The files were really written, up to the cap, on the sandbox's own filesystem (an ext4 image in the data
    // dir for a root server; memory for an unprivileged one, whose data dir then holds none of it).
    const fs = statfsSync(h.workspace);
    expect((fs.blocks - fs.bfree) * fs.bsize).toBeGreaterThan(200 * 1024 * 1024);
    expect(fs.blocks * fs.bsize).toBeLessThanOrEqual(256 * 1024 * 1024);
  });
});

// The same attempts from a sandbox a normal (non-root) user's server starts (run as root, this switches to one;
// run as a normal user, the block above already was). Where that user can't read this checkout (a clone under a
// 0700 home), the machine doesn't allow it and the block is not registered.
if (
  asRoot &&
  readableBy(
    NORMAL_USER,
    fileURLToPath(new URL("../../../dist/sandboxes/provider/bwrap.js", import.meta.url)),
  )
)
  describe("escape attempts, server as a normal user (uid 65534)", () => {
    let dataDir: string;
    let child: ChildProcess | undefined;
    beforeAll(() => {
      ensureBuilt();
      dataDir = mkdtempSync(join(tmpdir(), "mogplex-sbx-user-"));
      chownSync(dataDir, NORMAL_USER, NORMAL_USER);
    });
    afterAll(() => {
      child?.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("holds the same boundaries, and its sandboxes run as that user", async () => {
      const dist = fileURLToPath(new URL("../../../dist/sandboxes/provider/bwrap.js", import.meta.url));
      const script = [
        `const { BwrapProvider } = await import(${JSON.stringify(dist)});`,
        `const p = new BwrapProvider({ bwrap: "bwrap", hostPath: ${JSON.stringify(HOST_PATH)} });`,
        "const status = await p.check();",
        `const h = await p.create({ id: "probe", root: ${JSON.stringify(join(dataDir, "probe"))},`,
        `  env: { PATH: "/usr/bin:/bin" }, limits: ${JSON.stringify(TEST_LIMITS)} });`,
        `const r = await h.exec({ script: ${JSON.stringify(escapeProbeScript())}, args: ["/workspace"], timeoutMs: 30000 });`,
        `h.exec({ script: ${JSON.stringify(sleepUntilKilled)}, timeoutMs: 60000 }).catch(() => {});`,
        "await new Promise((r) => setTimeout(r, 300));",
        `const d = await p.create({ id: "disk", root: ${JSON.stringify(join(dataDir, "disk"))},`,
        `  env: { PATH: "/usr/bin:/bin" }, limits: ${JSON.stringify({ ...TEST_LIMITS, diskMb: 256, fileSizeMb: 1024 })} });`,
        `const fill = await d.exec({ script: ${JSON.stringify(DISK_FILL)}, timeoutMs: 120000 });`,
        "process.stdout.write(JSON.stringify({ status, stdout: r.stdout, pids: h.pids(), fill }) + '\\n');",
        "setInterval(() => {}, 1000);",
      ].join("\n");
      const proc = spawn(
        "setpriv",
        [`--reuid=${NORMAL_USER}`, `--regid=${NORMAL_USER}`, "--clear-groups", "--", process.execPath],
        { cwd: dataDir, stdio: ["pipe", "pipe", "inherit"] },
      );
      child = proc;
      proc.stdin?.end(`${script}\n`);
      proc.stdin?.on("error", () => undefined);
      const line = await new Promise<string>((resolve, reject) => {
        let buf = "";
        const t = setTimeout(
          () => reject(new Error(`no report from the normal user's server: ${buf}`)),
          60_000,
        );
        proc.stdout?.on("data", (d: Buffer) => {
          buf += d.toString();
          if (buf.includes("\n")) {
            clearTimeout(t);
            resolve(buf.split("\n")[0] ?? "");
          }
        });
      });
      const out = JSON.parse(line) as {
        status: { ok: boolean; diskLimit: string };
        stdout: string;
        pids: number[];
        fill: { stdout: string; stderr: string };
      };
      expect(out.status).toMatchObject({ ok: true, diskLimit: "memory" });
      expect(out.fill.stderr).toMatch(/No space left on device/);
      expect(out.fill.stdout).toMatch(/FAILED/);
      expect(usedBytes(dataDir)).toBeLessThan(280 * 1024 * 1024);
      expect(escapeFindings(parseProbe(out.stdout), [])).toEqual([]);
      const uids = hostUidsUnder(out.pids);
      expect(uids.size).toBeGreaterThanOrEqual(4);
      expect([...new Set(uids.values())]).toEqual([NORMAL_USER]);
      expect(readKnobs()).toEqual(knobs);
      // Killed outright, the server leaves nothing behind: each sandbox filesystem's keeper sees its pipe close.
      expect(processesWith(dataDir).length).toBeGreaterThanOrEqual(2);
      proc.kill("SIGKILL");
      await noProcessesWith(dataDir, 10_000);
    });
  });
