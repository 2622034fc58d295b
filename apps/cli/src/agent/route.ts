// Which model the agent talks to, and through what: the winning credential (credentials/resolve.ts order).
// MOGPLEX_API_KEY or the account login → the server's OpenAI-compatible endpoint with the token as bearer; an
// Anthropic or OpenAI key → that provider directly (OPENAI_BASE_URL honoured); other providers: not yet.
import type { LanguageModel } from "ai";
import { clientFor } from "../actions/api.js";
import { serverUrl } from "../config/env.js";
import type { Ctx } from "../context.js";
import {
  describeSource,
  NO_CREDENTIALS,
  type Resolved,
  resolveApiCredential,
  resolveCredential,
} from "../credentials/resolve.js";
import { type AuthData, AuthStore } from "../credentials/store.js";
import { CliError, ConfigError, EXIT, NotAuthenticatedError } from "../errors.js";
import type { CatalogueModel, ModelRoute } from "./types.js";

export const LLM_PATH = "/api/v1/mogplex/llm/v1";

/** A sensible default per provider, and the models offered by `/model` with a direct key. */
const DIRECT: Record<string, { default: string; models: string[] }> = {
  anthropic: {
    default: "anthropic/claude-sonnet-4-5",
    models: ["anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-1", "anthropic/claude-haiku-4-5"],
  },
  openai: {
    default: "openai/gpt-4.1",
    models: ["openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-5", "openai/gpt-5-mini"],
  },
};

export interface Account {
  url: string;
  token: string;
  client: ReturnType<typeof clientFor>;
}

export interface Router {
  via: "account" | "provider";
  credential: string;
  /** Set with an account credential: the server and the token to use. */
  account?: Account;
  /** The provider id of a direct key. */
  provider?: string;
  defaultModel(): Promise<string>;
  /** Throws a CliError naming why the model can't be used. */
  check(model: string): Promise<void>;
  catalogue(): Promise<CatalogueModel[]>;
  make(model: string): Promise<LanguageModel>;
}

export function parseModel(model: string, provider?: string): string {
  const m = model.trim();
  if (/^[a-z0-9-]+\/\S+$/i.test(m)) return m;
  if (provider && /^\S+$/.test(m) && m !== "") return `${provider}/${m}`;
  throw new CliError(
    `model must be written provider/model (e.g. openai/gpt-4.1), not ${JSON.stringify(model)}`,
    EXIT.usage,
    "USAGE",
  );
}

function accountRouter(ctx: Ctx, r: Resolved, data: AuthData): Router {
  const server = serverUrl(ctx.env, data.mogplex?.url);
  const cred = resolveApiCredential(ctx.env, data, server.url, ctx.store.path);
  const client = clientFor(ctx, server.url, cred.token);
  let cached: ReturnType<typeof client.listModels> | undefined;
  const listed = () => {
    cached ??= client.listModels();
    return cached;
  };
  const credential =
    r.source === "env"
      ? `${describeSource(r, ctx.store.path)} for ${server.url}`
      : describeSource(r, ctx.store.path);
  return {
    via: "account",
    credential,
    account: { url: server.url, token: cred.token, client },
    async defaultModel() {
      const c = await listed();
      if (!c.effectiveDefault) {
        throw new ConfigError(
          "your team has no default model and the server sets no MOGPLEX_DEFAULT_MODEL: pass --model provider/model (see the catalogue with /model)",
        );
      }
      return c.effectiveDefault;
    },
    async check(model) {
      const c = await listed();
      const found = c.models.find((m) => m.id === model);
      if (found && !found.allowed)
        throw new CliError(
          `your team does not allow the model ${model}`,
          EXIT.forbidden,
          "MODEL_NOT_ALLOWED",
        );
    },
    async catalogue() {
      const c = await listed();
      return c.models.map((m) => ({ id: m.id, hasCredentials: m.hasCredentials, allowed: m.allowed }));
    },
    async make(model) {
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      const p = createOpenAICompatible({
        name: "mogplex",
        baseURL: `${server.url}${LLM_PATH}`,
        apiKey: cred.token,
        includeUsage: true,
      });
      return p.chatModel(model);
    },
  };
}

function providerRouter(ctx: Ctx, r: Exclude<Resolved, { source: "account" }>): Router {
  const id = r.provider.id;
  const direct = DIRECT[id];
  if (!direct) {
    throw new ConfigError(
      `the terminal agent can't use ${r.provider.name} keys yet (found ${describeSource(r, ctx.store.path)}); use an Anthropic or OpenAI key, or sign in with \`mogplex login\``,
    );
  }
  return {
    via: "provider",
    credential: describeSource(r, ctx.store.path),
    provider: id,
    defaultModel: async () => direct.default,
    async check(model) {
      if (!model.startsWith(`${id}/`)) {
        throw new CliError(
          `${model} is not one of ${r.provider.name}'s models, and the credential in use is ${describeSource(r, ctx.store.path)}`,
          EXIT.usage,
          "USAGE",
        );
      }
    },
    catalogue: async () => direct.models.map((m) => ({ id: m, hasCredentials: true, allowed: true })),
    async make(model) {
      const name = model.slice(id.length + 1);
      if (id === "anthropic") {
        const { createAnthropic } = await import("@ai-sdk/anthropic");
        return createAnthropic({ apiKey: r.secret })(name);
      }
      const { createOpenAI } = await import("@ai-sdk/openai");
      const baseURL = ctx.env.OPENAI_BASE_URL?.trim() || undefined;
      return createOpenAI({ apiKey: r.secret, baseURL }).chat(name);
    },
  };
}

export function createRouter(ctx: Ctx): Router {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const r = resolveCredential(ctx.env, data);
  if (!r) throw new NotAuthenticatedError(NO_CREDENTIALS);
  ctx.log.secret(r.secret);
  if (r.source === "account" || r.provider.id === "mogplex") return accountRouter(ctx, r, data);
  return providerRouter(ctx, r);
}

export function toRoute(router: Router, model: string): ModelRoute {
  return { via: router.via, credential: router.credential, model };
}
