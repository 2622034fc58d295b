// The model endpoint end to end on the real app (both databases): a scripted OpenAI-compatible upstream on
// loopback, the AI SDK's openai-compatible provider as the client (as the terminal agent uses it), streaming and
// not, tool calls both ways, usage rows and the usage route, a client that goes away; the server's provider key
// never reaches a response, a log line, a data file or a database row. Refusals: llm-refusals.test.ts.
import { LlmUsage } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptedModel } from "../engine/test-support/scripted-model.js";
import type { Harness, TestUser } from "../test-support/harness.js";
import { KEY, LLM, type LlmStack, MODEL, startLlmStack } from "./test-support/stack.js";
import { weatherRoundTrip } from "./test-support/weather.js";

let st: LlmStack;
let h: Harness;
let model: ScriptedModel;
let owner: TestUser;
let token: string;
const call: LlmStack["call"] = (...a) => st.call(...a);
const chat = (body: Record<string, unknown>, t = token) => st.chat(t, body);
const usageRows = (teamId: string) => st.usageRows(teamId);

beforeAll(async () => {
  st = await startLlmStack();
  ({ h, model } = st);
  owner = await h.user();
  token = (await h.pat(owner)).token;
});
afterAll(async () => {
  await st?.close();
});

const sdk = (apiKey: string) => st.sdk(apiKey);

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
    const r = await weatherRoundTrip(sdk(token), { model: MODEL, prompt: "LLM-STREAM weather?" });
    expect(r.text).toBe("It is sunny in Oslo.");
    expect(r.seen).toEqual(["Oslo"]);
    expect(r.usage).toMatchObject({ inputTokens: 34, outputTokens: 12 });
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

  it("a client that goes away aborts the upstream request (recorded as aborted)", async () => {
    model.on("LLM-SLOW", [{ text: "late", delayMs: 3_000 }]);
    const seen = () => model.requests.some((q) => JSON.stringify(q.messages).includes("LLM-SLOW"));
    expect(await st.goAway(token, owner.teamId, MODEL, "LLM-SLOW", seen)).toBe("aborted");
  });

  it("the provider key reaches no response, log line, data file or database row", async () => {
    await st.assertKeyNowhere();
  });
});
