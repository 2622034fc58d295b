// GET/POST /cli-auth and /device: plain HTML forms (CSRF token tied to the session + Origin check, no script).

import { ERROR_STATUS } from "@mogplex/contract";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../http/errors.js";
import { requireSameOrigin } from "../http/origin.js";
import { type AppEnv, auditContext, type SessionPrincipal } from "../http/types.js";
import type { Services } from "../services.js";
import { CALLBACK_RULE, callbackOrThrow, denyUrl, teamOrThrow } from "./http.js";
import {
  consentPage,
  deniedPage,
  deviceConfirmPage,
  deviceEntryPage,
  handoffPage,
  messagePage,
  type TeamChoice,
} from "./pages.js";
import { CLI_TOKEN_DAYS } from "./service.js";
import { CHALLENGE_RE, cliTokenName, NONCE_RE, normaliseUserCode } from "./validate.js";

const FORM_LIMIT = 8 * 1024;

function html(c: Context<AppEnv>, body: string, status: ContentfulStatusCode = 200): Response {
  c.header("Cache-Control", "no-store");
  return c.html(body, status);
}

async function session(c: Context<AppEnv>, s: Services): Promise<SessionPrincipal | null> {
  const { principal, setCookies } = await s.identity.resolveSession(c.req.raw.headers);
  for (const cookie of setCookies) c.header("Set-Cookie", cookie, { append: true });
  return principal;
}

function toLogin(c: Context<AppEnv>): Response {
  const url = new URL(c.req.url);
  const next = `${url.pathname}${url.search}`;
  const login = `/login?next=${encodeURIComponent(next)}`;
  c.header("Location", login);
  return html(
    c,
    messagePage("Sign in required", "Sign in to Mogplex to continue.", { href: login, text: "Sign in" }),
    302,
  );
}

async function readForm(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Expected a form submission");
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > FORM_LIMIT) throw new ApiError("PAYLOAD_TOO_LARGE", "Form too large");
  const buf = new Uint8Array(await c.req.arrayBuffer());
  if (buf.byteLength > FORM_LIMIT) throw new ApiError("PAYLOAD_TOO_LARGE", "Form too large");
  return new URLSearchParams(new TextDecoder().decode(buf));
}

/** Validates the CLI's request parameters; the message names the rule, never echoing what was sent. */
function cliParams(get: (k: string) => string | null | undefined) {
  const callback = callbackOrThrow(get("callback"));
  const nonce = get("nonce") ?? "";
  if (!NONCE_RE.test(nonce)) throw new ApiError("BAD_REQUEST", "nonce must be 32 lowercase hex characters");
  const challenge = get("code_challenge") ?? "";
  if (!CHALLENGE_RE.test(challenge))
    throw new ApiError("BAD_REQUEST", "code_challenge must be a S256 challenge");
  if (get("code_challenge_method") !== "S256") {
    throw new ApiError("BAD_REQUEST", "code_challenge_method must be S256");
  }
  return { callback, nonce, challenge };
}

function pageError(c: Context<AppEnv>, err: unknown): Response {
  if (!(err instanceof ApiError)) throw err;
  const title = err.message === CALLBACK_RULE ? "This sign-in link is not valid" : "Request refused";
  return html(c, messagePage(title, err.message), ERROR_STATUS[err.code] as ContentfulStatusCode);
}

async function teamChoices(s: Services, userId: string): Promise<TeamChoice[]> {
  const teams = await s.teams.memberships(userId);
  if (teams.length === 0) throw new ApiError("FORBIDDEN", "You are not a member of any team");
  return teams.map((t) => ({ teamId: t.teamId, slug: t.slug }));
}

/** Every form post: a session, a same-origin request, and the session's CSRF token. */
async function formSession(
  c: Context<AppEnv>,
  s: Services,
): Promise<{ p: SessionPrincipal; form: URLSearchParams }> {
  const p = await session(c, s);
  if (!p) throw new ApiError("UNAUTHORIZED", "Sign in required; your session may have expired");
  requireSameOrigin(c, s.config);
  const form = await readForm(c);
  if (!(await s.cliAuth.checkCsrf(p.sessionId, form.get("csrf")))) {
    throw new ApiError("FORBIDDEN", "This form has expired; reload the page and try again");
  }
  return { p, form };
}

