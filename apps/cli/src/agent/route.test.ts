// Which route the winning credential gives the agent (no network: only the resolution, names and refusals).
import { describe, expect, it } from "vitest";
import { testCtx } from "../test-support/ctx.js";
import { createRouter, parseModel } from "./route.js";

describe("agent model route", () => {
  it("a stored Anthropic key goes straight to Anthropic with its default, named like auth status", async () => {
    const ctx = testCtx();
    ctx.store.update((d) => {
      d.keys.anthropic = { type: "api_key", key: "sk-ant-stored-0123456789", savedAt: "" };
    });
    const r = createRouter(ctx);
    expect(r.via).toBe("provider");
    expect(r.credential).toBe(`stored Anthropic API key in ${ctx.store.path}`);
    expect(await r.defaultModel()).toBe("anthropic/claude-sonnet-4-5");
    await expect(r.check("openai/gpt-4.1")).rejects.toThrow(/is not one of Anthropic's models/);
  });

  it("an environment key wins over the stored one; OpenAI models may be named without the provider", async () => {
    const ctx = testCtx({ OPENAI_API_KEY: "sk-env-openai-0123456789" });
    ctx.store.update((d) => {
      d.keys.anthropic = { type: "api_key", key: "sk-ant-stored-0123456789", savedAt: "" };
    });
    const r = createRouter(ctx);
    expect(r.credential).toBe("environment variable OPENAI_API_KEY (OpenAI)");
    expect(parseModel("gpt-4.1-mini", r.provider)).toBe("openai/gpt-4.1-mini");
  });

  it("providers the agent can't use yet, and no credential at all, are clear errors", () => {
    expect(() => createRouter(testCtx({ GROQ_API_KEY: "gsk_0123456789abcdef" }))).toThrow(
      /can't use Groq keys yet .*environment variable GROQ_API_KEY/,
    );
    expect(() => createRouter(testCtx())).toThrow(/no credentials found/);
    expect(() => parseModel("two words")).toThrow(/provider\/model/);
  });

  it("MOGPLEX_API_KEY routes through the server's model endpoint, named with the server", () => {
    const ctx = testCtx({
      MOGPLEX_API_KEY: `mog_${"a".repeat(32)}`,
      MOGPLEX_URL: "https://mogplex.example.com",
    });
    const r = createRouter(ctx);
    expect(r.via).toBe("account");
    expect(r.account?.url).toBe("https://mogplex.example.com");
    expect(r.credential).toBe(
      "environment variable MOGPLEX_API_KEY (Mogplex) for https://mogplex.example.com",
    );
  });
});
