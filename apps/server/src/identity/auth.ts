// Better Auth configured for Mogplex: email+password (Argon2id), TOTP 2FA with lockout, device flow, no sign-up.
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import { betterAuth } from "better-auth";
import { createAuthMiddleware, isAPIError } from "better-auth/api";
import { deviceAuthorization } from "better-auth/plugins/device-authorization";
import { twoFactor } from "better-auth/plugins/two-factor";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
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

export interface SignInEvent {
  outcome: "success" | "failure" | "second_factor_required";
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
  onSignIn: (e: SignInEvent) => Promise<void>;
  onSessionCreated?: (userId: string) => Promise<void>;
}

// Set by our HTTP mount from the request context (overwriting anything the client sent).
export const CLIENT_IP_HEADER = "x-mogplex-client-ip";
export const REQUEST_ID_HEADER = "x-mogplex-request-id";

export function createAuth(o: AuthOptions) {
  const signInPaths = (p: string | undefined) =>
    p === "/sign-in/email" || (p?.startsWith("/two-factor/verify-") ?? false);
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
    advanced: {
      // Better Auth relaxes these when NODE_ENV=test; the shipped server never runs without them.
      disableCSRFCheck: false,
      disableOriginCheck: false,
      cookiePrefix: "mogplex",
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    plugins: [
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
      deviceAuthorization({ expiresIn: "10m", interval: "5s" }),
      {
        id: "mogplex-audit",
        hooks: {
          after: [
            {
              matcher: (ctx: { path?: string }) => signInPaths(ctx.path),
              handler: createAuthMiddleware(async (ctx) => {
                const returned = ctx.context.returned as { twoFactorRedirect?: boolean } | undefined;
                const body = (ctx.body ?? {}) as { email?: unknown };
                const headers = ctx.request?.headers;
                const base = {
                  path: ctx.path,
                  email:
                    typeof body.email === "string" && EMAIL_SHAPE.test(body.email)
                      ? body.email.slice(0, 254)
                      : null,
                  ip: headers?.get(CLIENT_IP_HEADER) ?? null,
                  userAgent: headers?.get("user-agent") ?? null,
                  requestId: headers?.get(REQUEST_ID_HEADER) ?? null,
                };
                if (isAPIError(returned)) {
                  const code =
                    (returned.body as { code?: string } | undefined)?.code ?? String(returned.statusCode);
                  await o.onSignIn({ ...base, outcome: "failure", userId: null, reason: code });
                  return;
                }
                if (returned?.twoFactorRedirect) {
                  await o.onSignIn({
                    ...base,
                    outcome: "second_factor_required",
                    userId: null,
                    reason: null,
                  });
                  return;
                }
                const s = ctx.context.newSession;
                if (s) {
                  await o.onSignIn({
                    ...base,
                    email: s.user.email,
                    outcome: "success",
                    userId: s.user.id,
                    reason: null,
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
