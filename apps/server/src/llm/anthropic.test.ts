// Anthropic models through the model endpoint on the real app (both databases): a scripted Messages API stand-in
// on loopback (MOGPLEX_ANTHROPIC_BASE_URL), the AI SDK's openai-compatible provider as the client (as the terminal
// agent uses it). Streaming with a tool round trip, the raw chunk format, JSON answers with the request's settings
// translated, usage rows with tokens and cost, upstream 401/500 mapped without the key, a client that goes away;
// the server's key (the stack's sentinel, here also the Anthropic key) in no response, log, file or row.
import { generateText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { resolveModel } from "../engine/models.js";
import type { Harness, TestUser } from "../test-support/harness.js";
import { type AnthropicModel, startAnthropicModel } from "./test-support/anthropic-model.js";
import { KEY, LLM, type LlmStack, startLlmStack } from "./test-support/stack.js";
import { weatherRoundTrip } from "./test-support/weather.js";

const CLAUDE = "anthropic/claude-sonnet-4-5";
let st: LlmStack;
let h: Harness;
let claude: AnthropicModel;
let owner: TestUser;
let token: string;
const chat = (body: Record<string, unknown>) => st.chat(token, { model: CLAUDE, ...body });
const lastRows = async (n: number) =>
  (await st.usageRows(owner.teamId))
    .slice(-n)
    .map((r) => [r.model, Number(r.input_tokens), Number(r.output_tokens), r.outcome]);
const requestsWith = (marker: string) =>
  claude.requests.filter((q) => JSON.stringify(q.body.messages).includes(marker));

beforeAll(async () => {
  claude = await startAnthropicModel();
  st = await startLlmStack({ ANTHROPIC_API_KEY: KEY, MOGPLEX_ANTHROPIC_BASE_URL: claude.baseURL });
  h = st.h;
  owner = await h.user();
  token = (await h.pat(owner)).token;
});
afterAll(async () => {
  await st?.close();
  await claude?.close();
});

describe("Anthropic models through the model endpoint", () => {
  it("lists them once the server has the key", async () => {
    const r = await st.call("GET", `${LLM}/models`, { token });
    expect((r.json.data as Array<{ id: string }>).map((m) => m.id)).toContain(CLAUDE);
  });

  it("streams through the AI SDK with a tool round trip, and records tokens and cost", async () => {
    claude.on("AN-STREAM", [
      { toolCalls: [{ name: "lookup", args: { city: "Oslo" } }], usage: { input: 1000, output: 100 } },
      { text: "It is sunny in Oslo.", usage: { input: 2000, output: 200 } },
    ]);
    const r = await weatherRoundTrip(st.sdk(token), {
      model: CLAUDE,
      system: "You are terse.",
      prompt: "AN-STREAM weather?",
    });
    expect(r.text).toBe("It is sunny in Oslo.");
    expect(r.seen).toEqual(["Oslo"]);
    expect(r.usage).toMatchObject({ inputTokens: 3000, outputTokens: 300 });
    const ups = requestsWith("AN-STREAM");
    expect(ups).toHaveLength(2);
    for (const q of ups) {
      expect(q.apiKey).toBe(KEY);
      expect(q.body).toMatchObject({ model: "claude-sonnet-4-5", stream: true });
      expect(q.body.system).toEqual([{ type: "text", text: "You are terse." }]);
      expect(q.body.tools[0]).toMatchObject({ name: "lookup", description: "Weather for a city" });
      expect(q.body.tools[0].input_schema.properties.city).toEqual({ type: "string" });
    }
    // The second request carries the call and its result the Anthropic way.
    const [, asked, answered] = ups[1]?.body.messages ?? [];
    expect(asked.content[0]).toMatchObject({ type: "tool_use", name: "lookup", input: { city: "Oslo" } });
    expect(answered.content[0]).toMatchObject({ type: "tool_result", tool_use_id: asked.content[0].id });
    expect(JSON.stringify(answered.content[0].content)).toContain("sunny");
    // claude-sonnet-4-5 at $3 / $15 per million tokens: 1000 in + 100 out = 4500 micro-USD.
    expect(await lastRows(2)).toEqual([
      [CLAUDE, 1000, 100, "ok"],
      [CLAUDE, 2000, 200, "ok"],
    ]);
    const cost = await h.s.db.db
      .selectFrom("llm_usage")
      .select(["cost_micro_usd", "priced"])
      .where("team_id", "=", owner.teamId)
      .orderBy("created_at")
      .executeTakeFirst();
    expect([Number(cost?.cost_micro_usd), Number(cost?.priced)]).toEqual([4500, 1]);
  });

  it("answers streaming requests in OpenAI's chunk format", async () => {
    claude.on("AN-RAW", [
      {
        text: "Reading.",
        toolCalls: [{ name: "read_file", args: { path: "a.txt" } }],
        usage: { input: 7, output: 3 },
      },
    ]);
    const tools = [{ type: "function", function: { name: "read_file", parameters: { type: "object" } } }];
    const r = await chat({ stream: true, messages: [{ role: "user", content: "AN-RAW" }], tools });
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = r.text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)));
    for (const c of chunks) expect(c).toMatchObject({ object: "chat.completion.chunk", model: CLAUDE });
    const deltas = chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0]);
    expect(deltas[0].delta).toEqual({ role: "assistant", content: "" });
    expect(deltas.map((d) => d.delta.content ?? "").join("")).toBe("Reading.");
    const calls = deltas.flatMap((d) => d.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "read_file", arguments: "" },
    });
    expect(calls[0].id).toMatch(/^toolu_/);
    expect(calls.map((t) => t.function.arguments).join("")).toBe(JSON.stringify({ path: "a.txt" }));
    expect(deltas.at(-1)).toMatchObject({ delta: {}, finish_reason: "tool_calls" });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(await lastRows(1)).toEqual([[CLAUDE, 7, 3, "ok"]]);
  });

  it("answers without streaming, the request's settings translated", async () => {
    claude.on("AN-JSON", [
      { toolCalls: [{ name: "read_file", args: { path: "b.txt" } }], usage: { input: 40, output: 9 } },
      { text: "Done.", usage: { input: 60, output: 2 } },
    ]);
    const tools = [{ type: "function", function: { name: "read_file", parameters: { type: "object" } } }];
    const messages = [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "AN-JSON" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://images.example.com/a.png" } },
        ],
      },
    ];
    const settings = {
      tools,
      tool_choice: { type: "function", function: { name: "read_file" } },
      max_tokens: 321,
      temperature: 0.2,
      stop: "END",
    };
    const r = await chat({ messages, ...settings });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: "chat.completion", model: CLAUDE });
    expect(r.json.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { content: null } });
    const call = r.json.choices[0].message.tool_calls[0];
    expect(call.function).toEqual({ name: "read_file", arguments: JSON.stringify({ path: "b.txt" }) });
    expect(r.json.usage).toEqual({ prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 });
    expect(requestsWith("AN-JSON")[0]?.body).toMatchObject({
      max_tokens: 321,
      temperature: 0.2,
      stop_sequences: ["END"],
      tool_choice: { type: "tool", name: "read_file" },
      system: [{ type: "text", text: "Be brief." }],
    });
    expect(requestsWith("AN-JSON")[0]?.body.messages[0].content.slice(1)).toMatchObject([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://images.example.com/a.png" } },
    ]);
    const after = [
      ...messages,
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: call.id, content: "file b" },
    ];
    const final = await chat({ messages: after, tools });
    expect(final.json.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "Done." } });
    expect(requestsWith("AN-JSON")[1]?.body.messages[2].content[0]).toMatchObject({
      type: "tool_result",
      tool_use_id: call.id,
    });
    const orphan = await chat({ messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] });
    expect([orphan.status, orphan.json.error.message]).toEqual([
      400,
      "tool message: no earlier assistant tool call has id nope",
    ]);
    const two = await chat({ n: 2, messages: [{ role: "user", content: "x" }] });
    expect([two.status, two.json.error.message]).toEqual([
      400,
      "n: Anthropic models give one choice per request (n: 1)",
    ]);
    const audio = await chat({ messages: [{ role: "user", content: [{ type: "input_audio" }] }] });
    expect([audio.status, audio.json.error.message]).toEqual([
      400,
      "messages.0.content: content must be a string or an array of text and image_url parts",
    ]);
    // Refused before the provider: no usage rows for them.
    expect(await lastRows(2)).toEqual([
      [CLAUDE, 40, 9, "ok"],
      [CLAUDE, 60, 2, "ok"],
    ]);
  });

  it("maps upstream failures (401 → 502, 500 → 502, 429 → 429; a stream that breaks off), the key scrubbed", async () => {
    claude.on("AN-401", [{ status: 401, errorMessage: `invalid x-api-key ${KEY}` }]);
    const refused = await chat({ messages: [{ role: "user", content: "AN-401" }] });
    expect([refused.status, refused.json.error.code]).toEqual([502, "BAD_GATEWAY"]);
    expect(refused.json.error.message).toMatch(
      /^The model provider answered HTTP 401 for anthropic\/claude-sonnet-4-5: invalid x-api-key \S+\. The server's credentials for anthropic were refused/,
    );
    expect(refused.text).not.toContain(KEY);
    claude.on("AN-500", [{ status: 500 }]);
    const broken = await chat({ stream: true, messages: [{ role: "user", content: "AN-500" }] });
    expect([broken.status, broken.json.error.message]).toEqual([
      502,
      `The model provider answered HTTP 500 for ${CLAUDE}: scripted failure 500. Try again shortly.`,
    ]);
    claude.on("AN-429", [{ status: 429 }]);
    const limited = await chat({ stream: true, messages: [{ role: "user", content: "AN-429" }] });
    expect([limited.status, limited.json.error.code]).toEqual([429, "RATE_LIMITED"]);
    claude.on("AN-BREAK", [{ text: "Half of it", breakOff: true }]);
    const broke = await chat({ stream: true, messages: [{ role: "user", content: "AN-BREAK" }] });
    expect(broke.status).toBe(200);
    expect(broke.text).toContain('"content":"Half "');
    expect(broke.text.trim().split("\n\n").at(-1)).toBe(
      `data: ${JSON.stringify({ error: { message: "The model provider's stream broke off; try again" } })}`,
    );
    expect(await lastRows(4)).toEqual([
      [CLAUDE, 0, 0, "error"],
      [CLAUDE, 0, 0, "error"],
      [CLAUDE, 0, 0, "error"],
      [CLAUDE, 0, 0, "error"],
    ]);
  });

  it("a client that goes away aborts the upstream request (recorded as aborted)", async () => {
    claude.on("AN-SLOW", [{ text: "late", delayMs: 3_000 }]);
    const seen = () => requestsWith("AN-SLOW").length > 0;
    expect(await st.goAway(token, owner.teamId, CLAUDE, "AN-SLOW", seen)).toBe("aborted");
  });

  it("the run engine's resolver reaches the same base URL", async () => {
    claude.on("AN-ENGINE", [{ text: "engine ok" }]);
    const config = h.s.config.engine;
    const m = await resolveModel({ runModel: CLAUDE, teamDefault: null, config, teamKey: async () => null });
    expect((await generateText({ model: m.model, prompt: "AN-ENGINE", maxRetries: 0 })).text).toBe(
      "engine ok",
    );
    expect(requestsWith("AN-ENGINE")[0]?.apiKey).toBe(KEY);
  });

  it("MOGPLEX_ANTHROPIC_BASE_URL: https, or http on loopback only", () => {
    const base = (v: string) => loadConfig({ MOGPLEX_ANTHROPIC_BASE_URL: v }).engine.anthropicBaseUrl;
    expect(base("https://llm-proxy.example.com/v1")).toBe("https://llm-proxy.example.com/v1");
    expect(base("http://127.0.0.1:9/v1")).toBe("http://127.0.0.1:9/v1");
    expect(() => base("http://llm-proxy.example.com/v1")).toThrow(
      "invalid MOGPLEX_ANTHROPIC_BASE_URL: expected an https:// URL (http:// only for loopback hosts)",
    );
    expect(loadConfig({}).engine.anthropicBaseUrl).toBeUndefined();
  });

  it("the provider key reaches no response, log line, data file or database row", async () => {
    await st.assertKeyNowhere();
  });
});
