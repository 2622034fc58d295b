// Port bridges: the host reaches a port inside one invocation through a unix socket; nothing else opens.
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgePreamble, validPort } from "./port-bridge.js";
import { type SandboxFixture, sandboxFixture } from "./test-support/sandbox.js";
import type { SandboxProcess } from "./types.js";

let f: SandboxFixture;
beforeAll(() => {
  f = sandboxFixture();
});
afterAll(async () => {
  await f.close();
});

// A tiny HTTP server on the invocation's own loopback, the way a repo's dev command would start one.
const SERVER =
  'exec node -e \'require("http").createServer((q,s)=>s.end("inside " + q.url)).listen(Number(process.argv[1]),"127.0.0.1")\' "$1"';

/** One HTTP/1.0 GET over a connected socket; resolves with the whole answer. */
function get(sock: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    sock.on("data", (d: Buffer) => {
      text += d.toString();
    });
    sock.on("end", () => resolve(text));
    sock.on("error", reject);
    sock.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  });
}

async function untilConnected(p: SandboxProcess, ms = 5_000): Promise<Socket> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await (p.connectPort as () => Promise<Socket>)();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// socat accepts before it dials the port: a connection it then drops means nothing listens there yet.
async function fetchInside(p: SandboxProcess, path: string, ms = 5_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const answer = await get(await untilConnected(p), path).catch(() => "");
    if (answer.startsWith("HTTP/1.")) return answer;
    if (Date.now() > until) throw new Error(`no answer from inside after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("port bridge", () => {
  it("only ever puts a checked port number into the script", () => {
    expect(validPort(3000)).toBe(true);
    for (const bad of [0, 65_536, 3.5, -1, Number.NaN, "3000"]) expect(validPort(bad)).toBe(false);
    expect(() => bridgePreamble(70_000)).toThrow(/not a TCP port/);
  });

  it("reaches a server on the invocation's loopback from the host, and stops with it", async () => {
    const sb = await f.create();
    const p = await sb.open({ script: SERVER, args: ["4173"], exposePort: 4173 });
    const answer = await fetchInside(p, "/hello?x=1");
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain("inside /hello?x=1");
    await p.kill();
    await expect((p.connectPort as () => Promise<Socket>)()).rejects.toThrow();
    // A process opened without exposePort has no bridge at all.
    const plain = await sb.open({ script: "sleep 30" });
    expect(plain.connectPort).toBeUndefined();
    await plain.kill();
  });

  it("the exposing invocation still has no network to the host", async () => {
    const host: Server = createServer((s) => s.end("host\n"));
    await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
    const port = (host.address() as { port: number }).port;
    try {
      const sb = await f.create();
      const p = await sb.open({
        script: `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo reached || echo closed; ${SERVER}`,
        args: ["4174"],
        exposePort: 4174,
      });
      let out = "";
      p.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await fetchInside(p, "/");
      expect(out).toContain("closed");
      expect(out).not.toContain("reached");
      await p.kill();
    } finally {
      host.close();
    }
  });

  it("never follows a link the sandbox puts in place of its socket (no way to other host sockets)", async () => {
    let dialled = 0;
    const hostSocket = join(f.dataDir, "host-only.sock");
    const host: Server = createServer((s) => {
      dialled++;
      s.end("host secret\n");
    });
    await new Promise<void>((r) => host.listen(hostSocket, r));
    try {
      const sb = await f.create();
      // Waits for socat's socket, then swaps it for a symlink to a socket of the host's.
      const p = await sb.open({
        script:
          'for _i in $(seq 1 100); do [ -S /run/mogplex-port/port.sock ] && break; sleep 0.02; done; rm -f /run/mogplex-port/port.sock; ln -s "$1" /run/mogplex-port/port.sock; echo swapped; exec sleep 30',
        args: [hostSocket],
        exposePort: 4175,
      });
      await new Promise<void>((resolve) => {
        p.stdout.on("data", (d: Buffer) => {
          if (d.toString().includes("swapped")) resolve();
        });
      });
      await expect((p.connectPort as () => Promise<Socket>)()).rejects.toThrow(/not a socket/);
      expect(dialled).toBe(0);
      await p.kill();
    } finally {
      host.close();
      rmSync(hostSocket, { force: true });
    }
  });
});
