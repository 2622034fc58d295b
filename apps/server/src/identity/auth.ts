// Better Auth configured for Mogplex: email+password (Argon2id), TOTP 2FA with lockout, no sign-up.
// (The CLI device flow is ours, in cli-auth/, because it must end in a PAT.)
import { AsyncLocalStorage } from "node:async_hooks";
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import { betterAuth } from "better-auth";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { twoFactor } from "better-auth/plugins/two-factor";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { mcpOAuthPlugins } from "../oauth/provider.js";
import { sha256Hex } from "../security/random.js";

// OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. 2 = Argon2id (the enum is const, erased at runtime).
const ARGON = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const hashPassword = (pw: string) => argonHash(pw, ARGON);
export const SESSION_IDLE_SECONDS = 8 * 3600;
export const SESSION_ABSOLUTE_MS = 7 * 86_400_000;
export const MIN_PASSWORD = 12;

/** Backup codes are kept as SHA-256 digests; the HTTP mount hashes the submitted code the same way. */
export const BACKUP_HASH_PREFIX = "h:";
export const hashBackupCode = (code: string) => `${BACKUP_HASH_PREFIX}${sha256Hex(code.trim())}`;
const isHashedCode = (c: string) => /^h:[0-9a-f]{64}$/.test(c);
/** Roughly an address; anything else typed into the email field (often a password) is never recorded. */
export const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,63}$/;

/** What happened, as the audit action suffix (`auth.<kind>`). */
export type AuthEventKind =
  | "sign_in"
  | "sign_in_failed"
  | "second_factor_required"
  | "two_factor_enabled"
  | "two_factor_failed"
  | "two_factor_disabled"
  | "backup_codes_regenerated"
  | "password_changed";

export interface AuthEvent {
  kind: AuthEventKind;
  path: string;
  email: string | null;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  reason: string | null;
}

export interface AuthOptions {
  db: Kysely<DB>;
  dialect: "sqlite" | "postgres";
  secret: string;
  baseURL: string;
  trustedOrigins: string[];
  onAuthEvent: (e: AuthEvent) => Promise<void>;
  onSessionCreated?: (userId: string) => Promise<void>;
}

// Set by our HTTP mount from the request context (overwriting anything the client sent).
export const CLIENT_IP_HEADER = "x-mogplex-client-ip";
export const REQUEST_ID_HEADER = "x-mogplex-request-id";

// Security settings changed from a signed-in session.
const AUDITED_SESSION_CHANGES: Record<string, AuthEventKind> = {
  "/two-factor/disable": "two_factor_disabled",
  "/two-factor/generate-backup-codes": "backup_codes_regenerated",
  "/change-password": "password_changed",
};
const audited = (p: string | undefined) =>
  p === "/sign-in/email" ||
  (p?.startsWith("/two-factor/verify-") ?? false) ||
  (p !== undefined && Object.hasOwn(AUDITED_SESSION_CHANGES, p));

// Minimal view of Better Auth's hook context, for the parts the audit hook reads.
interface HookCtx {
  path?: string;
  body?: unknown;
  request?: Request;
  getSignedCookie: (name: string, secret: string) => Promise<string | null | false>;
  context: {
    returned?: unknown;
    secret: string;
    session: { user: { id: string; email: string } } | null;
    newSession: { user: { id: string; email: string } } | null;
    createAuthCookie: (name: string) => { name: string };
    internalAdapter: {
      findVerificationValue: (
        id: string,
      ) => Promise<{ value: string; expiresAt: Date | string } | null | undefined>;
      createVerificationValue: (v: {
        identifier: string;
        value: string;
        expiresAt: Date;
      }) => Promise<unknown>;
    };
  };
}

/** The user a pending second-factor challenge (the signed `two_factor` cookie) belongs to. */
async function challengeUser(ctx: HookCtx): Promise<string | null> {
  const id = await ctx.getSignedCookie(ctx.context.createAuthCookie("two_factor").name, ctx.context.secret);
  if (!id) return null;
  const v = await ctx.context.internalAdapter.findVerificationValue(id).catch(() => null);
  return v?.value ?? null;
}

