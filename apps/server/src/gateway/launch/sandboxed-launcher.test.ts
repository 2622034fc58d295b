// stdio MCP servers inside bubblewrap: what the process can see, reach and keep, and that nothing outlives stop().
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config.js";
import { BwrapProvider } from "../../sandboxes/provider/bwrap.js";
import { startEgressProxy } from "../../sandboxes/provider/egress.js";
import { HOST_PATH, noProcessesWith, TEST_LIMITS } from "../../sandboxes/provider/test-support/sandbox.js";
import { SENTINEL, SENTINEL_VALUE } from "../test-support/everything.js";
import type { LaunchedStdio } from "./launcher.js";
import { SandboxedStdioLauncher } from "./sandboxed-launcher.js";

// A node one-liner "server": on its first stdin line it probes its surroundings and reports as a notification.
const PROBE = `
const fs = require('fs'), net = require('net');
const tryRead = (p) => { try { fs.readFileSync(p); return 'read'; } catch (e) { return e.code; } };
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'wrote'; } catch (e) { return e.code; } };
process.stdin.once('data', () => {
  const a = JSON.parse(process.env.PROBE_ARGS);
  const s = net.connect(a.port, '127.0.0.1');
  const report = (net) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'report', params: {
    env: process.env, uid: process.getuid(), cwd: process.cwd(), net,
    shadow: tryRead('/etc/shadow'), hostFile: tryRead(a.hostFile), dataDir: tryRead(a.dbFile),
    mountWrite: tryWrite(a.mountFile), homeWrite: tryWrite(process.env.HOME + '/ok'), mountRead: tryRead(a.mountRead),
  } }) + '\\n');
  s.once('connect', () => { s.destroy(); report('connected'); });
  s.once('error', (e) => report(e.code));
});
setInterval(() => {}, 1000);`;

// Asks the sandbox's proxy for a host outside the allowlist and reports the proxy's answer.
const CONNECT_PROBE = `
const net = require('net');
process.stdin.once('data', () => {
  const u = new URL(process.env.HTTPS_PROXY);
  const c = net.connect(Number(u.port), u.hostname, () => c.write('CONNECT not-listed.example:443 HTTP/1.1\\r\\nHost: not-listed.example\\r\\n\\r\\n'));
  let text = '';
  c.on('data', (d) => { text += d; });
  const done = () => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'report', params: { proxy: process.env.HTTPS_PROXY, answer: text } }) + '\\n');
  c.once('end', done);
  c.once('error', (e) => { text = e.code; done(); });
});
setInterval(() => {}, 1000);`;

function firstMessage(l: LaunchedStdio): Promise<JSONRPCMessage> {
  return new Promise((resolve, reject) => {
    l.transport.onmessage = resolve;
    l.transport.onclose = () => reject(new Error("the server exited before reporting"));
    void l.transport.send({ jsonrpc: "2.0", method: "go" });
  });
}

