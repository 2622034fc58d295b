// Model resolution: which model a run uses, which provider serves it, with which key — or why it cannot run.
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { wrapLanguageModel } from "ai";
import { type EngineConfig, type KeyedProvider, PROVIDER_KEY_VARS } from "../config/engine.js";

export type Model = Parameters<typeof wrapLanguageModel>[0]["model"];

// Providers without their own SDK package here speak the OpenAI chat-completions dialect at these endpoints.
const COMPATIBLE_ENDPOINTS: Partial<Record<KeyedProvider, string>> = {
  google: "https://generativelanguage.googleapis.com/v1beta/openai",
  groq: "https://api.groq.com/openai/v1",
  mistral: "https://api.mistral.ai/v1",
  deepseek: "https://api.deepseek.com/v1",
  xai: "https://api.x.ai/v1",
  cohere: "https://api.cohere.ai/compatibility/v1",
  vercel: "https://ai-gateway.vercel.sh/v1",
};

export const OPENAI_COMPATIBLE = "openai-compatible";

export interface ResolvedModel {
  /** provider/model-id as recorded on the run. */
  id: string;
  provider: string;
  modelId: string;
  model: Model;
  /** Credentials this model uses: redacted from everything the run stores. */
  secrets: string[];
}

export class ModelSetupError extends Error {
  override readonly name = "ModelSetupError";
}

export function splitModelId(id: string): { provider: string; modelId: string } | null {
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return null;
  return { provider: id.slice(0, slash).toLowerCase(), modelId: id.slice(slash + 1) };
}

export interface ResolveInput {
  runModel: string | null;
  teamDefault: string | null;
  teamSlug?: string;
  config: EngineConfig;
  /** The team's stored key for a provider, if any. */
  teamKey: (provider: string) => Promise<string | null>;
}

/** Which provider serves a model id, with which key, and where it speaks OpenAI's chat-completions dialect. */
export interface ModelCredentials {
  /** provider/model-id as recorded on the run. */
  id: string;
  provider: string;
  modelId: string;
  apiKey: string | undefined;
  /** The `/v1` base of an OpenAI chat-completions endpoint for this provider; undefined for Anthropic. */
  chatBaseURL: string | undefined;
}

const OPENAI_BASE = "https://api.openai.com/v1";

/**
 * The run's model, else the team default, else MOGPLEX_DEFAULT_MODEL, and its credentials: the team's key before
 * the server's (OpenAI-compatible: the server's before the team's); throws ModelSetupError saying what to add.
 */
export async function resolveCredentials(i: ResolveInput): Promise<ModelCredentials> {
  const id = i.runModel ?? i.teamDefault ?? i.config.defaultModel ?? null;
  if (!id) {
    throw new ModelSetupError(
      "No model for this run: pass `model` when starting the run, set the team's default model " +
        "(Settings → Models in the web app), " +
        "or set MOGPLEX_DEFAULT_MODEL on the server (e.g. anthropic/claude-sonnet-4-5).",
    );
  }
  const parts = splitModelId(id);
  if (!parts) throw new ModelSetupError(`Model "${id}" must look like provider/model-id.`);
  const { provider, modelId } = parts;

  if (provider === OPENAI_COMPATIBLE) {
    const baseURL = i.config.openaiCompatible.baseUrl;
    if (!baseURL) {
      throw new ModelSetupError(
        `Model "${id}" needs an OpenAI-compatible server: set MOGPLEX_OPENAI_COMPATIBLE_BASE_URL on the server ` +
          "to its /v1 base URL (and MOGPLEX_OPENAI_COMPATIBLE_API_KEY if it wants a key).",
      );
    }
    const apiKey = i.config.openaiCompatible.apiKey ?? (await i.teamKey(provider)) ?? undefined;
    return { id, provider, modelId, apiKey, chatBaseURL: baseURL };
  }

  if (!(provider in PROVIDER_KEY_VARS)) {
    const known = [...Object.keys(PROVIDER_KEY_VARS), OPENAI_COMPATIBLE].join(", ");
    throw new ModelSetupError(`Unknown model provider "${provider}" in "${id}"; use one of: ${known}.`);
  }
  const keyed = provider as KeyedProvider;
  // A team's own key wins over the server-wide one: the team chose it and pays for it.
  const apiKey = (await i.teamKey(keyed)) ?? i.config.providerKeys[keyed];
  if (!apiKey) {
    const team = i.teamSlug ?? "<team>";
    throw new ModelSetupError(
      `No credentials for provider "${provider}" (model ${id}): set ${PROVIDER_KEY_VARS[keyed]} on the server, ` +
        "or store a team key on the web app's Settings → Models page (or with " +
        `\`mogplex admin set-provider-key --team ${team} --provider ${provider}\`).`,
    );
  }
  const chatBaseURL =
    keyed === "anthropic" ? undefined : keyed === "openai" ? OPENAI_BASE : COMPATIBLE_ENDPOINTS[keyed];
  return { id, provider, modelId, apiKey, chatBaseURL };
}

