// HTTP edge of account-backed model access: the OpenAI-compatible endpoint under the public API (PAT auth →
// the token's own window on this endpoint → scope → body → budget → model → upstream, relayed or, for Anthropic,
// translated), and the usage and budget session routes of Settings → Usage.
import {
  ChatCompletionBody,
  LLM_ROUTES,
  missingScopeMessage,
  PUBLIC_BASE,
  type RouteSpec,
  roleAtLeast,
} from "@mogplex/contract";
import type { Context, Hono } from "hono";
import { ApiError, errorResponse, Failure } from "../http/errors.js";
import { countIp, waiveIp } from "../http/middleware.js";
import { authenticatePat } from "../http/public-route.js";
import { sessionRoute } from "../http/session-route.js";
import { jsonBody } from "../http/steps/body.js";
import { keyLimit } from "../http/steps/limits.js";
import { type AppEnv, auditContext, type PatPrincipal } from "../http/types.js";
import { validationMessage } from "../http/validate.js";
import type { Services } from "../services.js";
import { LlmAccess } from "./access.js";
import { anthropicAnswer } from "./anthropic.js";
import { toAnthropicCall } from "./anthropic-request.js";
import { type Outcome, relayJson, relayStream, type TokenCounts } from "./relay.js";
import { callUpstream } from "./upstream.js";
import { LlmUsageStore } from "./usage.js";

/** Conversations with file contents run long: larger than the API's usual JSON limit. */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;

type Handler = (c: Context<AppEnv>, p: PatPrincipal) => Promise<Response>;

/** The public route's checks, with this endpoint's own per-token window (same rule as MOGPLEX_PAT_RATE_LIMIT). */
function llmRoute(app: Hono<AppEnv>, s: Services, spec: RouteSpec, handler: Handler): void {
  app.on(spec.method.toUpperCase(), PUBLIC_BASE + spec.path, async (c) => {
    try {
      const principal = await authenticatePat(c, s);
      try {
        await keyLimit(s.limiter, `llm:${principal.tokenId}`, s.rules.pat, s.clock);
      } catch (err) {
        if (err instanceof ApiError) waiveIp(c);
        throw err;
      }
      const ipLimited = await countIp(c);
      if (ipLimited) return ipLimited;
      if (spec.scope && !principal.scopes.includes(spec.scope)) {
        throw new ApiError("FORBIDDEN", missingScopeMessage(spec.scope));
      }
      if (spec.scope === "write" && principal.role === "viewer") {
        throw new ApiError("FORBIDDEN", "Viewers have read-only access to this team");
      }
      return await handler(c, principal);
    } catch (err) {
      if (err instanceof Failure) return errorResponse(c, err);
      throw err;
    }
  });
}

const sseAnswer = (c: Context<AppEnv>, stream: ReadableStream) =>
  c.body(stream, 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });

export function registerLlmRoutes(app: Hono<AppEnv>, s: Services): void {
  const access = new LlmAccess({
    db: s.db.db,
    audit: s.audit,
    clock: s.clock,
    keyring: s.keyring,
    engine: s.config.engine,
    models: s.models,
  });
  const usage = new LlmUsageStore(s.db.db, s.audit, s.clock);

  llmRoute(app, s, LLM_ROUTES.listLlmModels, async (c, p) => c.json(await access.list(p.teamId)));

  llmRoute(app, s, LLM_ROUTES.createChatCompletion, async (c, p) => {
    const parsed = ChatCompletionBody.safeParse(await jsonBody(c, BODY_LIMIT_BYTES));
    if (!parsed.success) throw new ApiError("BAD_REQUEST", validationMessage(parsed.error));
    const body = parsed.data;
    await usage.checkBudget(p.teamId);
    const up = await access.resolve(p.teamId, body.model, auditContext(c, p));
    // What Anthropic's translation cannot take is refused here, before anything is counted.
    const anthropicCall = up.chatBaseURL ? null : toAnthropicCall(body);
    const started = s.clock.now();
    const done = async (counts: TokenCounts, outcome: Outcome) => {
      const fields = { requestId: c.get("requestId"), model: up.id, ...counts, outcome };
      try {
        await usage.record({
          teamId: p.teamId,
          userId: p.userId,
          tokenId: p.tokenId,
          model: up.id,
          usage: counts,
          outcome,
        });
      } catch (err) {
        s.logger.warn({ ...fields, err: { name: (err as Error).name } }, "llm usage not recorded");
        return;
      }
      s.logger.info({ ...fields, ms: s.clock.now() - started }, "llm request");
    };
    // The client going away (its request signal) or cancelling the body aborts the upstream request.
    const upstreamAbort = new AbortController();
    const clientSignal = c.req.raw.signal;
    const onClientGone = () => upstreamAbort.abort();
    clientSignal.addEventListener("abort", onClientGone, { once: true });
    let res: Response;
    try {
      if (anthropicCall) {
        // Anthropic (no chat base URL): translated both ways (anthropic.ts), usage counted from the provider's answer.
        const answer = await anthropicAnswer(
          up,
          s.config.engine,
          anthropicCall,
          !!body.stream,
          done,
          upstreamAbort,
        );
        if ("stream" in answer) return sseAnswer(c, answer.stream);
        clientSignal.removeEventListener("abort", onClientGone);
        return c.body(answer.json, 200, { "content-type": "application/json" });
      }
      res = await callUpstream({ ...up, chatBaseURL: up.chatBaseURL as string }, body, upstreamAbort.signal);
    } catch (err) {
      clientSignal.removeEventListener("abort", onClientGone);
      if (upstreamAbort.signal.aborted) {
        await done({ input: 0, output: 0 }, "aborted");
        return errorResponse(c, new ApiError("BAD_REQUEST", "The request was cancelled by the client"));
      }
      if (err instanceof Failure) await done({ input: 0, output: 0 }, "error");
      throw err;
    }
    if (!body.stream || !res.body) {
      const text = await relayJson(res, up.secrets, done);
      clientSignal.removeEventListener("abort", onClientGone);
      return c.body(text, 200, { "content-type": "application/json" });
    }
    return sseAnswer(c, relayStream(res.body, done, upstreamAbort));
  });

  sessionRoute(app, s, "getTeamLlmUsage", async (c, { team, query }) => {
    const everyone = roleAtLeast(team.role, "admin");
    const data = await usage.report(team.teamId, everyone ? null : team.userId, query.days ?? 30);
    return c.json({ ok: true, data });
  });

  sessionRoute(app, s, "updateTeamLlmBudget", async (c, { principal, team, body }) => {
    const data = await usage.setBudget(team.teamId, body.monthlyBudgetUsd, auditContext(c, principal));
    return c.json({ ok: true, data });
  });
}
