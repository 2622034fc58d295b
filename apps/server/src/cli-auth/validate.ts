// Pure checks for CLI sign-in inputs: the loopback callback, PKCE S256, nonces and user codes.
import { createHash } from "node:crypto";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** RFC 7636 §4.1: 43–128 unreserved characters. */
export const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** base64url(SHA-256) without padding is always 43 characters. */
export const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;
export const NONCE_RE = /^[0-9a-f]{32}$/;
/** RFC 8628 §6.1: consonants only, so no words and nothing to confuse (no 0/O, 1/I/L digits at all). */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

/**
 * The callback must be exactly `http://<loopback>:<port>/callback` with 1024 ≤ port ≤ 65535 and nothing else:
 * no credentials, query or fragment, and no spelling the URL parser would rewrite (`127.1`, `%2F`, …).
 */
export function parseLoopbackCallback(raw: unknown): URL | null {
  if (typeof raw !== "string" || raw.length > 100) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" || !LOOPBACK_HOSTS.has(u.hostname)) return null;
  if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "") return null;
  if (!/^\d{4,5}$/.test(u.port)) return null;
  const port = Number(u.port);
  if (port < 1024 || port > 65535) return null;
  if (u.pathname !== "/callback") return null;
  if (u.href !== raw) return null;
  return u;
}

export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Upper-cases and drops separators, so `bcdf-ghjk`, `BCDF GHJK` and `BCDFGHJK` are the same code. */
export function normaliseUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== 8) return null;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

export const formatUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** `CLI on <YYYY-MM-DD>` in UTC. */
export const cliTokenName = (now: number) => `CLI on ${new Date(now).toISOString().slice(0, 10)}`;
