// The model endpoint's refusals on the real app (both databases): no token, a read-only token, a viewer, a model
// outside the team's allowlist (audited), a provider without credentials, a team over its monthly budget (402, budget
// changes audited), the per-token limit (429) and upstream failures (502); the provider key in no answer or log.
import { missingScopeMessage } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptedModel } from "../engine/test-support/scripted-model.js";
import type { Harness, TestUser } from "../test-support/harness.js";
import { KEY, LLM, type LlmStack, MODEL, startLlmStack } from "./test-support/stack.js";
import { LlmUsageStore } from "./usage.js";

const SYS = { actorType: "system" as const, actorId: null };
let st: LlmStack;
let h: Harness;
let model: ScriptedModel;
let owner: TestUser;
let token: string;
const call: LlmStack["call"] = (...a) => st.call(...a);
const chat = (body: Record<string, unknown>, t = token) => st.chat(t, body);

beforeAll(async () => {
  st = await startLlmStack({ MOGPLEX_PAT_RATE_LIMIT: "20/60s" });
  ({ h, model } = st);
  owner = await h.user();
  token = (await h.pat(owner)).token;
});
afterAll(async () => {
  await st?.close();
});

describe("the model endpoint refuses", () => {
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
    expect(anthropic.status).toBe(400);
    expect(anthropic.json.error.message).toMatch(
      /^No credentials for provider "anthropic" .+ set ANTHROPIC_API_KEY/,
    );
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

  it("an upstream failure is a 502 with a clear message; an unreachable upstream too", async () => {
    model.on("LLM-FAIL", [{ status: 500 }]);
    const failed = await chat({ messages: [{ role: "user", content: "LLM-FAIL" }] });
    expect([failed.status, failed.json.error.code]).toEqual([502, "BAD_GATEWAY"]);
    expect(failed.json.error.message).toBe(
      `The model provider answered HTTP 500 for ${MODEL}: scripted failure 500. Try again shortly.`,
    );
    // An upstream that echoes the key in its error: the caller gets its message without the key.
    model.on("LLM-ECHO", [{ status: 400, errorMessage: `bad request for key ${KEY}` }]);
    const echoed = await chat({ messages: [{ role: "user", content: "LLM-ECHO" }] });
    expect([echoed.status, echoed.json.error.code]).toEqual([400, "BAD_REQUEST"]);
    expect(echoed.json.error.message).toMatch(
      /^The model provider answered HTTP 400 for .+: bad request for key \S+$/,
    );
    expect(echoed.text).not.toContain(KEY);
    await model.close();
    const down = await chat({ messages: [{ role: "user", content: "x" }] });
    expect([down.status, down.json.error.code]).toEqual([502, "BAD_GATEWAY"]);
    expect(down.json.error.message).toMatch(/could not be reached/);
  });

  it("the provider key reaches no response, log line, data file or database row", async () => {
    await st.assertKeyNowhere();
  });
});
