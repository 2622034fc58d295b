// The agent's escape attempts through a real run on a `mogplex serve` started by a normal user (uid 65534):
// the unprivileged path keeps every boundary. As root the test runner switches to that user for the server; run
// as a normal user, engine/escape.test.ts already is this case (its server is the test process).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bareRemote } from "../../../server/src/engine/test-support/engine.js";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import {
  escapeFindings,
  escapeProbeScript,
  HOST_KNOBS,
  parseProbe,
  readKnobs,
} from "../../../server/src/sandboxes/provider/test-support/escape-probe.js";
import { hostUidsUnder } from "../../../server/src/sandboxes/provider/test-support/host-procs.js";
import {
  marker,
  processesWith,
  readableBy,
} from "../../../server/src/sandboxes/provider/test-support/sandbox.js";
import { api, BIN, ensureBuilt, ROOT } from "./support.js";

const USER = 65_534;
// Three 150 MB files in the workspace and /tmp under MOGPLEX_SANDBOX_DISK_MB=256.
const FILL =
  "for p in /workspace/a /tmp/b /workspace/c; do head -c 157286400 /dev/zero > $p || echo FAILED $p; done";
const usedBytes = (dir: string) =>
  Number(execFileSync("du", ["-s", "--block-size=1", dir]).toString().split("\t")[0]);
const PASSWORD = "a passphrase of several words";

function asUser(
  args: string[],
  env: Record<string, string>,
  input = "",
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: env.HOME, uid: USER, gid: USER });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

// Registered where the machine allows it: root can switch to a normal user, and that user can read the checkout.
if (process.getuid?.() === 0 && readableBy(USER, join(ROOT, "node_modules")) && readableBy(USER, BIN)) {
  describe("a run's agent trying to escape, server started by a normal user", () => {
    let home: string;
    let model: ScriptedModel;
    let server: ChildProcess | undefined;
    let knobs: Record<string, string>;

    beforeAll(async () => {
      ensureBuilt();
      knobs = readKnobs();
      model = await startScriptedModel();
      home = mkdtempSync(join(tmpdir(), "mogplex-user-server-"));
      chownSync(home, USER, USER);
    });

    afterAll(async () => {
      server?.kill("SIGTERM");
      await model.close();
      const now = readKnobs();
      for (const k of HOST_KNOBS)
        if (now[k] !== knobs[k]) execFileSync("sh", ["-c", `printf '%s' "$1" > ${k}`, "sh", knobs[k] ?? ""]);
      rmSync(home, { recursive: true, force: true });
    });

    it("changes nothing on the host and runs every sandboxed process as that user", async () => {
      const env = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        MOGPLEX_LOG_LEVEL: "warn",
        MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
        MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
        MOGPLEX_WORKER_CONCURRENCY: "1",
        MOGPLEX_WORKER_POLL_MS: "200",
        MOGPLEX_SANDBOX_DISK_MB: "256",
      };
      const dataDir = join(home, "data");
      const admin = async (args: string[], input = "") => {
        const r = await asUser(["admin", ...args, "--data-dir", dataDir], env, input);
        if (r.code !== 0) throw new Error(`admin ${args[0]} failed: ${r.err}`);
        return r.out.trim();
      };
      await admin(["create-user", "--email", "user@example.test", "--team", "acme"], `${PASSWORD}\n`);
      const token = await admin(["create-token", "--email", "user@example.test", "--name", "e2e"]);
      const remote = bareRemote(home);
      execFileSync("chown", ["-R", `${USER}:${USER}`, home]);
      const repoId = await admin(["add-repo", "--team", "acme", "--name", "acme/demo", "--path", remote]);

      const proc = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir], {
        env,
        cwd: home,
        uid: USER,
        gid: USER,
        stdio: ["ignore", "pipe", "pipe"],
      });
      server = proc;
      let serverErr = "";
      proc.stderr?.on("data", (d: Buffer) => {
        serverErr += d.toString();
      });
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const t = setTimeout(() => reject(new Error(`serve did not start: ${serverErr}`)), 30_000);
        proc.stdout?.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /^mogplex listening on (http:\/\/\S+)$/m.exec(out);
          if (m?.[1]) {
            clearTimeout(t);
            resolve(m[1]);
          }
        });
      });

      const m = marker("escape-user");
      let diskBytes = 0;
      model.on("E2E-ESCAPE-USER", (_req, step) => {
        if (step === 0)
          return {
            toolCalls: [
              { name: "run_command", args: { command: `set -- /workspace\n${escapeProbeScript()}` } },
            ],
          };
        if (step === 1)
          return {
            toolCalls: [{ name: "run_command", args: { command: `sleep 8 & sleep 8 & wait # ${m}` } }],
          };
        if (step === 2) return { toolCalls: [{ name: "run_command", args: { command: FILL } }] };
        // The sandbox still exists while the model is asked for its next step: measure what it left on disk.
        if (step === 3) diskBytes = usedBytes(dataDir);
        return { text: "done" };
      });
      const started = await api<{ run: { id: string } }>(
        url,
        token,
        "POST",
        "/runs",
        { repoId, prompt: "E2E-ESCAPE-USER" },
        {
          "idempotency-key": m,
        },
      );
      expect(started.status).toBe(202);
      const runId = started.body.data.run.id;

      let uids = new Map<number, number>();
      let status = "";
      for (let i = 0; i < 600 && !["success", "failed", "cancelled"].includes(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const roots = processesWith(m);
        if (roots.length > 0 && uids.size < 4) uids = hostUidsUnder(roots);
        if (i % 5 === 0)
          status = (await api<{ run: { status: string } }>(url, token, "GET", `/runs/${runId}`)).body.data.run
            .status;
      }
      // The agent left its disk full, so committing failed: the run says which limit it hit.
      expect(status).toBe("failed");
      const run = await api<{ run: { error: string } }>(url, token, "GET", `/runs/${runId}`);
      expect(run.body.data.run.error).toMatch(/No space left on device.*disk cap of 256 MB/s);
      const [probe, , filled] =
        model.requests
          .filter((r) => JSON.stringify(r.messages).includes("E2E-ESCAPE-USER"))
          .at(-1)
          ?.messages.filter((x) => x.role === "tool")
          .map((x) => (typeof x.content === "string" ? x.content : JSON.stringify(x.content))) ?? [];
      expect(filled).toMatch(/No space left on device/);
      expect(diskBytes).toBeGreaterThan(0);
      expect(diskBytes).toBeLessThan(280 * 1024 * 1024);
      expect(escapeFindings(parseProbe((probe ?? "").replace(/\\n/g, "\n")), [dataDir])).toEqual([]);
      expect(readKnobs()).toEqual(knobs);
      expect(uids.size).toBeGreaterThanOrEqual(4);
      expect([...new Set(uids.values())]).toEqual([USER]);
    }, 120_000);
  });
}
