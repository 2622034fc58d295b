// What an agent can reach from inside a run, checked end to end: no server env, no keys, no host files,
// no host network; the sandbox's own secrets are redacted before storage; no sandbox means no run.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, actor, dataOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { BwrapProvider } from "../sandboxes/provider/bwrap.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { startEngine } from "./index.js";
import { addRepo, allEvents, bareRemote, untilTerminal } from "./test-support/engine.js";
import { type ScriptedModel, startScriptedModel } from "./test-support/scripted-model.js";
import type { Worker } from "./worker.js";

const secret = (p: string) => `${p}-${randomBytes(12).toString("hex")}`;
const ANTHROPIC_KEY = secret("sk-ant-sentinel");
const COMPAT_KEY = secret("compat-key-sentinel");
const PROCESS_SENTINEL = secret("server-env-sentinel");
const DEPLOY_TOKEN = secret("deploy-token-value");

let h: Harness;
let model: ScriptedModel;
let worker: Worker;
let a: Actor;
let loopback: Server;
let port = 0;

beforeAll(async () => {
  process.env.MOGPLEX_ISOLATION_SENTINEL = PROCESS_SENTINEL;
  loopback = createServer((s) => s.end("host service\n"));
  await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
  port = (loopback.address() as { port: number }).port;
  model = await startScriptedModel();
  h = await createHarness({
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_OPENAI_COMPATIBLE_API_KEY: COMPAT_KEY,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    },
  });
  worker = await startEngine(h.s, { pollMs: 200 });
  a = await actor(h);
  // The repo's environment source: a team connection whose (encrypted) env values the sandbox gets.
  await h.s.connections.create(
    a.user.teamId,
    a.user.userId,
    { kind: "mcp_server", name: "deploy-env", command: "true", env: { DEPLOY_TOKEN } },
    { actorType: "system", actorId: null },
  );
  a.repoId = await addRepo(h, a.user.teamId, bareRemote(h.dataDir), {
    environmentSource: "connection:deploy-env",
  });
});

afterAll(async () => {
  delete process.env.MOGPLEX_ISOLATION_SENTINEL;
  loopback.close();
  await worker.stop();
  await h.close();
  await model.close();
});

describe("inside a run's sandbox", () => {
  it("sees only the run's environment, none of the server's files, keys or loopback services", async () => {
    const probe = [
      "env | sort",
      "cat /etc/shadow",
      `ls ${h.dataDir}`,
      "ls /root /home",
      `(exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3) && echo REACHED-HOST`,
      'echo "token=$DEPLOY_TOKEN"',
      "cat /proc/1/environ | tr '\\0' '\\n'",
    ].join("; ");
    model.on("E2E-ISOLATION", [
      { toolCalls: [{ name: "run_command", args: { command: probe } }] },
      { text: "probed" },
    ]);
    const run = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-ISOLATION" });
    const done = await untilTerminal(h, a.user.teamId, dataOf(run.body).run.id);
    expect(done.status).toBe("success");

    // What the agent saw (the tool result sent back to the model), before any redaction.
    const conversation = model.requests
      .filter((r) => JSON.stringify(r.messages).includes("E2E-ISOLATION"))
      .at(-1);
    const seen = JSON.stringify(conversation?.messages.filter((m) => m.role === "tool"));
    expect(seen).toContain(`token=${DEPLOY_TOKEN}`); // the one secret the run setup names
    const hostValues = [
      ANTHROPIC_KEY,
      COMPAT_KEY,
      PROCESS_SENTINEL,
      "MOGPLEX_ISOLATION_SENTINEL",
      process.cwd(),
    ];
    for (const leaked of [...hostValues, "REACHED-HOST", "host service"]) {
      expect(seen).not.toContain(leaked);
    }
    expect(seen).toContain("/etc/shadow: No such file or directory");
    expect(seen).toContain(`cannot access '${h.dataDir}': No such file or directory`);
    // The provider key was used by the server to call the model, never handed to the sandbox.
    expect(model.requests.at(-1)?.authorization).toBe(`Bearer ${COMPAT_KEY}`);

    // What was stored: the sandbox's secret is redacted before storage, everywhere.
    const stored = JSON.stringify(await allEvents(h, done.id));
    expect(stored).toContain("token=[redacted]");
    for (const value of [DEPLOY_TOKEN, ANTHROPIC_KEY, COMPAT_KEY, PROCESS_SENTINEL])
      expect(stored).not.toContain(value);
  });
});

describe("without bubblewrap", () => {
  it("refuses the run with an actionable error instead of running it unsandboxed", async () => {
    const h2 = await createHarness({
      env: {
        MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
        MOGPLEX_DEFAULT_MODEL: "openai-compatible/x",
      },
    });
    const missing = new BwrapProvider({
      bwrap: "bwrap-not-installed",
      hostPath: "/usr/local/bin:/usr/bin:/bin",
    });
    const w = await startEngine(h2.s, { pollMs: 200, provider: missing });
    try {
      const b = await actor(h2);
      const repoId = await addRepo(h2, b.user.teamId, bareRemote(h2.dataDir));
      const before = model.requests.length;
      const run = await startRun(h2, b.token, { repoId, prompt: "E2E-NO-BWRAP" });
      const done = await untilTerminal(h2, b.user.teamId, dataOf(run.body).run.id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(
        /^Sandbox unavailable: bubblewrap \(bwrap-not-installed\) was not found: install bubblewrap/,
      );
      expect(done.sandboxId).toBeNull();
      expect(model.requests.length).toBe(before);
      expect((await allEvents(h2, done.id)).at(-1)).toMatchObject({
        type: "failed",
        payload: { reason: "setup_failed" },
      });
    } finally {
      await w.stop();
      await h2.close();
    }
  });
});
