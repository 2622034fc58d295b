// End-to-end: real `mogplex serve` and `mogplex worker` processes on PostgreSQL lose their database connections
// (pg_terminate_backend of all their sessions; the worker's database cut off entirely mid-run) and live on:
// requests answer 200 or a clean 503, service comes back by itself, and a run whose lease could not be renewed
// ends as lost — its sandbox killed, never executed twice — while the worker goes on to take the next run.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminQuery,
  databaseUrl,
  Relay,
  terminateSessions,
  uniqName,
  until,
} from "../../../server/src/db/test-support/outage.js";
import { bareRemote } from "../../../server/src/engine/test-support/engine.js";
import {
  type ScriptedModel,
  startScriptedModel,
} from "../../../server/src/engine/test-support/scripted-model.js";
import {
  noProcessesWith,
  processesWith,
} from "../../../server/src/sandboxes/provider/test-support/sandbox.js";
import { api, BIN, cleanEnv, cleanup, ensureBuilt, runCli, type Served, serve, tempDir } from "./support.js";

const LEASE_MS = 3_000;
const database = uniqName("mogplex_outage_");
const serveApp = uniqName("mogplex-serve-");
const workerApp = uniqName("mogplex-worker-");
let created = false;
let relay: Relay;
let model: ScriptedModel;
let server: Served;
let common: Record<string, string>;
let token: string;
let repoId: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  ensureBuilt();
  await adminQuery(`create database ${database}`);
  created = true;
  relay = await Relay.start();
  model = await startScriptedModel();
  const home = tempDir();
  common = cleanEnv(home, {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    MOGPLEX_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_SIGNING_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_AUTH_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_SIGNING_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_URL_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
    MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
    MOGPLEX_WORKER_LEASE_MS: String(LEASE_MS),
    MOGPLEX_WORKER_POLL_MS: "200",
    // The test polls the API often.
    MOGPLEX_PAT_RATE_LIMIT: "100000/60s",
    MOGPLEX_IP_RATE_LIMIT: "100000/60s",
    MOGPLEX_DATA_DIR: tempDir(),
  });
  const adminEnv = {
    ...common,
    DATABASE_URL: databaseUrl({ database, applicationName: "mogplex-e2e-admin" }),
  };
  expect((await runCli(["admin", "migrate"], { env: adminEnv })).code).toBe(0);
  // `serve` executes no runs here (MOGPLEX_WORKER_CONCURRENCY=0) but still fails runs whose worker was lost.
  server = await serve([], { ...common, DATABASE_URL: databaseUrl({ database, applicationName: serveApp }) });
  const admin = (args: string[], input?: string) => runCli(["admin", ...args], { env: adminEnv, input });
  expect(
    (await admin(["create-user", "--email", "ops@example.test", "--team", "ops"], "a long enough password"))
      .code,
  ).toBe(0);
  token = (
    await admin(["create-token", "--email", "ops@example.test", "--name", "ci", "--scopes", "read,write"])
  ).stdout.trim();
  const repo = await admin([
    "add-repo",
    "--team",
    "ops",
    "--name",
    "ops/app",
    "--path",
    bareRemote(tempDir()),
  ]);
  expect(repo.code, repo.stderr).toBe(0);
  repoId = repo.stdout.trim();
}, 120_000);

afterAll(async () => {
  try {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
  } finally {
    cleanup();
    await relay?.close();
    await model?.close();
    if (created) await adminQuery(`drop database if exists ${database} with (force)`);
  }
}, 60_000);

/** Starts `mogplex worker` reaching the database only through the relay; resolves with its id once started. */
function startWorker(): Promise<{ child: ChildProcess; id: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, "worker", "--concurrency", "1"], {
    env: { ...common, DATABASE_URL: databaseUrl({ database, applicationName: workerApp, relay }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  workers.push(child);
  let out = "";
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start\n${out}\n${err}`)), 20_000);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /^mogplex worker (\S+) started/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, id: m[1], stderr: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before starting\n${out}\n${err}`));
    });
  });
}

type RunView = { id: string; status: string; error: string | null; sandboxId: string | null };
type EventView = { type: string; payload: Record<string, unknown> | null };