// Better Auth accepts the previous, current and next 30-second step, so a code stays valid for 90 s at most.
const TOTP_REUSE_WINDOW_MS = 90_000;
/** Marks a (user, code) pair as spent; the code itself is not stored. */
const spentTotpId = (userId: string, code: string) => `mogplex-totp-spent:${sha256Hex(`${userId}:${code}`)}`;

/** Classifies a finished /api/auth call into the audit event it deserves, if any. */
async function classify(
  ctx: HookCtx,
): Promise<Omit<AuthEvent, "path" | "ip" | "userAgent" | "requestId"> | null> {
  const returned = ctx.context.returned as { twoFactorRedirect?: boolean } | undefined;
  const failed = isAPIError(returned);
  const reason = failed
    ? ((returned.body as { code?: string } | undefined)?.code ?? String(returned.statusCode))
    : null;
  const body = (ctx.body ?? {}) as { email?: unknown };
  const email =
    typeof body.email === "string" && EMAIL_SHAPE.test(body.email) ? body.email.slice(0, 254) : null;
  const path = ctx.path ?? "";
  const signedIn = ctx.context.newSession?.user ?? null;
  const sessionUser = ctx.context.session?.user ?? null;
  if (path === "/sign-in/email") {
    if (failed) return { kind: "sign_in_failed", email, userId: null, reason };
    if (returned?.twoFactorRedirect) return { kind: "second_factor_required", email, userId: null, reason };
    return signedIn ? { kind: "sign_in", email: signedIn.email, userId: signedIn.id, reason } : null;
  }
  if (path.startsWith("/two-factor/verify-")) {
    if (sessionUser) {
      // Verifying with a session is enrolment (Better Auth rotates the session when it turns 2FA on).
      if (failed)
        return { kind: "two_factor_failed", email: sessionUser.email, userId: sessionUser.id, reason };
      return signedIn
        ? { kind: "two_factor_enabled", email: signedIn.email, userId: signedIn.id, reason }
        : null;
    }
    if (failed) return { kind: "sign_in_failed", email: null, userId: await challengeUser(ctx), reason };
    return signedIn ? { kind: "sign_in", email: signedIn.email, userId: signedIn.id, reason } : null;
  }
  const change = Object.hasOwn(AUDITED_SESSION_CHANGES, path) ? AUDITED_SESSION_CHANGES[path] : undefined;
  if (change && !failed && sessionUser)
    return { kind: change, email: sessionUser.email, userId: sessionUser.id, reason };
  return null;
}

function requestFacts(ctx: HookCtx): Pick<AuthEvent, "path" | "ip" | "userAgent" | "requestId"> {
  const headers = ctx.request?.headers;
  return {
    path: ctx.path ?? "",
    ip: headers?.get(CLIENT_IP_HEADER) ?? null,
    userAgent: headers?.get("user-agent") ?? null,
    requestId: headers?.get(REQUEST_ID_HEADER) ?? null,
  };
}

/**
 * The failure behind the error response Better Auth is building for the request being handled. It turns errors
 * into responses of its own (an empty 500, or a 401 when a session could not be read); `Identity.handle`
 * rethrows the failure instead, so the catch-all answers it: 503 + Retry-After when the database is away, else
 * a logged 500 in our envelope.
 */
export const authFailure = new AsyncLocalStorage<{ error?: unknown }>();

/**
 * Better Auth's log lines. A database outage it logs (often just before answering something misleading, such as
 * 401 for a session it could not read) is handed to the request instead, whose answer says it; the rest go to
 * the console as Better Auth would print them.
 */
function authLog(level: "debug" | "info" | "warn" | "error", message: string, ...args: unknown[]): void {
  const outage = args.find(isDatabaseUnavailable);
  if (outage !== undefined) {
    const slot = authFailure.getStore();
    if (slot) slot.error ??= outage;
    return;
  }
  const line = `${new Date().toISOString()} ${level.toUpperCase()} [Better Auth]: ${message}`;
  if (level === "error") console.error(line, ...args);
  else if (level === "warn") console.warn(line, ...args);
  else console.log(line, ...args);
}

