// The model catalogue, a team's model settings (default model, allowlist, write-only provider keys) and a repo's
// run settings (install command, dev command, port, environment source): schemas shared by server, client, web.
import { z } from "zod";
import { SERVER_NAME } from "./connections.js";

/** `provider/model-id` as runs name models (the same rule as MOGPLEX_DEFAULT_MODEL). */
export const MODEL_ID = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:/@-]+$/;
export const ModelId = z.string().max(200).regex(MODEL_ID, "model must look like provider/model-id");

/** Providers a team key can be stored for: the built-in ones and the OpenAI-compatible endpoint. */
export const MODEL_PROVIDERS = [
  "anthropic",
  "openai",
  "google",
  "groq",
  "mistral",
  "deepseek",
  "xai",
  "cohere",
  "vercel",
  "openai-compatible",
] as const;
export const ModelProvider = z.enum(MODEL_PROVIDERS, {
  error: `provider must be one of: ${MODEL_PROVIDERS.join(", ")}`,
});
export type ModelProvider = z.infer<typeof ModelProvider>;

/** Why a model is in the catalogue. */
export const MODEL_ORIGINS = ["builtin", "server-default", "team-default", "allowlist", "endpoint"] as const;

export const CatalogueModel = z.object({
  id: z.string(),
  provider: z.string(),
  modelId: z.string(),
  origins: z.array(z.enum(MODEL_ORIGINS)),
  /** A key (the team's or the server's) or endpoint exists for its provider. */
  hasCredentials: z.boolean(),
  /** The team's allowlist lets runs use it (true when the team has no allowlist). */
  allowed: z.boolean(),
});
export type CatalogueModel = z.infer<typeof CatalogueModel>;

export const ModelCatalogue = z.object({
  models: z.array(CatalogueModel),
  serverDefault: z.string().nullable(),
  teamDefault: z.string().nullable(),
  /** What a run that names no model uses: the team default, else the server's. */
  effectiveDefault: z.string().nullable(),
  /** null: every model is allowed. */
  allowedModels: z.array(z.string()).nullable(),
  /** The OpenAI-compatible endpoint's model list: its failure is reported here, never as an error answer. */
  endpoint: z.object({
    configured: z.boolean(),
    ok: z.boolean(),
    error: z.string().nullable(),
  }),
});
export type ModelCatalogue = z.infer<typeof ModelCatalogue>;

export const ProviderKeyInfo = z.object({
  provider: z.string(),
  /** Set by this team (sealed at rest; the key itself is never returned). */
  teamKey: z.boolean(),
  /** The server holds a key for it in its environment. */
  serverKey: z.boolean(),
  updatedAt: z.string().nullable(),
});

export const TeamModelSettings = z.object({
  defaultModel: z.string().nullable(),
  allowedModels: z.array(z.string()).nullable(),
  providerKeys: z.array(ProviderKeyInfo),
});
export type TeamModelSettings = z.infer<typeof TeamModelSettings>;

export const UpdateTeamModelsBody = z
  .object({
    /** null clears it (runs then use MOGPLEX_DEFAULT_MODEL). */
    defaultModel: ModelId.nullable().optional(),
    /** null: every model is allowed; a list: only these. */
    allowedModels: z.array(ModelId).max(200).nullable().optional(),
  })
  .strict();

export const SetProviderKeyBody = z
  .object({ key: z.string().min(1, "key is required").max(4096, "key is too long") })
  .strict();

const Command = z
  .string()
  .max(2000, "commands are at most 2000 characters")
  .refine((v) => !/[\0\r\n]/.test(v), "commands are one line without NUL");
/** `connection:<name>`: a team connection whose stored env values become the sandbox's variables. */
export const ENV_SOURCE = new RegExp(`^connection:${SERVER_NAME.source.slice(1, -1)}$`);
const EnvSource = z.string().max(64).regex(ENV_SOURCE, "environmentSource must be connection:<name>");

/** Change a repo's run settings; a field left out is kept, null (or "") clears it. */
export const RepoSettingsBody = z
  .object({
    installCommand: z.union([Command, z.null()]).optional(),
    devCommand: z.union([Command, z.null()]).optional(),
    port: z.number().int().min(1024).max(65535).nullable().optional(),
    environmentSource: z.union([EnvSource, z.literal(""), z.null()]).optional(),
  })
  .strict();
export type RepoSettingsBody = z.infer<typeof RepoSettingsBody>;
