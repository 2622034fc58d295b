// The one way the app talks to the server: same-origin JSON with the session cookie; never a token.
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    /** Seconds from Retry-After (429, 503), when the server sent it. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** A refusal for going too fast: say so and when to retry, never "not answering". */
export const isRateLimited = (err: unknown): err is ApiFailure =>
  err instanceof ApiFailure && err.status === 429;

export const tooManyRequests = (seconds: number | null) =>
  seconds === null
    ? "Too many requests — wait a moment and try again"
    : `Too many requests — try again in ${seconds} s`;

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called when a request answers 401: the session ended (expired, revoked, signed out elsewhere). */
export function onSignedOut(l: Listener): () => void {
  signedOutListeners.add(l);
  return () => signedOutListeners.delete(l);
}

let activeTeam: string | null = null;
/** The team (id) requests act in; sent as X-Mogplex-Team, the server checks membership. */
export function setActiveTeam(teamId: string | null): void {
  activeTeam = teamId;
}
export const currentTeam = () => activeTeam;

export interface RequestOptions {
  body?: unknown;
  /** Leave 401 to the caller (sign-in pages) instead of treating it as "session ended". */
  quiet401?: boolean;
  signal?: AbortSignal;
  /** Extra request headers, e.g. Idempotency-Key; they cannot replace the ones set here. */
  headers?: Record<string, string>;
  /** A raw body (an upload) of this Content-Type instead of JSON. */
  raw?: { type: string; data: Blob };
}

function failureFrom(res: Response, parsed: unknown): ApiFailure {
  const headerId = res.headers.get("x-request-id");
  const b = (parsed ?? {}) as Record<string, unknown>;
  const retry = res.headers.get("retry-after");
  const retryAfter = retry && /^\d{1,6}$/.test(retry) ? Number(retry) : null;
  if (res.status === 429) {
    const env = b.error as { code?: unknown; requestId?: unknown } | undefined;
    const id = typeof env?.requestId === "string" ? env.requestId : headerId;
    return new ApiFailure(
      429,
      String(env?.code ?? "RATE_LIMITED"),
      tooManyRequests(retryAfter),
      id,
      retryAfter,
    );
  }
  // Our envelope: {ok:false, error:{code, message, requestId}}.
  const env = b.error as { code?: unknown; message?: unknown; requestId?: unknown } | undefined;
  if (b.ok === false && env && typeof env.message === "string") {
    const id = typeof env.requestId === "string" ? env.requestId : headerId;
    return new ApiFailure(res.status, String(env.code ?? "ERROR"), env.message, id, retryAfter);
  }
  // Better Auth (/api/auth/*): {code, message}.
  if (typeof b.message === "string" && b.message.length > 0) {
    return new ApiFailure(res.status, String(b.code ?? "ERROR"), b.message, headerId);
  }
  // OAuth-style: {error, error_description}.
  if (typeof b.error_description === "string") {
    return new ApiFailure(res.status, String(b.error ?? "ERROR"), b.error_description, headerId);
  }
  const generic =
    res.status >= 500
      ? "The server could not complete the request."
      : `The request failed (HTTP ${res.status}).`;
  return new ApiFailure(res.status, "ERROR", generic, headerId);
}

export async function api<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...o.headers, accept: "application/json" };
  if (o.body !== undefined) headers["content-type"] = "application/json";
  if (o.raw) headers["content-type"] = o.raw.type;
  if (activeTeam) headers["x-mogplex-team"] = activeTeam;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: o.raw ? o.raw.data : o.body === undefined ? undefined : JSON.stringify(o.body),
      credentials: "same-origin",
      cache: "no-store",
      signal: o.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiFailure(0, "NETWORK", "Could not reach the server. Check your connection and retry.", null);
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    const failure = failureFrom(res, parsed);
    if (res.status === 401 && !o.quiet401) for (const l of signedOutListeners) l();
    throw failure;
  }
  const b = parsed as { ok?: unknown; data?: unknown } | null;
  if (b && b.ok === true && "data" in b) return b.data as T;
  return parsed as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>("GET", path, { signal });
export const post = <T>(path: string, body: unknown = {}) => api<T>("POST", path, { body });
export const del = <T>(path: string) => api<T>("DELETE", path);

export function errorText(err: unknown): { message: string; requestId: string | null } {
  if (err instanceof ApiFailure) return { message: err.message, requestId: err.requestId };
  return { message: "Something went wrong in the page. Reload and try again.", requestId: null };
}
