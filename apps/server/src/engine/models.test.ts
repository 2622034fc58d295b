// Model resolution: run model, then team default, then the server default; credentials or a message naming them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { costUsd, ModelSetupError, resolveModel, splitModelId } from "./models.js";
import { ProviderKeyStore } from "./provider-keys.js";

const cfg = (env: Record<string, string> = {}) =>
  loadConfig({ MOGPLEX_DATA_DIR: "/nonexistent", ...env }).engine;
const noTeamKey = async () => null;

describe("resolveModel", () => {
  it("takes the run's model, then the team default, then MOGPLEX_DEFAULT_MODEL", async () => {
    const config = cfg({
      MOGPLEX_DEFAULT_MODEL: "openai/gpt-4o-mini",
      OPENAI_API_KEY: "sk-server-openai-key",
    });
    const base = { config, teamKey: noTeamKey };
    expect(
      (await resolveModel({ ...base, runModel: "openai/gpt-4.1", teamDefault: "openai/gpt-4o" })).id,
    ).toBe("openai/gpt-4.1");
    expect((await resolveModel({ ...base, runModel: null, teamDefault: "openai/gpt-4o" })).id).toBe(
      "openai/gpt-4o",
    );
    const fallback = await resolveModel({ ...base, runModel: null, teamDefault: null });
    expect(fallback).toMatchObject({ id: "openai/gpt-4o-mini", provider: "openai", modelId: "gpt-4o-mini" });
    expect(fallback.secrets).toEqual(["sk-server-openai-key"]);
  });

  it("says what to set when there is no model at all", async () => {
    await expect(
      resolveModel({ config: cfg(), teamKey: noTeamKey, runModel: null, teamDefault: null }),
    ).rejects.toThrow(/No model for this run: pass `model`.*set MOGPLEX_DEFAULT_MODEL/);
  });

  it("names the provider's variable and the team setting when credentials are missing", async () => {
    const attempt = resolveModel({
      config: cfg(),
      teamKey: noTeamKey,
      runModel: "groq/llama-3.3-70b",
      teamDefault: null,
      teamSlug: "acme",
    });
    await expect(attempt).rejects.toBeInstanceOf(ModelSetupError);
    await expect(attempt).rejects.toThrow(
      'No credentials for provider "groq" (model groq/llama-3.3-70b): set GROQ_API_KEY on the server, ' +
        "or store a team key on the web app's Settings → Models page (or with " +
        "`mogplex admin set-provider-key --team acme --provider groq`).",
    );
  });

  it("needs MOGPLEX_OPENAI_COMPATIBLE_BASE_URL for openai-compatible models, the key being optional", async () => {
    await expect(
      resolveModel({
        config: cfg(),
        teamKey: noTeamKey,
        runModel: "openai-compatible/qwen",
        teamDefault: null,
      }),
    ).rejects.toThrow(/set MOGPLEX_OPENAI_COMPATIBLE_BASE_URL/);
    const m = await resolveModel({
      config: cfg({ MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:8000/v1" }),
      teamKey: noTeamKey,
      runModel: "openai-compatible/org/model:q4",
      teamDefault: null,
    });
    expect(m).toMatchObject({ provider: "openai-compatible", modelId: "org/model:q4", secrets: [] });
  });

  it("rejects an unknown provider with the list of known ones", async () => {
    await expect(
      resolveModel({ config: cfg(), teamKey: noTeamKey, runModel: "acme/m1", teamDefault: null }),
    ).rejects.toThrow(/Unknown model provider "acme".*anthropic, openai/);
    expect(splitModelId("no-slash")).toBeNull();
  });

  it("prices known models and counts unknown ones at zero", () => {
    expect(costUsd("anthropic/claude-sonnet-4-5", 1_000_000, 100_000)).toBeCloseTo(4.5);
    expect(costUsd("openai-compatible/llama", 1_000_000, 1_000_000)).toBe(0);
  });
});

describe("engine settings", () => {
  it("read provider keys trimmed, treat a blank one as unset, and name a bad variable", () => {
    expect(cfg({ ANTHROPIC_API_KEY: "", OPENAI_API_KEY: " sk-openai-1 " }).providerKeys).toEqual({
      openai: "sk-openai-1",
    });
    expect(() => cfg({ MOGPLEX_WORKER_LEASE_MS: "soon" })).toThrow(
      "invalid MOGPLEX_WORKER_LEASE_MS: expected a whole number",
    );
    expect(cfg().git).toEqual({ authorName: "Mogplex", authorEmail: "agent@mogplex.local" });
  });
});

describe("team provider keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("are sealed at rest, win over the server's key, and are redacted like it", async () => {
    const u = await h.user();
    const keys = new ProviderKeyStore(h.s.db.db, h.s.keyring, h.s.clock);
    await keys.set(u.teamId, "anthropic", "sk-ant-team-key-123456");
    const row = await h.s.db.db.selectFrom("team_provider_keys").selectAll().executeTakeFirstOrThrow();
    expect(row.key_enc).not.toContain("sk-ant-team-key");
    const m = await resolveModel({
      config: cfg({ ANTHROPIC_API_KEY: "sk-ant-server-key-999999" }),
      teamKey: (p) => keys.get(u.teamId, p),
      runModel: "anthropic/claude-sonnet-4-5",
      teamDefault: null,
    });
    expect(m.secrets).toEqual(["sk-ant-team-key-123456"]);
    expect(await keys.get(u.teamId, "openai")).toBeNull();
    expect(await keys.remove(u.teamId, "anthropic")).toBe(true);
    expect(await keys.get(u.teamId, "anthropic")).toBeNull();
  });
});