describe("SandboxedStdioLauncher (bubblewrap)", () => {
  let dataDir: string;
  let mount: string;
  let hostOnly: string;
  let listener: Server;
  let port: number;
  let launcher: SandboxedStdioLauncher;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "mogplex-mcp-sbx-"));
    writeFileSync(join(dataDir, "mogplex.db"), "database");
    mount = mkdtempSync(join(tmpdir(), "mogplex-mcp-mount-"));
    // Readable by whichever host user the sandbox runs as (a root server runs sandboxes unprivileged).
    chmodSync(mount, 0o755);
    writeFileSync(join(mount, "server.js"), "// installed server", { mode: 0o644 });
    hostOnly = join(mkdtempSync(join(tmpdir(), "mogplex-host-")), "secret.txt");
    writeFileSync(hostOnly, "host secret");
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    port = (listener.address() as { port: number }).port;
    launcher = new SandboxedStdioLauncher({
      provider: new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH, egress: startEgressProxy }),
      root: join(dataDir, "mcp-sandboxes"),
      limits: { ...TEST_LIMITS, cpuSeconds: 0 },
      mounts: [mount, dirname(process.execPath)],
    });
  });
  afterAll(async () => {
    await new Promise<void>((r) => listener.close(() => r()));
    for (const d of [dataDir, mount, dirname(hostOnly)]) rmSync(d, { recursive: true, force: true });
  });

  it("sees only system dirs and its mounts (read-only), no network, exactly its env; leaves nothing behind", async () => {
    process.env[SENTINEL] = SENTINEL_VALUE;
    let l: LaunchedStdio;
    try {
      l = await launcher.launch({
        serverId: "srv_probe",
        command: process.execPath,
        args: ["-e", PROBE],
        env: {
          CONFIGURED: "yes",
          PROBE_ARGS: JSON.stringify({
            port,
            hostFile: hostOnly,
            dbFile: join(dataDir, "mogplex.db"),
            mountFile: join(mount, "planted.js"),
            mountRead: join(mount, "server.js"),
          }),
        },
      });
    } finally {
      delete process.env[SENTINEL];
    }
    expect(launcher.confinement).toBe("bwrap");
    const msg = (await firstMessage(l)) as { params: Record<string, unknown> };
    const r = msg.params as {
      env: Record<string, string>;
      [k: string]: unknown;
    };
    expect(Object.keys(r.env).sort()).toEqual(["CONFIGURED", "HOME", "PATH", "PROBE_ARGS"]);
    expect(r.uid).toBe(1000);
    expect(r.cwd).toBe("/workspace");
    expect(r.homeWrite).toBe("wrote");
    expect(r.shadow).toBe("ENOENT");
    expect(r.hostFile).toBe("ENOENT");
    expect(r.dataDir).toBe("ENOENT");
    expect(r.mountRead).toBe("read");
    expect(r.mountWrite).toBe("EROFS");
    // Its own network namespace: the host's loopback listener is not there.
    expect(r.net).toBe("ECONNREFUSED");

    expect(readdirSync(join(dataDir, "mcp-sandboxes"))).toHaveLength(1);
    await l.stop();
    await noProcessesWith(PROBE.slice(0, 40));
    expect(readdirSync(join(dataDir, "mcp-sandboxes"))).toEqual([]);
  });

  it("reaches the network only through the egress proxy, and only when its connection names hosts", async () => {
    const l = await launcher.launch({
      serverId: "srv_egress",
      command: process.execPath,
      args: ["-e", CONNECT_PROBE],
      env: {},
      egressHosts: ["api.allowed.example"],
    });
    try {
      const r = ((await firstMessage(l)) as unknown as { params: { proxy: string; answer: string } }).params;
      expect(r.proxy).toBe("http://127.0.0.1:3128");
      expect(r.answer).toMatch(/^HTTP\/1\.1 403 .*not-listed\.example/s);
    } finally {
      await l.stop();
    }
  });

  it("a server that ignores stdin EOF is killed after the grace period, with everything it started", async () => {
    const l = await launcher.launch({
      serverId: "srv_stubborn",
      command: "/bin/sh",
      args: ["-c", "trap '' TERM; sleep 300 & sleep 301 & wait; # mogplex-stubborn-marker"],
      env: {},
    });
    await l.stop();
    await noProcessesWith("mogplex-stubborn-marker");
    await noProcessesWith("sleep 301");
  });

  it("a command missing inside the sandbox ends the transport (no host fallback)", async () => {
    const l = await launcher.launch({
      serverId: "srv_missing",
      command: "/opt/not-installed/mcp-server",
      args: [],
      env: {},
    });
    await l.exited;
    await expect(l.transport.send({ jsonrpc: "2.0", method: "x" })).rejects.toThrow(/not running/);
  });

  it("refuses to start anything when no sandbox works here, naming why", async () => {
    const broken = new SandboxedStdioLauncher({
      provider: new BwrapProvider({ bwrap: "/nonexistent/bwrap", hostPath: HOST_PATH }),
      root: join(dataDir, "broken"),
      limits: TEST_LIMITS,
      mounts: [],
    });
    await expect(
      broken.launch({ serverId: "s", command: process.execPath, args: ["-e", "0"], env: {} }),
    ).rejects.toThrow(/stdio MCP servers run only inside a sandbox.*bubblewrap/);
    expect(existsSync(join(dataDir, "broken"))).toBe(false);
  });

  it("removes sandboxes a dead server process left behind, and keeps live ones", async () => {
    const root = join(dataDir, "sweep");
    const stale = join(root, "mcp-999999999-1");
    const live = join(root, `mcp-${process.ppid}-1`);
    for (const d of [stale, live]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "marker"), "x");
    }
    const l = new SandboxedStdioLauncher({
      provider: new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH }),
      root,
      limits: { ...TEST_LIMITS, cpuSeconds: 0 },
      mounts: [dirname(process.execPath)],
    });
    const launched = await l.launch({ serverId: "s", command: "/bin/cat", args: [], env: {} });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await launched.stop();
  });
});

describe("MOGPLEX_MCP_STDIO_MOUNTS", () => {
  const base = { MOGPLEX_DATA_DIR: "/srv/mogplex/data", MOGPLEX_HOME: "/srv/mogplex/home" };
  it("accepts absolute install directories", () => {
    const c = loadConfig({ ...base, MOGPLEX_MCP_STDIO_MOUNTS: "/opt/mcp, /usr/lib/node_modules" });
    expect(c.gateway.stdioMounts).toEqual(["/opt/mcp", "/usr/lib/node_modules"]);
    expect(c.gateway.stdioSandbox).toBe("bwrap");
  });
  it("refuses relative paths and anything that would expose the data directory", () => {
    expect(() => loadConfig({ ...base, MOGPLEX_MCP_STDIO_MOUNTS: "opt/mcp" })).toThrow(ConfigError);
    for (const bad of [
      "/srv/mogplex/data",
      "/srv/mogplex",
      "/",
      "/srv/mogplex/data/sub",
      "/srv/mogplex/home",
    ]) {
      expect(() => loadConfig({ ...base, MOGPLEX_MCP_STDIO_MOUNTS: bad }), bad).toThrow(/data directory/);
    }
  });
});
