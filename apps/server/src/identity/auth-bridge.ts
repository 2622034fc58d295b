// Forwards a request to Better Auth: the client IP and request id it records come from the caller (the
// socket, never a client header), backup codes are hashed on the way in and session tokens removed on the
// way out. Plain Request/Response: the HTTP edge (identity/routes.ts) hands the request over.
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { type Auth, authFailure, CLIENT_IP_HEADER, hashBackupCode, REQUEST_ID_HEADER } from "./auth.js";

export interface ForwardMeta {
  clientIp: string;
  requestId: string;
  /** Stands in for a missing Origin header on a request the caller already found to be same-origin. */
  origin?: string;
}

async function readBackupCodeBody(req: Request): Promise<{ code: string } | null> {
  if (!(req.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) return null;
  try {
    const parsed = JSON.parse(await req.text()) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    const code = (parsed as { code?: unknown }).code;
    return typeof code === "string" ? (parsed as { code: string }) : null;
  } catch {
    return null;
  }
}

export async function forwardToBetterAuth(auth: Auth, req: Request, meta: ForwardMeta): Promise<Response> {
  const headers = new Headers(req.headers);
  if (meta.origin && !headers.has("origin")) headers.set("origin", meta.origin);
  headers.set(CLIENT_IP_HEADER, meta.clientIp);
  headers.set(REQUEST_ID_HEADER, meta.requestId);
  let body: string | ReadableStream<Uint8Array> | null = req.body;
  if (req.method === "POST" && new URL(req.url).pathname.endsWith("/two-factor/verify-backup-code")) {
    // Stored backup codes are digests: always hash what was submitted, so a leaked digest is not itself a
    // code. Only JSON is accepted here: a form body would reach Better Auth unhashed.
    const parsed = await readBackupCodeBody(req);
    if (!parsed) {
      return Response.json(
        { message: "Expected a JSON body with a string code", code: "INVALID_REQUEST_BODY" },
        { status: 400 },
      );
    }
    parsed.code = hashBackupCode(parsed.code);
    body = JSON.stringify(parsed);
    headers.set("content-type", "application/json");
    headers.delete("content-length");
  }
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, body, duplex: "half" };
  const failed: { error?: unknown } = {};
  const res = await authFailure.run(failed, () =>
    auth.handler(
      new Request(
        req.url,
        req.method === "GET" || req.method === "HEAD" ? { method: req.method, headers } : init,
      ),
    ),
  );
  // A server-side failure (the database away, a bug) goes to the catch-all: 503 + Retry-After or a logged 500.
  if (failed.error !== undefined && (res.status >= 500 || isDatabaseUnavailable(failed.error)))
    throw failed.error;
  return withoutSessionTokens(res);
}

/**
 * Better Auth echoes the session token (the httpOnly cookie's value) in JSON bodies — sign-in, 2FA
 * verification, get-session. Page script must never see it, so it is removed; the cookie carries the session.
 */
export async function withoutSessionTokens(res: Response): Promise<Response> {
  if (!(res.headers.get("content-type") ?? "").includes("application/json")) return res;
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  }
  if (json && typeof json === "object") {
    const o = json as { token?: unknown; session?: { token?: unknown } | null };
    delete o.token;
    if (o.session && typeof o.session === "object") delete o.session.token;
  }
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(json), { status: res.status, statusText: res.statusText, headers });
}
