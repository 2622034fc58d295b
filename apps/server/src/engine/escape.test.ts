// The agent's escape attempts through a real run (scripted model, real bubblewrap): host kernel knobs, core
// handlers, namespaces, filtered syscalls, host uid, the disk. The server process here is the test runner:
// root in CI, where the sandbox must still never be host root.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, dataOf, startRun } from "../runs/test-support/api.js";
import { DEFAULT_SANDBOX_HOST_ID } from "../sandboxes/provider/host-user.js";
import {
  escapeFindings,
  escapeProbeScript,
  HOST_KNOBS,
  parseProbe,
  readKnobs,
} from "../sandboxes/provider/test-support/escape-probe.js";
import { hostUidsUnder } from "../sandboxes/provider/test-support/host-procs.js";
import { marker, processesWith } from "../sandboxes/provider/test-support/sandbox.js";
import type { Harness } from "../test-support/harness.js";
import { untilTerminal } from "./test-support/engine.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";
import type { ScriptedModel } from "./test-support/scripted-model.js";

const asRoot = process.getuid?.() === 0;
let h: Harness;
let model: ScriptedModel;
let a: Actor;
let fixture: RunFixture;
let knobs: Record<string, string>;

beforeAll(async () => {
  knobs = readKnobs();
  fixture = await startRunFixture({ MOGPLEX_SANDBOX_DISK_MB: "256" });
  ({ h, model, a } = fixture);
});

afterAll(async () => {
  const now = readKnobs();
  for (const k of HOST_KNOBS) if (now[k] !== knobs[k]) writeFileSync(k, knobs[k] ?? "");
  await fixture.close();
});

const toolOutputs = (prompt: string): string[] => {
  const last = model.requests.filter((r) => JSON.stringify(r.messages).includes(prompt)).at(-1);
  return (last?.messages ?? [])
    .filter((m) => m.role === "tool")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
};

describe(`a run's agent trying to escape (server as ${asRoot ? "root" : "a normal user"})`, () => {
  it("changes nothing on the host, runs as a non-root host uid, and is stopped by the disk cap", async () => {
    const m = marker("escape-run");
    const seen: { uids: Map<number, number>; diskBytes: number } = { uids: new Map(), diskBytes: 0 };
    const fill =
      "for p in /workspace/a /tmp/b /workspace/c; do head -c 157286400 /dev/zero > $p || echo FAILED $p; done";
    model.on("E2E-ESCAPE", (_req, step) => {
      if (step === 0) {
        return {
          toolCalls: [
            { name: "run_command", args: { command: `set -- /workspace\n${escapeProbeScript()}` } },
          ],
        };
      }
      if (step === 1) {
        // Long enough for the host to look at the sandbox's processes while they run.
        return { toolCalls: [{ name: "run_command", args: { command: `sleep 8 & sleep 8 & wait # ${m}` } }] };
      }
      if (step === 2) return { toolCalls: [{ name: "run_command", args: { command: fill } }] };
      if (step === 3) {
        // The sandbox still exists while the model is asked for its next step: measure what it left on disk.
        seen.diskBytes = Number(
          execFileSync("du", ["-s", "--block-size=1", h.dataDir]).toString().split("\t")[0],
        );
        // Leaves the disk full: the run must end with a clear reason, not hang or fill the host.
      }
      return { text: "done" };
    });
    const run = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-ESCAPE" });
    const runId = dataOf(run.body).run.id;
    for (let i = 0; i < 200 && seen.uids.size < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const roots = processesWith(m);
      if (roots.length > 0) seen.uids = hostUidsUnder(roots);
    }
    const done = await untilTerminal(h, a.user.teamId, runId, 120_000);
    // The agent left the disk full, so committing its work failed: the run says why.
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/No space left on device.*disk cap of 256 MB, MOGPLEX_SANDBOX_DISK_MB/s);

    const [probe = "", , filled = ""] = toolOutputs("E2E-ESCAPE");
    expect(escapeFindings(parseProbe(probe.replace(/\\n/g, "\n")), [h.dataDir])).toEqual([]);
    expect(readKnobs()).toEqual(knobs);
    expect(seen.uids.size).toBeGreaterThanOrEqual(4);
    expect([...new Set(seen.uids.values())]).toEqual([asRoot ? DEFAULT_SANDBOX_HOST_ID : process.getuid?.()]);
    expect(filled).toMatch(/No space left on device/);
    expect(seen.diskBytes).toBeGreaterThan(0);
    expect(seen.diskBytes).toBeLessThan(280 * 1024 * 1024);
  }, 180_000);
});
