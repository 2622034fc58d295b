// Team tools in runs, end to end: the scripted model calls the real server-everything through the gateway and
// a loopback REST server through a rest connection; nothing the host holds (upstream env, connection headers)
// reaches the sandbox, the stored events, the logs, the data directory or the model.
import { spawnSync } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stdioEverything } from "../gateway/test-support/everything.js";
import { createLogger } from "../logger.js";
import { type Actor, actor, dataOf, errorOf, ROOMY_BUDGETS, startRun } from "../runs/test-support/api.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { startEngine } from "./index.js";
import { addRepo, allEvents, bareRemote, untilTerminal } from "./test-support/engine.js";
import { type ScriptedModel, startScriptedModel } from "./test-support/scripted-model.js";
import type { Worker } from "./worker.js";

const SYS = { actorType: "system", actorId: null } as const;
const UP_SECRET = "up-sentinel-value-7f3a9c41";
const REST_SECRET = "rest-sentinel-value-5d1e2b88";

let h: Harness;
let model: ScriptedModel;
let worker: Worker;
let a: Actor;
let logs = "";
let api: Server;
let apiBase: string;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  model = await startScriptedModel();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  h = await createHarness({
    env: {
      ...ROOMY_BUDGETS,
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_DEFAULT_MODEL: "openai-compatible/scripted-coder",
      MOGPLEX_SANDBOX_PROCESSES: "128",
      // Small disk images: the data directory (sandbox images included) is read whole for the sentinels.
      MOGPLEX_SANDBOX_DISK_MB: "128",
    },
    logger: createLogger("debug", sink),
  });
  worker = await startEngine(h.s, { pollMs: 200 });
  a = await actor(h);
  a.repoId = await addRepo(h, a.user.teamId, bareRemote(h.dataDir));
  await h.s.connections.create(
    a.user.teamId,
    a.user.userId,
    { kind: "mcp_server", name: "everything", ...stdioEverything({ PLANTED_UP: UP_SECRET }) },
    SYS,
  );
  // The loopback API echoes the secret header back: the answer must reach nobody with it in.
  api = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ items: ["alpha", "beta"], token: req.headers["x-secret-token"] ?? null }));
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  apiBase = `http://127.0.0.1:${(api.address() as { port: number }).port}/api`;
  await h.s.connections.create(
    a.user.teamId,
    a.user.userId,
    { kind: "rest", name: "loopapi", url: apiBase, headers: { "X-Secret-Token": REST_SECRET } },
    SYS,
  );
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await model?.close();
  await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
});

const requestsFor = (marker: string) =>
  model.requests.filter((r) => JSON.stringify(r.messages[1]?.content ?? r.messages).includes(marker));

async function requestLog(runId: string) {
  await h.s.gateway.log.flush();
  return h.s.db.db
    .selectFrom("gateway_requests")
    .select(["method", "server", "tool", "status", "key_id"])
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .execute();
}

describe("MCP tools in runs", () => {
  it("a run allowed everything__echo is offered exactly that, calls it host-side and the result reaches the model", async () => {
    model.on("TT-ECHO", [
      { toolCalls: [{ name: "everything__echo", args: { message: "hello-from-the-run" } }] },
      { text: "echoed" },
    ]);
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: "TT-ECHO",
      tools: ["everything__echo"],
    });
    expect(r.status).toBe(202);
    const run = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 60_000);
    expect(run.status).toBe("success");

    const reqs = requestsFor("TT-ECHO");
    expect(reqs[0]?.tools).toContain("everything__echo");
    expect(reqs[0]?.tools).toContain("run_command");
    expect(reqs[0]?.tools).not.toContain("everything__get-env");
    expect(JSON.stringify(reqs[1]?.messages)).toContain("Echo: hello-from-the-run");
    expect(JSON.stringify(reqs[0]?.messages[0])).toContain("run on the Mogplex server");

    const events = await allEvents(h, run.id);
    const started = events.find((e) => e.type === "tool_started" && e.toolName === "everything__echo");
    const finished = events.find((e) => e.type === "tool_finished" && e.toolName === "everything__echo");
    expect(JSON.stringify(started?.payload)).toContain("hello-from-the-run");
    expect(JSON.stringify(finished?.payload)).toContain("Echo: hello-from-the-run");

    const rows = await requestLog(run.id);
    expect(rows).toEqual([
      { method: "tools/call", server: "everything", tool: "echo", status: "ok", key_id: null },
    ]);
  }, 90_000);

  it("a tool the starter could not call is refused at creation with 400 naming it, and no run is made", async () => {
    const before = await h.s.db.db.selectFrom("runs").select("id").execute();
    const cases: Array<[string[], string]> = [
      [["everything__echo", "everything__no-such-tool"], "everything__no-such-tool"],
      [["nowhere__echo"], "nowhere__echo"],
      [["rest:missing"], "rest:missing"],
    ];
    for (const [tools, named] of cases) {
      const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "TT-REFUSED", tools });
      expect(r.status).toBe(400);
      expect(errorOf(r.body).message).toContain(named);
    }
    const bad = await startRun(h, a.token, { repoId: a.repoId, prompt: "TT-REFUSED", tools: ["not a tool"] });
    expect(bad.status).toBe(400);
    // A server that can't list its tools: said so, with the gateway's fixed reason (no upstream text).
    await h.s.connections.create(
      a.user.teamId,
      a.user.userId,
      { kind: "mcp_server", name: "broken", command: process.execPath, args: ["-e", "process.exit(3)"] },
      SYS,
    );
    const down = await startRun(h, a.token, { repoId: a.repoId, prompt: "TT-REFUSED", tools: ["broken__x"] });
    expect(down.status).toBe(400);
    expect(errorOf(down.body).message).toMatch(
      /^tools: broken__x: MCP server broken could not list its tools \(/,
    );

    // The team's policy: runs may ask for everything__echo only.
    await h.s.db.db
      .updateTable("teams")
      .set({ run_tools_policy: JSON.stringify(["everything__echo"]) })
      .where("id", "=", a.user.teamId)
      .execute();
    try {
      for (const tool of ["everything__get-env", "everything__*", "rest:loopapi"]) {
        const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "TT-REFUSED", tools: [tool] });
        expect(r.status).toBe(400);
        expect(errorOf(r.body).message).toContain(tool);
        expect(errorOf(r.body).message).toContain("policy");
      }
    } finally {
      await h.s.db.db
        .updateTable("teams")
        .set({ run_tools_policy: null })
        .where("id", "=", a.user.teamId)
        .execute();
    }
    const after = await h.s.db.db.selectFrom("runs").select("id").execute();
    expect(after.length).toBe(before.length);
  }, 60_000);
});

