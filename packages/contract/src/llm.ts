// Account-backed model access: an OpenAI-compatible endpoint under the public API (PAT auth; answers in the
// OpenAI wire format, failures in Mogplex's envelope, whose `error.message` OpenAI clients read), the usage it
// records, and the team's optional monthly budget (session routes for the web app).
import { z } from "zod";
import { okEnvelope } from "./envelope.js";
import type { ErrorCode } from "./errors.js";
import type { RouteSpec } from "./routes.js";
import { R404, sessionSpec as r, type SessionRouteSpec, W404 } from "./session-spec.js";

/** Where the endpoint lives under PUBLIC_BASE: an OpenAI client's `baseURL` is `<server>/api/v1/mogplex/llm/v1`. */
export const LLM_BASE_PATH = "/llm/v1";

/**
 * A chat-completions request. Only what the server acts on is checked; every other OpenAI field (tools,
 * tool_choice, temperature, response_format, …) goes to OpenAI-dialect providers unchanged, and is translated for
 * Anthropic where it has an equivalent (fields it has none for, such as response_format or seed, are dropped).
 */
export const ChatCompletionBody = z
  .object({
    model: z
      .string()
      .min(1, "model is required (provider/model, as GET /llm/v1/models lists)")
      .max(200, "model must be at most 200 characters"),
    messages: z.array(z.record(z.string(), z.unknown())).min(1, "messages must not be empty"),
    stream: z.boolean().optional(),
    stream_options: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .passthrough();
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/** The provider's answer in the OpenAI format (a chat.completion object, or SSE chunks when streamed). */
export const ChatCompletionResponse = z
  .object({ id: z.string().optional(), object: z.string().optional(), choices: z.array(z.unknown()) })
  .passthrough();

export const LlmModelList = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({ id: z.string(), object: z.literal("model"), created: z.number(), owned_by: z.string() }),
  ),
});
export type LlmModelList = z.infer<typeof LlmModelList>;

const AUTHED: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];

export const LLM_ROUTES = {
  listLlmModels: {
    method: "get",
    path: `${LLM_BASE_PATH}/models`,
    summary:
      "OpenAI-format list of the models this token's team may use through the model endpoint (ids " +
      "provider/model: allowed by the team and with credentials on the server, MOGPLEX_DEFAULT_MODEL included)",
    auth: "pat",
    scope: "read",
    response: LlmModelList,
    errors: [...AUTHED, "BAD_REQUEST"],
  },
  createChatCompletion: {
    method: "post",
    path: `${LLM_BASE_PATH}/chat/completions`,
    summary:
      "OpenAI chat completions through the team's model access (its allowlist and provider keys, else the " +
      "server's): JSON, or SSE chunks ending in `data: [DONE]` with `stream: true`; usage is recorded per " +
      "user, team and model; no Idempotency-Key",
    auth: "pat",
    scope: "write",
    body: ChatCompletionBody,
    response: ChatCompletionResponse,
    errors: [
      ...AUTHED,
      "BAD_REQUEST",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "BUDGET_EXCEEDED",
      "BAD_GATEWAY",
    ],
  },
} satisfies Record<string, RouteSpec>;

// ---- Usage and budget (session routes for Settings → Usage) ----

export const LlmUsageQuery = z.object({
  days: z.coerce
    .number({ error: "days must be a whole number from 1 to 90" })
    .int("days must be a whole number from 1 to 90")
    .min(1, "days must be a whole number from 1 to 90")
    .max(90, "days must be a whole number from 1 to 90")
    .optional()
    .describe("how many days back, today included (default 30)"),
});

export const LlmUsageRow = z.object({
  /** UTC day, YYYY-MM-DD. */
  day: z.string(),
  userId: z.string(),
  userEmail: z.string().nullable(),
  model: z.string(),
  requests: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});
export type LlmUsageRow = z.infer<typeof LlmUsageRow>;

export const LlmBudget = z.object({
  /** USD per calendar month (UTC); null = no budget. */
  monthlyBudgetUsd: z.number().nullable(),
  /** The team's recorded cost this month, in USD. */
  monthToDateUsd: z.number(),
});
export type LlmBudget = z.infer<typeof LlmBudget>;

export const LlmUsage = z.object({
  /** `team`: every member's usage (owners, admins); `self`: the caller's own. */
  scope: z.enum(["team", "self"]),
  days: z.number(),
  rows: z.array(LlmUsageRow),
  budget: LlmBudget,
});
export type LlmUsage = z.infer<typeof LlmUsage>;

export const UpdateLlmBudgetBody = z
  .object({
    monthlyBudgetUsd: z
      .number({ error: "monthlyBudgetUsd must be a number of USD, or null for no budget" })
      .min(0, "monthlyBudgetUsd must not be negative")
      .max(10_000_000, "monthlyBudgetUsd must be at most 10000000")
      .nullable(),
  })
  .strict();
export type UpdateLlmBudgetBody = z.infer<typeof UpdateLlmBudgetBody>;

export const LLM_SESSION_ROUTES = {
  getTeamLlmUsage: r({
    method: "get",
    path: "/api/teams/{teamId}/llm-usage",
    summary:
      "Model endpoint usage per member, model and day with the team's monthly budget: the whole team for " +
      "owners and admins, the caller's own for others",
    team: "path",
    role: "viewer",
    query: LlmUsageQuery,
    response: okEnvelope(LlmUsage),
    errors: R404,
  }),
  updateTeamLlmBudget: r({
    method: "patch",
    path: "/api/teams/{teamId}/llm-budget",
    summary: "Set or clear the team's monthly budget (USD) for the model endpoint",
    team: "path",
    role: "admin",
    body: UpdateLlmBudgetBody,
    bodyRequired: true,
    errors: W404,
  }),
} satisfies Record<string, SessionRouteSpec>;
