// The terminal agent's command sandbox, with real bubblewrap (run as root and as a normal user): the working
// folder is writable, files outside it are neither readable nor writable, no network without --network,
// nothing of the user's credentials, and a cancel kills the command tree.
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunner } from "./sandbox.js";

const root = mkdtempSync(join(tmpdir(), "mogplex-agent-sbx-"));
const cwd = join(root, "work");
const outside = join(root, "outside");
const secretFile = join(outside, "secret.txt");
const env = { PATH: process.env.PATH, HOME: root, OPENAI_API_KEY: "sk-test-never-inside-123456" };
let server: Server;
let port = 0;

beforeAll(async () => {
  chmodSync(root, 0o711);
  mkdirSync(cwd, { mode: 0o755 });
  mkdirSync(outside, { mode: 0o700 });
  writeFileSync(secretFile, "top secret\n", { mode: 0o600 });
  server = createServer((s) => s.end("hello\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

const run = async (command: string, network = false) => {
  const runner = await createRunner({ cwd, sandbox: true, network, env, hide: [] });
  expect(runner.sandboxed).toBe(true);
  return runner.run(command, { timeoutMs: 60_000, signal: new AbortController().signal });
};

describe("run_command sandbox", () => {
  it("writes inside the working folder, as the host user that owns it", async () => {
    const r = await run("echo made > made.txt && id -u");
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(cwd, "made.txt"), "utf8")).toBe("made\n");
    // The file is the folder owner's on the host (root's, when root runs the agent in its own folder) …
    expect(statSync(join(cwd, "made.txt")).uid).toBe(statSync(cwd).uid);
    expect(r.stdout.trim()).not.toBe("0");
    // … yet the process is never host root: seen from the host, it runs as an unprivileged uid.
    const runner = await createRunner({ cwd, sandbox: true, network: false, env, hide: [] });
    const ac = new AbortController();
    const pending = runner.run("sleep 37.25", { timeoutMs: 60_000, signal: ac.signal });
    let hostUid: number | undefined;
    for (const deadline = Date.now() + 20_000; hostUid === undefined && Date.now() < deadline; ) {
      for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, "utf8") !== "sleep\u000037.25\u0000") continue;
          hostUid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
        } catch {
          // gone meanwhile
        }
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    ac.abort();
    await pending;
    expect(hostUid).toBe(process.getuid?.() === 0 ? 63_999 : process.getuid?.());
  });

  it("root: a folder another user owns is worked on as that user, never as host root", async () => {
    const theirs = join(root, "theirs");
    mkdirSync(theirs, { mode: 0o755 });
    const owner = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? 0);
    chownSync(theirs, owner, owner);
    const runner = await createRunner({ cwd: theirs, sandbox: true, network: false, env, hide: [] });
    const r = await runner.run(`touch f && echo touched; cat ${secretFile}; echo z > ${root}/escaped`, {
      timeoutMs: 60_000,
      signal: new AbortController().signal,
    });
    expect(r.stdout).toContain("touched");
    expect(statSync(join(theirs, "f")).uid).toBe(owner);
    expect(r.stdout).not.toContain("top secret");
    expect(() => readFileSync(join(root, "escaped"))).toThrow();
  });

  it("hides MOGPLEX_HOME when it lies inside the working folder", async () => {
    const home = join(cwd, ".mogplex");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "auth.json"), '{"secret":1}');
    const runner = await createRunner({ cwd, sandbox: true, network: false, env, hide: [home] });
    const r = await runner.run("cat .mogplex/auth.json; ls -A .mogplex", {
      timeoutMs: 60_000,
      signal: new AbortController().signal,
    });
    expect(r.stdout).not.toContain("secret");
    rmSync(home, { recursive: true });
  });

  it("cannot read or write outside the working folder", async () => {
    const r = await run(
      `cat ${secretFile}; cat /etc/shadow; echo x > ${outside}/new.txt; echo y > /usr/pwned; ls /root; echo done`,
    );
    expect(r.stdout).not.toContain("top secret");
    expect(r.stdout).not.toMatch(/root:[^:]*:/);
    expect(r.stdout.trim().endsWith("done")).toBe(true);
    expect(() => readFileSync(join(outside, "new.txt"))).toThrow();
    expect(() => readFileSync("/usr/pwned")).toThrow();
  });

  it("sees none of the user's environment (no provider keys)", async () => {
    const r = await run("env");
    expect(r.stdout).not.toContain("sk-test-never-inside");
    expect(r.stdout).not.toContain("OPENAI_API_KEY");
  });

  it("has no network unless asked", async () => {
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`;
    const closed = await run(probe);
    expect(closed.exitCode).not.toBe(0);
    expect(closed.stdout).not.toContain("hello");
    const open = await run(probe, true);
    expect(open.stdout).toContain("hello");
  });

  it("a cancel kills the whole command tree", async () => {
    const runner = await createRunner({ cwd, sandbox: true, network: false, env, hide: [] });
    const ac = new AbortController();
    const pending = runner.run("sleep 300 & sleep 300; echo never", {
      timeoutMs: 600_000,
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 500);
    const r = await pending;
    expect(r.aborted).toBe(true);
    expect(r.stdout).not.toContain("never");
  });

  it("--no-sandbox runs on the host without credentials in the environment", async () => {
    const runner = await createRunner({ cwd, sandbox: false, network: false, env, hide: [] });
    expect(runner.sandboxed).toBe(false);
    const r = await runner.run("pwd; env", { timeoutMs: 30_000, signal: new AbortController().signal });
    expect(r.stdout.split("\n")[0]).toBe(cwd);
    expect(r.stdout).not.toContain("sk-test-never-inside");
  });
});