export function registerCliAuthPages(app: Hono<AppEnv>, s: Services): void {
  app.get("/cli-auth", async (c) => {
    try {
      const q = cliParams((k) => c.req.query(k));
      const p = await session(c, s);
      if (!p) return toLogin(c);
      const csrf = (await s.cliAuth.csrfToken(p.sessionId)) ?? "";
      return html(
        c,
        consentPage({
          email: p.email,
          port: q.callback.port,
          teams: await teamChoices(s, p.userId),
          tokenName: cliTokenName(s.clock.now()),
          days: CLI_TOKEN_DAYS,
          fields: {
            callback: q.callback.href,
            nonce: q.nonce,
            code_challenge: q.challenge,
            code_challenge_method: "S256",
            csrf,
          },
        }),
      );
    } catch (err) {
      return pageError(c, err);
    }
  });

  app.post("/cli-auth", async (c) => {
    try {
      const { p, form } = await formSession(c, s);
      const q = cliParams((k) => form.get(k));
      const ctx = auditContext(c, p);
      if (form.get("decision") !== "approve") {
        await s.cliAuth.recordDenial(
          { userId: p.userId, teamId: await s.identity.activeTeam(p.userId), callback: q.callback },
          ctx,
        );
        return html(c, deniedPage(denyUrl(q.callback, q.nonce)));
      }
      const teamId = await teamOrThrow(s, p.userId, form.get("team") ?? undefined);
      const { code, redirectUrl } = await s.cliAuth.consent(
        { userId: p.userId, teamId, callback: q.callback, nonce: q.nonce, codeChallenge: q.challenge },
        ctx,
      );
      return html(c, handoffPage(redirectUrl, code));
    } catch (err) {
      return pageError(c, err);
    }
  });

  app.get("/device", async (c) => {
    try {
      const p = await session(c, s);
      if (!p) return toLogin(c);
      const csrf = (await s.cliAuth.csrfToken(p.sessionId)) ?? "";
      const given = c.req.query("user_code");
      if (!given) return html(c, deviceEntryPage(csrf));
      return await confirmDevice(c, s, p, given, csrf);
    } catch (err) {
      return pageError(c, err);
    }
  });

  app.post("/device", async (c) => {
    try {
      const { p, form } = await formSession(c, s);
      const given = form.get("user_code") ?? "";
      const decision = form.get("decision");
      if (decision !== "approve" && decision !== "deny") {
        return await confirmDevice(c, s, p, given, form.get("csrf") ?? "");
      }
      const teamId = await teamOrThrow(s, p.userId, form.get("team") ?? undefined);
      const done = await s.cliAuth.decideDevice(
        given,
        { userId: p.userId, teamId },
        decision === "approve",
        auditContext(c, p),
      );
      if (!done)
        return html(c, messagePage("Code not found", "That code is unknown, expired or already used."), 404);
      return html(
        c,
        decision === "approve"
          ? messagePage("Device approved", "Return to your terminal; it will finish signing in shortly.")
          : messagePage("Device denied", "No token was created."),
      );
    } catch (err) {
      return pageError(c, err);
    }
  });
}

async function confirmDevice(
  c: Context<AppEnv>,
  s: Services,
  p: SessionPrincipal,
  given: string,
  csrf: string,
): Promise<Response> {
  const code = normaliseUserCode(given);
  const pending = code ? await s.cliAuth.pendingDevice(code) : null;
  if (!code || !pending) {
    return html(c, messagePage("Code not found", "That code is unknown, expired or already used."), 404);
  }
  return html(
    c,
    deviceConfirmPage({
      email: p.email,
      userCode: code,
      requestedAt: pending.createdAt,
      requesterIp: pending.requesterIp,
      teams: await teamChoices(s, p.userId),
      csrf,
      tokenName: cliTokenName(s.clock.now()),
      days: CLI_TOKEN_DAYS,
    }),
  );
}
