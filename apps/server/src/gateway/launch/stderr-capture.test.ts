// A stdio server's stderr, kept as a bounded tail: from inside bubblewrap (the provider hands it over, bwrap's own
// complaints included) and from a bare process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BwrapProvider } from "../../sandboxes/provider/bwrap.js";
import { HOST_PATH, TEST_LIMITS } from "../../sandboxes/provider/test-support/sandbox.js";
import { ScrubbedEnvLauncher, type StdioLauncher } from "./launcher.js";
import { SandboxedStdioLauncher } from "./sandboxed-launcher.js";
import { redactedTail, STDERR_TAIL_BYTES, StderrTail } from "./stderr-tail.js";

// 5000 lines (~150 KB) and then the words that matter: only a tail of whole lines may come back.
const CHATTY =
  'i=0; while [ $i -lt 5000 ]; do echo "noise line $i padding padding" >&2; i=$((i+1)); done; echo "last words" >&2; exit 4';

describe("stderr tails", () => {
  let dataDir: string;
  let sandboxed: SandboxedStdioLauncher;
  const bare = new ScrubbedEnvLauncher();

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "mogplex-stderr-"));
    sandboxed = new SandboxedStdioLauncher({
      provider: new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH }),
      root: join(dataDir, "mcp-sandboxes"),
      limits: { ...TEST_LIMITS, cpuSeconds: 0 },
      mounts: [],
    });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const [name, launcher] of [
    ["sandboxed", () => sandboxed],
    ["bare process", () => bare],
  ] as Array<[string, () => StdioLauncher]>) {
    it(`${name}: a bounded tail of whole lines, and how the process ended`, async () => {
      const l = await launcher().launch({ serverId: "s", command: "/bin/sh", args: ["-c", CHATTY], env: {} });
      const end = await l.ended;
      expect(end).toMatchObject({ code: 4, signal: null, stopped: false });
      expect(Buffer.byteLength(end.stderr)).toBeLessThanOrEqual(STDERR_TAIL_BYTES);
      expect(Buffer.byteLength(end.stderr)).toBeGreaterThan(STDERR_TAIL_BYTES / 2);
      expect(end.stderr.endsWith("noise line 4999 padding padding\nlast words\n")).toBe(true);
      expect(end.stderr).toMatch(/^noise line \d+ padding padding\n/);
    });

    it(`${name}: a stop we asked for is marked as such`, async () => {
      const l = await launcher().launch({
        serverId: "s",
        command: "/bin/sh",
        args: ["-c", "echo started >&2; exec sleep 60"],
        env: {},
      });
      await new Promise((r) => setTimeout(r, 200));
      await l.stop();
      const end = await l.ended;
      expect(end.stopped).toBe(true);
      expect(end.stderr).toBe("started\n");
    });
  }

  it("a command missing inside the sandbox: exit 127, and the complaint is in the tail", async () => {
    const l = await sandboxed.launch({ serverId: "s", command: "/opt/not-installed/mcp", args: [], env: {} });
    const end = await l.ended;
    expect(end.code).toBe(127);
    expect(end.stderr).toContain("/opt/not-installed/mcp");
  });

  it("bubblewrap's own complaint (it can't set the sandbox up) reaches the tail too", async () => {
    const provider = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH });
    const h = await provider.create({
      id: `stderr-${process.pid}`,
      root: join(dataDir, "bwrap-complaint"),
      env: {},
      limits: TEST_LIMITS,
      // A read-only bind whose source is gone by the time the process starts.
      roBinds: [{ host: join(dataDir, "vanished"), inside: "/opt/vanished" }],
    });
    try {
      const tail = new StderrTail();
      const p = await h.open({ script: "exec cat", onStderr: (c) => tail.push(c) });
      const end = await p.exited;
      expect(end.exitCode).not.toBe(0);
      expect(tail.text()).toMatch(/bwrap: Can't find source path .*vanished/);
    } finally {
      await h.destroy();
    }
  });

  it("a big read followed by a small one still leaves a full tail (chunk boundaries don't matter)", () => {
    const tail = new StderrTail();
    tail.push(Buffer.from("x".repeat(60).concat("\n").repeat(1000)));
    tail.push(Buffer.from("last words\n"));
    expect(Buffer.byteLength(tail.text())).toBeGreaterThan(STDERR_TAIL_BYTES - 62);
    expect(tail.text().endsWith(`${"x".repeat(60)}\nlast words\n`)).toBe(true);
    for (let i = 0; i < 500; i++) tail.push(Buffer.from(`line ${i}\n`));
    expect(tail.text()).toMatch(/^line \d+\n[\s\S]*line 499\n$/);
    expect(Buffer.byteLength(tail.text())).toBeGreaterThan(STDERR_TAIL_BYTES - 10);
  });

  it("redaction: secrets out, control characters out; a tail that grows past the cap loses lines at the front", () => {
    const secret = "s3cret-value-1234";
    const text = redactedTail(`\u001b[31mred\u001b[0m ${secret}\u0007\nline two\n`, [secret]);
    expect(text).toBe("red [redacted]\nline two");
    const many = Array.from({ length: 400 }, (_, i) => `${i} ${secret.slice(0, 8)}`).join("\n");
    const cut = redactedTail(many, [secret.slice(0, 8)]);
    expect(cut.endsWith("399 [redacted]")).toBe(true);
    expect(cut).not.toContain("truncated");
    expect(cut.startsWith("0 ")).toBe(false);
  });
});
