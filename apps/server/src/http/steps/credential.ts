// Key/token authentication and the key's own IP allowlist: the steps every key-authenticated route runs first.
import type { Context } from "hono";
import { ApiError, unauthorized } from "../errors.js";
import type { AppEnv } from "../types.js";

/** What a request presented: nothing, something that isn't a credential, or a secret to verify. */
export type Presented = { kind: "none" } | { kind: "malformed" } | { kind: "secret"; secret: string };

const BEARER = /^Bearer ([^\s]+)$/;
const BEARER_ANY_CASE = /^Bearer ([^\s]+)$/i;

/** `Authorization: Bearer <token>`, exactly (the public API's form). */
export function bearer(c: Context<AppEnv>): Presented {
  const header = c.req.header("authorization");
  if (!header) return { kind: "none" };
  const secret = BEARER.exec(header)?.[1];
  return secret ? { kind: "secret", secret } : { kind: "malformed" };
}

/**
 * `Authorization: Bearer <key>` (any case) or, without an Authorization header, `X-API-Key`: the forms MCP
 * clients send. A malformed Authorization header counts as no key.
 */
export function bearerOrApiKey(c: Context<AppEnv>): Presented {
  const header = c.req.header("authorization");
  const secret = header ? BEARER_ANY_CASE.exec(header)?.[1] : c.req.header("x-api-key");
  return secret ? { kind: "secret", secret } : { kind: "none" };
}

export interface CredentialSpec<P> {
  presented: Presented;
  /** Signature/lookup/hash check: the principal, or null for an unknown, expired or revoked credential. */
  verify: (secret: string) => Promise<P | null>;
  messages: { missing: string; malformed?: string; invalid: string };
  /** Called once per failed authentication before the refusal (e.g. to count it against the address). */
  onFailure?: () => Promise<void>;
}

/** Authenticates the presented credential; throws UNAUTHORIZED with the matching WWW-Authenticate challenge. */
export async function authenticateKey<P>(spec: CredentialSpec<P>): Promise<P> {
  const p = spec.presented;
  const principal = p.kind === "secret" ? await spec.verify(p.secret) : null;
  if (principal) return principal;
  await spec.onFailure?.();
  if (p.kind === "none") throw unauthorized(spec.messages.missing);
  if (p.kind === "malformed") throw unauthorized(spec.messages.malformed ?? spec.messages.missing, true);
  throw unauthorized(spec.messages.invalid, true);
}

/** The key's own IP allowlist (if it has one) must admit the client's address; FORBIDDEN otherwise. */
export function requireAllowedAddress(
  c: Context<AppEnv>,
  principal: { ipAllowlist: { allows(ip: string): boolean } | null },
  message: string,
): void {
  if (principal.ipAllowlist && !principal.ipAllowlist.allows(c.get("clientIp"))) {
    throw new ApiError("FORBIDDEN", message);
  }
}
