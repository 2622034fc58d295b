// The model endpoint end to end on the real app (both databases): a scripted OpenAI-compatible upstream on
// loopback, the AI SDK's openai-compatible provider as the client (as the terminal agent uses it), streaming and
// not, tool calls both ways, usage rows and the usage route, and every refusal; the server's provider key never
// reaches a response, a log line, a data file or a database row.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { LlmUsage, missingScopeMessage } from "@mogplex/contract";
import { stepCountIs, streamText, tool } from "ai";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type ScriptedModel, startScriptedModel } from "../engine/test-support/scripted-model.js";
import { createLogger } from "../logger.js";
import { BASE, createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { LlmUsageStore } from "./usage.js";

const KEY = "sk-oc-SENTINEL-llm-9b3e71";
const LLM = "/api/v1/mogplex/llm/v1";
const MODEL = "openai-compatible/scripted-coder";
const SYS = { actorType: "system" as const, actorId: null };

let h: Harness;
let model: ScriptedModel;
let owner: TestUser;
let token: string;
let logs = "";
const answers: string[] = [];

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
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_OPENAI_COMPATIBLE_API_KEY: KEY,
      MOGPLEX_DEFAULT_MODEL: MODEL,
      MOGPLEX_PAT_RATE_LIMIT: "20/60s",
    },
    logger: createLogger("debug", sink),
  });
  owner = await h.user();
  token = (await h.pat(owner)).token;
});
afterAll(async () => {
  await h?.close();
  await model?.close();
});

/** A request through the app, its answer kept for the sentinel check. */
async function call(
  method: string,
  path: string,
  o: { token?: string; body?: unknown; cookie?: string } = {},
) {
  const res = await h.request(method, path, o);
  const text = await res.text();
  answers.push(text, JSON.stringify([...res.headers]));
  return { status: res.status, text, json: text.startsWith("{") ? JSON.parse(text) : null, res };
}
const chat = (body: Record<string, unknown>, t = token) =>
  call("POST", `${LLM}/chat/completions`, { token: t, body: { model: MODEL, ...body } });
const usageRows = (teamId: string) =>
  h.s.db.db.selectFrom("llm_usage").selectAll().where("team_id", "=", teamId).orderBy("created_at").execute();

/** The AI SDK's provider pointed at the endpoint, its requests answered by the app in process. */
function sdk(apiKey: string) {
  return createOpenAICompatible({
    name: "mogplex",
    baseURL: `${BASE}${LLM}`,
    apiKey,
    includeUsage: true,
    fetch: async (url, init) => {
      const res = await h.app.request(String(url), init as RequestInit);
      const copy = res.clone();
      void copy.text().then((t) => answers.push(t));
      return res;
    },
  });
}

