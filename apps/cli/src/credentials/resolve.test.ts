// Credential resolution order (SPEC §6) and which token the headless commands may use.
import { describe, expect, it } from "vitest";
import { MODEL_PROVIDERS } from "./providers.js";
import { allCredentials, describeSource, resolveApiCredential, resolveCredential } from "./resolve.js";
import type { AuthData } from "./store.js";

const TOKEN = `mog_${"a".repeat(32)}`;
const ENV_TOKEN = `mog_${"b".repeat(32)}`;
const login = (url = "http://127.0.0.1:4100"): AuthData["mogplex"] => ({
  type: "mogplex",
  url,
  token: TOKEN,
  prefix: TOKEN.slice(0, 12),
  expiresAt: "2030-01-01T00:00:00.000Z",
  method: "browser",
  savedAt: "",
});
const data = (o: Partial<AuthData> = {}): AuthData => ({ keys: {}, other: {}, ...o });
const key = (k: string) => ({ type: "api_key" as const, key: k, savedAt: "" });

describe("credential resolution (first hit wins)", () => {
  it("follows SPEC order: MOGPLEX_API_KEY, provider env vars, stored keys, then the account login", () => {
    const everything = data({ mogplex: login(), keys: { openai: key("sk-stored-openai") } });
    const env = { OPENAI_API_KEY: "sk-env", MOGPLEX_API_KEY: ENV_TOKEN, VERCEL_API_TOKEN: "v" };
    const order = allCredentials(env, everything).map((r) =>
      r.source === "env" ? r.variable : r.source === "auth.json" ? `stored:${r.provider.id}` : "account",
    );
    expect(order).toEqual([
      "MOGPLEX_API_KEY",
      "OPENAI_API_KEY",
      "VERCEL_API_TOKEN",
      "stored:openai",
      "account",
    ]);
  });

  it("uses the provider env vars in the documented order", () => {
    expect(MODEL_PROVIDERS.map((p) => p.envVar)).toEqual([
      "ANTHROPIC_API_KEY",
      "OPENAI_API_KEY",
      "GOOGLE_GENERATIVE_AI_API_KEY",
      "GROQ_API_KEY",
      "MISTRAL_API_KEY",
      "DEEPSEEK_API_KEY",
      "XAI_API_KEY",
      "COHERE_API_KEY",
      "VERCEL_API_TOKEN",
    ]);
    const env = { COHERE_API_KEY: "c", GROQ_API_KEY: "g" };
    expect(resolveCredential(env, data())).toMatchObject({ variable: "GROQ_API_KEY" });
  });

  it("an env var beats auth.json; blank env values don't count", () => {
    expect(resolveCredential({ ANTHROPIC_API_KEY: "sk-x" }, data({ mogplex: login() }))).toMatchObject({
      source: "env",
    });
    expect(resolveCredential({ ANTHROPIC_API_KEY: "  " }, data({ mogplex: login() }))).toMatchObject({
      source: "account",
    });
    expect(resolveCredential({}, data())).toBeNull();
  });

  it("names the source and never the secret", () => {
    const all = allCredentials(
      { OPENAI_API_KEY: "sk-secret-value" },
      data({ mogplex: login(), keys: { groq: key("gsk-secret") } }),
    );
    const text = all.map((r) => describeSource(r, "/h/auth.json")).join("\n");
    expect(text).toContain("environment variable OPENAI_API_KEY (OpenAI)");
    expect(text).toContain("stored Groq API key in /h/auth.json");
    expect(text).toContain("Mogplex account login for http://127.0.0.1:4100 (token mog_aaaaaaaa…");
    for (const secret of ["sk-secret-value", "gsk-secret", TOKEN]) expect(text).not.toContain(secret);
  });
});

describe("the token headless commands use", () => {
  it("is MOGPLEX_API_KEY, else the stored login for the same server", () => {
    const d = data({ mogplex: login() });
    expect(
      resolveApiCredential({ MOGPLEX_API_KEY: ENV_TOKEN }, d, "http://127.0.0.1:4100", "p"),
    ).toMatchObject({
      token: ENV_TOKEN,
      source: "env",
    });
    expect(resolveApiCredential({}, d, "http://127.0.0.1:4100/", "p")).toMatchObject({
      token: TOKEN,
      source: "account",
    });
  });

  it("never sends the stored login to another server", () => {
    expect(() => resolveApiCredential({}, data({ mogplex: login() }), "https://other.example", "p")).toThrow(
      /stored login is for http:\/\/127\.0\.0\.1:4100/,
    );
  });

  it("explains that provider keys can't call the Mogplex API, or that nothing is configured", () => {
    expect(() =>
      resolveApiCredential({ OPENAI_API_KEY: "sk" }, data(), "http://127.0.0.1:4100", "p"),
    ).toThrow(/OpenAI key can't call the Mogplex API/);
    expect(() => resolveApiCredential({}, data(), "http://127.0.0.1:4100", "p")).toThrow(
      /run `mogplex` in a terminal/,
    );
  });
});