export function createAuth(o: AuthOptions) {
  return betterAuth({
    appName: "Mogplex",
    baseURL: o.baseURL,
    basePath: "/api/auth",
    secret: o.secret,
    database: { db: o.db as unknown as Kysely<Record<string, never>>, type: o.dialect, transaction: true },
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD,
      maxPasswordLength: 256,
      password: { hash: hashPassword, verify: ({ hash, password }) => argonVerify(hash, password) },
    },
    session: { expiresIn: SESSION_IDLE_SECONDS, updateAge: 15 * 60 },
    rateLimit: { enabled: false }, // ours runs in front, shared with the rest of the API
    trustedOrigins: o.trustedOrigins,
    telemetry: { enabled: false },
    // A thrown server-side failure (the database away, a bug) leaves auth.handler for our catch-all: 503 +
    // Retry-After or a logged 500 in our envelope, not an empty 500. One Better Auth wrapped in an APIError of its
    // own (e.g. FAILED_TO_GET_SESSION, caused by ours) is recorded by the after hook (see authFailure).
    onAPIError: { throw: true },
    logger: { log: authLog },
    hooks: {
      after: createAuthMiddleware(async (ctx) => {
        const returned = (ctx.context as { returned?: unknown }).returned;
        const slot = authFailure.getStore();
        if (slot && isAPIError(returned) && returned.statusCode >= 500) slot.error ??= returned;
      }),
    },
    advanced: {
      // Better Auth relaxes these when NODE_ENV=test; the shipped server never runs without them.
      disableCSRFCheck: false,
      disableOriginCheck: false,
      cookiePrefix: "mogplex",
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    plugins: [
      // OAuth 2.1 for MCP clients (oauth/provider.ts).
      ...mcpOAuthPlugins(new URL(o.baseURL).origin),
      twoFactor({
        issuer: "Mogplex",
        accountLockout: { enabled: true, maxFailedAttempts: 5, durationSeconds: 15 * 60 },
        backupCodeOptions: {
          amount: 10,
          storeBackupCodes: {
            encrypt: async (json: string) =>
              JSON.stringify(
                (JSON.parse(json) as string[]).map((c) => (isHashedCode(c) ? c : hashBackupCode(c))),
              ),
            decrypt: async (stored: string) => stored,
          },
        },
      }),
      {
        id: "mogplex-audit",
        hooks: {
          before: [
            {
              // A TOTP code signs in once (NIST SP 800-63B); Better Auth alone accepts it for its whole window.
              matcher: (ctx: { path?: string }) => ctx.path === "/two-factor/verify-totp",
              handler: createAuthMiddleware(async (ctx) => {
                const hc = ctx as unknown as HookCtx;
                const code = (ctx.body as { code?: unknown } | undefined)?.code;
                if (typeof code !== "string") return;
                const userId = await challengeUser(hc);
                if (!userId) return;
                const spent = await hc.context.internalAdapter
                  .findVerificationValue(spentTotpId(userId, code))
                  .catch(() => null);
                if (!spent || new Date(spent.expiresAt).getTime() <= Date.now()) return;
                await o.onAuthEvent({
                  kind: "sign_in_failed",
                  email: null,
                  userId,
                  reason: "TOTP_REUSED",
                  ...requestFacts(hc),
                });
                throw new APIError("UNAUTHORIZED", { message: "Invalid code", code: "INVALID_CODE" });
              }),
            },
          ],
          after: [
            {
              matcher: (ctx: { path?: string }) => audited(ctx.path),
              handler: createAuthMiddleware(async (ctx) => {
                const hc = ctx as unknown as HookCtx;
                const event = await classify(hc);
                if (!event) return;
                await o.onAuthEvent({ ...event, ...requestFacts(hc) });
                const code = (ctx.body as { code?: unknown } | undefined)?.code;
                if (
                  event.kind === "sign_in" &&
                  event.userId &&
                  ctx.path === "/two-factor/verify-totp" &&
                  typeof code === "string"
                ) {
                  await hc.context.internalAdapter.createVerificationValue({
                    identifier: spentTotpId(event.userId, code),
                    value: "spent",
                    expiresAt: new Date(Date.now() + TOTP_REUSE_WINDOW_MS),
                  });
                }
              }),
            },
          ],
        },
      },
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
