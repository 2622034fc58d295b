// Egress allowlists: the sandbox reaches named hosts through the host proxy, and nothing else.
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BwrapProvider } from "./bwrap.js";
import { defaultBlocked, hostAllowed, startEgressProxy, validEgressPattern } from "./egress.js";
import { HOST_PATH, type SandboxFixture, sandboxFixture, TEST_LIMITS } from "./test-support/sandbox.js";

let f: SandboxFixture;
let web: Server;
let port = 0;

beforeAll(async () => {
  f = sandboxFixture();
  web = createHttpServer((_req, res) => res.end("egress ok\n"));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  port = (web.address() as { port: number }).port;
});
afterAll(async () => {
  web.close();
  await f.close();
});

describe("allowlist rules", () => {
  it("matches exact names and *.suffix subdomains only", () => {
    expect(hostAllowed("packages.example.org", ["packages.example.org"])).toBe(true);
    expect(hostAllowed("evil-packages.example.org.attacker.test", ["packages.example.org"])).toBe(false);
    expect(hostAllowed("api.github.com", ["*.github.com"])).toBe(true);
    expect(hostAllowed("github.com", ["*.github.com"])).toBe(false);
    expect(hostAllowed("notgithub.com", ["*.github.com"])).toBe(false);
    expect(validEgressPattern("*.example.com")).toBe(true);
    expect(validEgressPattern("exa mple.com")).toBe(false);
    expect(validEgressPattern("*")).toBe(false);
  });

  it("never dials loopback, link-local (metadata) or unspecified addresses by default", () => {
    for (const a of ["127.0.0.1", "::1", "169.254.169.254", "0.0.0.0", "::ffff:127.0.0.1", "fe80::1"]) {
      expect(defaultBlocked(a)).toBe(true);
    }
    expect(defaultBlocked("192.0.2.10")).toBe(false);
  });

  it("refuses an allowed name that resolves to loopback (no way back into the host)", async () => {
    const socket = join(f.dataDir, `p-${randomBytes(4).toString("hex")}.sock`);
    const proxy = await startEgressProxy(socket, ["localhost"], { ports: [port] });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const c = connect(socket, () =>
          c.write(`CONNECT localhost:${port} HTTP/1.1\r\nHost: localhost\r\n\r\n`),
        );
        let text = "";
        c.on("data", (d) => {
          text += d.toString();
        });
        c.on("end", () => resolve(text));
        c.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 403 .*resolves only to blocked addresses/s);
    } finally {
      await proxy.close();
    }
  });
});

describe("a sandbox with an egress allowlist", () => {
  it("reaches an allowed host through the proxy; other hosts, other ports and direct connections fail", async () => {
    // The test's "internet" is a loopback server, so this proxy resolves the allowed name there on purpose.
    const provider = new BwrapProvider({
      bwrap: "bwrap",
      hostPath: HOST_PATH,
      egress: (sock, hosts) =>
        startEgressProxy(sock, hosts, {
          lookup: async () => ["127.0.0.1"],
          blocked: () => false,
          ports: [port],
        }),
    });
    const id = randomBytes(6).toString("hex");
    const h = await provider.create({
      id,
      root: join(f.dataDir, "sandboxes", id),
      env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
      limits: TEST_LIMITS,
      egressHosts: ["allowed.test"],
    });
    try {
      const r = await h.exec({
        script: [
          `curl -sS --max-time 5 --proxytunnel http://allowed.test:${port}/ || echo ALLOWED-FAILED`,
          `curl -sS --max-time 5 --proxytunnel http://denied.test:${port}/ && echo DENIED-REACHED`,
          `curl -sS --max-time 5 --proxytunnel http://allowed.test:${port + 1}/ && echo PORT-REACHED`,
          `curl -sS --max-time 3 --noproxy '*' http://127.0.0.1:${port}/ && echo DIRECT-REACHED`,
        ].join("\n"),
        timeoutMs: 30_000,
      });
      expect(r.stdout).toContain("egress ok");
      expect(r.stdout).not.toMatch(/ALLOWED-FAILED|DENIED-REACHED|PORT-REACHED|DIRECT-REACHED/);
      expect(r.stderr).toMatch(/CONNECT tunnel failed, response 403/);
    } finally {
      await h.destroy();
    }
  });
});
