// JSON calls to the server's CLI sign-in endpoints (not part of the public v1 API), with a timeout.
import { TemporaryError, UnavailableError } from "../errors.js";
import { USER_AGENT } from "../version.js";

export const SIGN_IN_TIMEOUT_MS = 30_000;

export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
  retryAfterSeconds: number | undefined;
}

export async function postJson(
  base: string,
  path: string,
  body: unknown,
  log: (fields: Record<string, unknown>) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<JsonReply> {
  const started = Date.now();
  let res: Response;
  let text: string;
  try {
    res = await fetchImpl(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "user-agent": USER_AGENT },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SIGN_IN_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    const why = e.name === "TimeoutError" ? "no answer in time" : e.message;
    throw new TemporaryError(`cannot reach ${base}: ${why}`);
  }
  log({
    method: "POST",
    path,
    status: res.status,
    ms: Date.now() - started,
    requestId: res.headers.get("x-request-id"),
  });
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  const retry = res.headers.get("retry-after");
  return {
    status: res.status,
    body: typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {},
    retryAfterSeconds: retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
  };
}

/** A rate limit or outage answer from a sign-in endpoint, as the CLI's error. */
export function unavailable(r: JsonReply): TemporaryError | UnavailableError | null {
  if (r.status === 429)
    return new TemporaryError("too many sign-in attempts; wait and try again", r.retryAfterSeconds);
  if (r.status === 503)
    return new UnavailableError("the server is temporarily unavailable", r.retryAfterSeconds);
  return null;
}