/** resolveCredentials, then the AI SDK model for them. */
export async function resolveModel(i: ResolveInput): Promise<ResolvedModel> {
  const c = await resolveCredentials(i);
  const { id, provider, modelId, apiKey } = c;
  let model: Model;
  if (provider === "anthropic") model = anthropicProvider(i.config, apiKey)(modelId);
  else if (provider === "openai") model = createOpenAI({ apiKey })(modelId);
  else {
    // OPENAI_COMPATIBLE and the keyed OpenAI-compatible providers: the same chat model at their base URL.
    model = createOpenAICompatible({
      name: provider,
      baseURL: c.chatBaseURL as string,
      ...(apiKey ? { apiKey } : {}),
    }).chatModel(modelId);
  }
  return { id, provider, modelId, model, secrets: apiKey ? [apiKey] : [] };
}

/** The AI SDK's Anthropic provider with this key, at MOGPLEX_ANTHROPIC_BASE_URL when set. */
export function anthropicProvider(config: EngineConfig, apiKey: string | undefined) {
  return createAnthropic({
    apiKey,
    ...(config.anthropicBaseUrl ? { baseURL: config.anthropicBaseUrl } : {}),
  });
}

/** Every credential the server holds for models: redacted wherever a run could echo one. */
export function serverModelSecrets(config: EngineConfig): string[] {
  const keys = Object.values(config.providerKeys).filter((k): k is string => typeof k === "string");
  if (config.openaiCompatible.apiKey) keys.push(config.openaiCompatible.apiKey);
  return keys;
}

// USD per million tokens (input, output) for well-known models; a built-in estimate, matched by prefix.
// Models not listed (self-hosted, new releases) are counted at 0 and their model_call says `priced: false`.
const PRICES: ReadonlyArray<readonly [RegExp, number, number]> = [
  [/^anthropic\/claude-(opus-4|3-opus)/, 15, 75],
  [/^anthropic\/claude-(sonnet-4|3-7-sonnet|3-5-sonnet)/, 3, 15],
  [/^anthropic\/claude-haiku-4/, 1, 5],
  [/^anthropic\/claude-3-5-haiku/, 0.8, 4],
  [/^openai\/gpt-4o-mini/, 0.15, 0.6],
  [/^openai\/gpt-4o/, 2.5, 10],
  [/^openai\/gpt-4\.1-nano/, 0.1, 0.4],
  [/^openai\/gpt-4\.1-mini/, 0.4, 1.6],
  [/^openai\/gpt-4\.1/, 2, 8],
  [/^openai\/gpt-5-nano/, 0.05, 0.4],
  [/^openai\/gpt-5-mini/, 0.25, 2],
  [/^openai\/gpt-5/, 1.25, 10],
  [/^openai\/o4-mini/, 1.1, 4.4],
];

export function priceOf(modelId: string): { input: number; output: number } | null {
  const hit = PRICES.find(([re]) => re.test(modelId));
  return hit ? { input: hit[1], output: hit[2] } : null;
}

export function costUsd(modelId: string, inputTokens: number, outputTokens: number): number {
  const p = priceOf(modelId);
  return p ? (inputTokens * p.input + outputTokens * p.output) / 1_000_000 : 0;
}