describe("the model endpoint", () => {
  it("lists the team's usable models in the OpenAI format", async () => {
    const r = await call("GET", `${LLM}/models`, { token });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe("list");
    const ids = (r.json.data as Array<{ id: string; object: string }>).map((m) => m.id);
    expect(ids).toContain(MODEL);
    expect(ids.some((id) => id.startsWith("anthropic/"))).toBe(false);
  });

  it("streams through the AI SDK with a tool round trip, and records the usage", async () => {
    model.on("LLM-STREAM", [
      { toolCalls: [{ name: "lookup", args: { city: "Oslo" } }], usage: { prompt: 11, completion: 7 } },
      { text: "It is sunny in Oslo.", usage: { prompt: 23, completion: 5 } },
    ]);
    const seen: string[] = [];
    const result = streamText({
      model: sdk(token).chatModel(MODEL),
      prompt: "LLM-STREAM weather?",
      tools: {
        lookup: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            seen.push(city);
            return { weather: "sunny" };
          },
        }),
      },
      stopWhen: stepCountIs(3),
    });
    let text = "";
    for await (const part of result.textStream) text += part;
    expect(text).toBe("It is sunny in Oslo.");
    expect(seen).toEqual(["Oslo"]);
    expect(await result.totalUsage).toMatchObject({ inputTokens: 34, outputTokens: 12 });
    const ups = model.requests.filter((q) => JSON.stringify(q.messages).includes("LLM-STREAM"));
    expect(ups).toHaveLength(2);
    for (const q of ups) {
      expect(q).toMatchObject({
        model: "scripted-coder",
        stream: true,
        includeUsage: true,
        tools: ["lookup"],
      });
      expect(q.authorization).toBe(`Bearer ${KEY}`);
    }
    expect(JSON.stringify(ups[1]?.messages)).toContain("sunny");
    const rows = await usageRows(owner.teamId);
    expect(rows.map((x) => [x.model, Number(x.input_tokens), Number(x.output_tokens), x.outcome])).toEqual([
      [MODEL, 11, 7, "ok"],
      [MODEL, 23, 5, "ok"],
    ]);
    expect(rows[0]).toMatchObject({ user_id: owner.userId });
  });

  it("answers without streaming, tool definitions and tool calls passed through", async () => {
    model.on("LLM-JSON", [
      { toolCalls: [{ name: "read_file", args: { path: "a.txt" } }], usage: { prompt: 40, completion: 9 } },
    ]);
    const tools = [{ type: "function", function: { name: "read_file", parameters: { type: "object" } } }];
    const r = await chat({ messages: [{ role: "user", content: "LLM-JSON" }], tools });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.tool_calls[0].function).toEqual({
      name: "read_file",
      arguments: JSON.stringify({ path: "a.txt" }),
    });
    expect(r.json.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 9 });
    const last = (await usageRows(owner.teamId)).at(-1);
    expect([Number(last?.input_tokens), Number(last?.output_tokens)]).toEqual([40, 9]);
  });

  it("the usage route shows the tokens: the whole team to owners, members their own", async () => {
    const member = await h.user({ team: owner.team, role: "member" });
    const memberToken = (await h.pat(member)).token;
    model.on("LLM-MEMBER", [{ text: "hi", usage: { prompt: 3, completion: 2 } }]);
    expect((await chat({ messages: [{ role: "user", content: "LLM-MEMBER" }] }, memberToken)).status).toBe(
      200,
    );
    const path = `/api/teams/${owner.teamId}/llm-usage?days=7`;
    const mine = await call("GET", path, { cookie: await h.signIn(owner) });
    const all = LlmUsage.parse(mine.json.data);
    expect(all.scope).toBe("team");
    const ownerRow = all.rows.find((x) => x.userId === owner.userId && x.model === MODEL);
    expect(ownerRow).toMatchObject({
      requests: 3,
      inputTokens: 74,
      outputTokens: 21,
      userEmail: owner.email,
    });
    expect(all.rows.find((x) => x.userId === member.userId)).toMatchObject({
      inputTokens: 3,
      outputTokens: 2,
    });
    const theirs = LlmUsage.parse((await call("GET", path, { cookie: await h.signIn(member) })).json.data);
    expect(theirs.scope).toBe("self");
    expect(theirs.rows.map((x) => [x.userId, x.inputTokens])).toEqual([[member.userId, 3]]);
  });

  it("refuses: no token 401, read-only 403, a viewer 403, a model outside the allowlist 403 (audited)", async () => {
    const body = { messages: [{ role: "user", content: "x" }] };
    const none = await call("POST", `${LLM}/chat/completions`, { body: { model: MODEL, ...body } });
    expect([none.status, none.json.error.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(none.res.headers.get("www-authenticate")).toBe("Bearer");
    const ro = await chat(body, (await h.pat(owner, { scopes: ["read"] })).token);
    expect([ro.status, ro.json.error.message]).toEqual([403, missingScopeMessage("write")]);
    const viewer = await h.user({ team: owner.team, role: "viewer" });
    expect((await chat(body, (await h.pat(viewer)).token)).status).toBe(403);

    const fenced = await h.user();
    await h.s.models.update(fenced.teamId, { allowedModels: ["openai-compatible/other"] }, SYS);
    const denied = await chat(body, (await h.pat(fenced)).token);
    expect([denied.status, denied.json.error.code]).toEqual([403, "FORBIDDEN"]);
    expect(denied.json.error.message).toBe(`Model ${MODEL} is not in this team's model catalogue`);
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("team_id", "=", fenced.teamId)
      .where("action", "=", "model.denied")
      .execute();
    expect(audit).toHaveLength(1);
    const anthropic = await chat({ ...body, model: "anthropic/claude-sonnet-4-5" });
    expect([anthropic.status, anthropic.json.error.message]).toEqual([
      400,
      "Provider anthropic is not available through the model endpoint yet; use a model of another provider (GET /llm/v1/models lists them)",
    ]);
    expect((await chat({ messages: [] })).status).toBe(400);
  });

  it("a team over its monthly budget gets 402 until an owner or admin raises it (audited)", async () => {
    const team = await h.user();
    const t = (await h.pat(team)).token;
    const admin = await h.signIn(team);
    const member = await h.user({ team: team.team, role: "member" });
    const path = `/api/teams/${team.teamId}/llm-budget`;
    const byMember = await call("PATCH", path, {
      cookie: await h.signIn(member),
      body: { monthlyBudgetUsd: 5 },
    });
    expect(byMember.status).toBe(403);
    // $0.75 spent this month on a priced model: 1M input tokens of gpt-4o-mini at $0.15, 1M output at $0.60.
    await new LlmUsageStore(h.s.db.db, h.s.audit, h.s.clock).record({
      teamId: team.teamId,
      userId: team.userId,
      tokenId: "t",
      model: "openai/gpt-4o-mini",
      usage: { input: 1_000_000, output: 1_000_000 },
      outcome: "ok",
    });
    const set = await call("PATCH", path, { cookie: admin, body: { monthlyBudgetUsd: 0.75 } });
    expect(set.json.data).toEqual({ monthlyBudgetUsd: 0.75, monthToDateUsd: 0.75 });
    model.on("LLM-BUDGET", [{ text: "ok" }]);
    const over = await chat({ messages: [{ role: "user", content: "LLM-BUDGET" }] }, t);
    expect([over.status, over.json.error.code]).toEqual([402, "BUDGET_EXCEEDED"]);
    expect(over.json.error.message).toBe(
      "This team's monthly model budget of $0.75 is used up ($0.75 this month). A team owner or admin can raise it in Settings → Usage.",
    );
    await call("PATCH", path, { cookie: admin, body: { monthlyBudgetUsd: 1 } });
    expect((await chat({ messages: [{ role: "user", content: "LLM-BUDGET" }] }, t)).status).toBe(200);
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select("action")
      .where("team_id", "=", team.teamId)
      .where("action", "=", "team.llm_budget_updated")
      .execute();
    expect(audit).toHaveLength(2);
  });

  it("limits each token on this endpoint: 429 with Retry-After", async () => {
    const t = (await h.pat(owner)).token;
    for (let i = 0; i < 20; i++) expect((await call("GET", `${LLM}/models`, { token: t })).status).toBe(200);
    const over = await call("GET", `${LLM}/models`, { token: t });
    expect([over.status, over.json.error.code]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(over.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("a client that goes away aborts the upstream request (recorded as aborted)", async () => {
    model.on("LLM-SLOW", [{ text: "late", delayMs: 3_000 }]);
    const ac = new AbortController();
    const pending = h.app.request(`${BASE}${LLM}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "LLM-SLOW" }] }),
      signal: ac.signal,
    });
    const deadline = Date.now() + 20_000;
    while (
      !model.requests.some((q) => JSON.stringify(q.messages).includes("LLM-SLOW")) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await Promise.resolve(pending).catch(() => {});
    let last: string | undefined;
    while (Date.now() < deadline) {
      last = (await usageRows(owner.teamId)).at(-1)?.outcome;
      if (last === "aborted") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(last).toBe("aborted");
  });

  it("an upstream failure is a 502 with a clear message; an unreachable upstream too", async () => {
    model.on("LLM-FAIL", [{ status: 500 }]);
    const failed = await chat({ messages: [{ role: "user", content: "LLM-FAIL" }] });
    expect([failed.status, failed.json.error.code]).toEqual([502, "BAD_GATEWAY"]);
    expect(failed.json.error.message).toBe(
      `The model provider answered HTTP 500 for ${MODEL}: scripted failure 500. Try again shortly.`,
    );
    await model.close();
    const down = await chat({ messages: [{ role: "user", content: "x" }] });
    expect([down.status, down.json.error.code]).toEqual([502, "BAD_GATEWAY"]);
    expect(down.json.error.message).toMatch(/could not be reached/);
  });

  it("the provider key reaches no response, log line, data file or database row", async () => {
    expect(answers.length).toBeGreaterThan(10);
    expect(logs).toContain('"msg":"llm request"');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(readFileSync(p, "latin1"));
      }
    };
    walk(h.dataDir);
    let db = "";
    if (h.dialect === "postgres") {
      const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(h.s.db.db);
      for (const { t } of tables.rows)
        db += JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(h.s.db.db)).rows);
    }
    for (const text of [...answers, logs, ...files, db]) expect(text.includes(KEY)).toBe(false);
  });
});