async function startRun(prompt: string): Promise<string> {
  const r = await api<{ run: RunView }>(
    server.url,
    token,
    "POST",
    "/runs",
    { repoId, prompt },
    {
      "idempotency-key": uniqName("k"),
    },
  );
  expect(r.status).toBe(202);
  return r.body.data.run.id;
}
async function getRun(id: string): Promise<{ data: { run: RunView } }> {
  const r = await api<{ run: RunView }>(server.url, token, "GET", `/runs/${id}`);
  if (r.status !== 200) throw new Error(`GET /runs/${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const eventsOf = async (id: string) =>
  (await api<{ events: EventView[] }>(server.url, token, "GET", `/runs/${id}/events?limit=200`)).body.data
    .events;

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Every answer is a success or a 503 in the envelope with Retry-After — never a 500, never a dead server. */
async function probe(path: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/mogplex${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) {
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 503,
      body: { ok: false, error: { code: "SERVICE_UNAVAILABLE" } },
    });
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  } else await res.body?.cancel();
  return res.status;
}

describe("mogplex serve and worker losing PostgreSQL", { timeout: 90_000 }, () => {
  it("serve: all its sessions terminated, again and again — it stays up, answers, and recovers", async () => {
    for (let round = 0; round < 4; round++) {
      const burst = Promise.all(Array.from({ length: 6 }, () => probe("/repos")));
      expect(await terminateSessions(serveApp)).toBeGreaterThan(0);
      await burst;
      for (let i = 0; i < 5; i++) await probe("/repos");
    }
    await until("serve answers 200 again", async () => (await probe("/repos")) === 200, 10_000);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(alive(server.child)).toBe(true);
    expect(server.stderr()).not.toMatch(/Unhandled 'error' event|uncaught/i);
  });

  it("worker: cut off mid-run, the run ends as lost (sandbox killed, run once); the worker lives and takes the next run", async () => {
    const worker = await startWorker();
    // Idle sessions terminated under a waiting worker: it shrugs.
    await until("worker connected", async () => (await terminateSessions(workerApp)) > 0, 10_000);
    const marker = `outage-marker-${randomBytes(4).toString("hex")}`;
    model.on("E2E-OUTAGE", [
      { toolCalls: [{ name: "run_command", args: { command: `sleep 300; echo ${marker}` } }] },
    ]);
    const runId = await startRun("E2E-OUTAGE");
    await until("the command runs in the sandbox", async () => processesWith(marker).length > 0, 30_000);
    expect((await getRun(runId)).data.run.status).toBe("running");

    const logBefore = worker.stderr().length;
    await relay.cut();
    try {
      // The worker can't renew its lease: it stops the run (kills the sandbox) before the lease runs out.
      await noProcessesWith(marker, LEASE_MS + 5_000);
      // serve (which still reaches the database) fails the run once the lease has expired.
      await until(
        "run failed as lost",
        async () => (await getRun(runId)).data.run.status === "failed",
        LEASE_MS + 10_000,
      );
      expect(alive(worker.child)).toBe(true);
    } finally {
      await relay.restore();
    }
    const lost = (await getRun(runId)).data.run;
    expect(lost.error).toMatch(/^worker_lost:/);
    const events = await eventsOf(runId);
    expect(events.filter((e) => e.type === "started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "tool_started")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "failed", payload: { reason: "worker_lost" } });
    const sandbox = await api<{ sandbox: { status: string; error: string | null } }>(
      server.url,
      token,
      "GET",
      `/sandboxes/${lost.sandboxId}`,
    );
    expect(sandbox.body.data.sandbox).toMatchObject({ status: "error", error: "worker_lost" });

    // Back on the database, the same worker process claims and finishes the next run.
    model.on("E2E-AFTER", [{ text: "nothing to change" }]);
    const next = await startRun("E2E-AFTER");
    await until("next run succeeds", async () => (await getRun(next)).data.run.status === "success", 30_000);
    const started = (await eventsOf(next)).find((e) => e.type === "started");
    expect(started?.payload).toMatchObject({ worker: worker.id });
    // The lost run was never picked up again.
    expect((await eventsOf(runId)).filter((e) => e.type === "started")).toHaveLength(1);
    expect(alive(worker.child)).toBe(true);
    expect(worker.stderr()).not.toMatch(
      /Unhandled 'error' event|uncaught|upkeep failed|claiming runs failed/i,
    );
    // Quietly: the outage is logged once, not on every tick of the claim / heartbeat loop.
    const log = worker.stderr().slice(logBefore);
    expect(log.match(/database unavailable/g) ?? [], log).toHaveLength(1);
    expect(log.match(/lease could not be renewed/g) ?? [], log).toHaveLength(1);
    worker.child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => worker.child.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
  });
});
