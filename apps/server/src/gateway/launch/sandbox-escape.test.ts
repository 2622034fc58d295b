// A stdio MCP server is code from outside too: from the gateway's sandbox it tries the same escapes as a run's
// agent (host kernel knobs, core handlers, namespaces, filtered syscalls, host uid, the disk).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BwrapProvider } from "../../sandboxes/provider/bwrap.js";
import { DEFAULT_SANDBOX_HOST_ID } from "../../sandboxes/provider/host-user.js";
import {
  escapeFindings,
  escapeProbeScript,
  HOST_KNOBS,
  parseProbe,
  readKnobs,
} from "../../sandboxes/provider/test-support/escape-probe.js";
import { hostUidsUnder } from "../../sandboxes/provider/test-support/host-procs.js";
import { HOST_PATH, TEST_LIMITS } from "../../sandboxes/provider/test-support/sandbox.js";
import type { LaunchedStdio } from "./launcher.js";
import { SandboxedStdioLauncher } from "./sandboxed-launcher.js";

const asRoot = process.getuid?.() === 0;
// Probes, fills its disk (three 150 MB files under a 256 MB cap), reports once as a notification, then stays up.
const SERVER = `
exec 3>&1 1>"$HOME/probe.out" 2>&1
probe() { ${escapeProbeScript()}
}
probe "$HOME"
for p in "$HOME/a" /tmp/b "$HOME/c"; do head -c 157286400 /dev/zero > "$p" || echo "fill_failed=$p"; done
read -r _
printf '{"jsonrpc":"2.0","method":"report","params":{"out":"%s"}}\\n' "$(base64 -w0 < "$HOME/probe.out")" >&3
while :; do sleep 1; done`;

function firstMessage(l: LaunchedStdio): Promise<JSONRPCMessage> {
  return new Promise((resolve, reject) => {
    l.transport.onmessage = resolve;
    l.transport.onclose = () => reject(new Error("the server exited before reporting"));
    void l.transport.send({ jsonrpc: "2.0", method: "go" });
  });
}

describe(`a stdio MCP server trying to escape the gateway's sandbox (server as ${asRoot ? "root" : "a normal user"})`, () => {
  let dataDir: string;
  let knobs: Record<string, string>;
  beforeAll(() => {
    knobs = readKnobs();
    dataDir = mkdtempSync(join(tmpdir(), "mogplex-mcp-escape-"));
  });
  afterAll(() => {
    const now = readKnobs();
    for (const k of HOST_KNOBS) if (now[k] !== knobs[k]) writeFileSync(k, knobs[k] ?? "");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("changes nothing on the host, runs as a non-root host uid, and stops at its disk cap", async () => {
    const launcher = new SandboxedStdioLauncher({
      provider: new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH }),
      root: join(dataDir, "mcp-sandboxes"),
      limits: { ...TEST_LIMITS, cpuSeconds: 0, diskMb: 256, fileSizeMb: 1024 },
      mounts: [],
    });
    const l = await launcher.launch({
      serverId: "srv_escape",
      command: "/bin/bash",
      args: ["-c", SERVER],
      env: {},
    });
    try {
      const msg = (await firstMessage(l)) as unknown as { params: { out: string } };
      const out = Buffer.from(msg.params.out, "base64").toString();
      expect(escapeFindings(parseProbe(out), [dataDir])).toEqual([]);
      expect(readKnobs()).toEqual(knobs);
      const uids = hostUidsUnder(l.pid === undefined ? [] : [l.pid]);
      expect(uids.size).toBeGreaterThanOrEqual(3);
      expect([...new Set(uids.values())]).toEqual([asRoot ? DEFAULT_SANDBOX_HOST_ID : process.getuid?.()]);
      expect(out).toMatch(/No space left on device/);
      const used = Number(execFileSync("du", ["-s", "--block-size=1", dataDir]).toString().split("\t")[0]);
      expect(used).toBeLessThan(280 * 1024 * 1024);
    } finally {
      await l.stop();
    }
  }, 60_000);
});