/** Files under the data directory holding either value (grep skips the sparse disk images' holes). */
function filesHolding(dir: string, ...values: string[]): string {
  const r = spawnSync("grep", ["-rlaF", ...values.flatMap((v) => ["-e", v]), dir], { encoding: "utf8" });
  expect(r.status === 0 || r.status === 1).toBe(true); // 2 would be an error, not "no match"
  return r.stdout;
}

async function databaseText(): Promise<string> {
  if (h.dialect === "sqlite") return "";
  let text = "";
  const tables = await sql<{ t: string }>`
    select table_name as t from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(h.s.db.db);
  for (const { t } of tables.rows)
    text += JSON.stringify(
      (await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(h.s.db.db)).rows,
    );
  return text;
}

// Patterns that match the sentinels without containing them (the probe's own command line must not match).
const PROBE = [
  "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -cE 'up-sentinel-[v]alue|rest-sentinel-[v]alue'",
  "ps -eo args 2>/dev/null | grep -cE 'up-sentinel-[v]alue|rest-sentinel-[v]alue'",
  "grep -rlE 'up-sentinel-[v]alue|rest-sentinel-[v]alue' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev " +
    "--exclude-dir=usr --exclude-dir=lib --exclude-dir=lib64 --exclude-dir=bin --exclude-dir=sbin 2>/dev/null | head -5",
  "ps -eo pid,args | wc -l",
  "echo PROBE-DONE",
].join("; ");

describe("secrets stay on the host", () => {
  it("upstream env and REST headers reach no event, log, data file, model request or the sandbox", async () => {
    model.on("TT-SECRETS", [
      { toolCalls: [{ name: "everything__get-env", args: {} }] },
      {
        toolCalls: [{ name: "http_request", args: { connection: "loopapi", method: "GET", path: "/items" } }],
      },
      { toolCalls: [{ name: "run_command", args: { command: PROBE } }] },
      {
        toolCalls: [
          { name: "http_request", args: { connection: "loopapi", method: "GET", path: "../admin" } },
        ],
      },
      {
        toolCalls: [
          { name: "http_request", args: { connection: "loopapi", method: "POST", path: "/items" } },
        ],
      },
      { text: `done, I saw ${UP_SECRET}` },
    ]);
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: "TT-SECRETS",
      tools: ["everything__get-env", "rest:loopapi"],
    });
    expect(r.status).toBe(202);
    const run = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 90_000);
    expect(run.status).toBe("success");

    // The REST connection reached the loopback server with its stored header; only the one allowed request.
    expect(seen.map((s) => [s.method, s.url])).toEqual([["GET", "/api/items"]]);
    expect(seen[0]?.headers["x-secret-token"]).toBe(REST_SECRET);

    const reqs = requestsFor("TT-SECRETS");
    const toModel = JSON.stringify(reqs.map((q) => q.messages));
    expect(toModel).toContain("PLANTED_UP"); // get-env's answer reached the model, its value did not
    expect(toModel).toContain("alpha"); // the REST answer reached the model, the echoed header did not
    expect(toModel).toMatch(/PROBE-DONE/);
    expect(toModel).toContain("leaves the connection's base URL");
    expect(toModel).toContain("method POST is not allowed on loopapi");
    // The sandbox: no process environment or command line and no file held either value.
    const probe = reqs[3]?.messages.at(-1);
    expect(JSON.stringify(probe)).toMatch(/exit code: 0\\n--- stdout ---\\n0\\n0\\n\d+\\nPROBE-DONE/);

    const events = JSON.stringify(await allEvents(h, run.id));
    expect(events).toContain("everything__get-env");
    expect(events).toContain("http_request");
    await worker.stop().catch(() => undefined);
    await h.s.gateway.log.flush();
    expect(filesHolding(h.dataDir, UP_SECRET, REST_SECRET)).toBe("");
    for (const text of [toModel, events, logs, await databaseText()]) {
      expect(text).not.toContain(UP_SECRET);
      expect(text).not.toContain(REST_SECRET);
    }

    const rows = await requestLog(run.id);
    // The two refused REST calls are logged as denied (they never left the host).
    expect(rows.map((x) => [x.method, x.server, x.tool, x.status].join(" ")).sort()).toEqual([
      "rest/request loopapi http_request denied",
      "rest/request loopapi http_request denied",
      "rest/request loopapi http_request ok",
      "tools/call everything get-env ok",
    ]);
  }, 120_000);
});
