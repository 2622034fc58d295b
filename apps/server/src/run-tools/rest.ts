// A run's `http_request` tool on a REST connection: only under the connection's base URL and with its methods;
// the stored headers are added here, on the host, and never shown; redirects are not followed; the answer is
// size-capped before anything reads it whole.

export const REST_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type RestMethod = (typeof REST_METHODS)[number];
/** What a connection allows when it names no methods: reading only. */
export const DEFAULT_REST_METHODS: readonly RestMethod[] = ["GET", "HEAD"];

export interface RestTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  methods: readonly RestMethod[];
}

export interface RestInput {
  method: string;
  path: string;
  query?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
}

export const RESPONSE_MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 30_000;
/** Headers a run may not set: credentials, and what the host owns on the connection. */
const FORBIDDEN_HEADERS =
  /^(authorization|proxy-.*|cookie|host|content-length|connection|transfer-encoding|x-api-key|te|upgrade)$/i;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

export class RestRefusal extends Error {
  override readonly name = "RestRefusal";
}

export function restMethods(stored: string | null): readonly RestMethod[] {
  if (stored === null) return DEFAULT_REST_METHODS;
  return (JSON.parse(stored) as string[]).filter((m): m is RestMethod =>
    (REST_METHODS as readonly string[]).includes(m),
  );
}

/** The request URL, refused unless it stays under the connection's base URL. */
export function requestUrl(base: string, path: string, query?: Record<string, string>): URL {
  const root = new URL(base);
  const rootPath = root.pathname.endsWith("/") ? root.pathname : `${root.pathname}/`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("//") || path.includes("\\"))
    throw new RestRefusal("path must be relative to the connection's base URL");
  const u = new URL(path.replace(/^\/+/, ""), `${root.origin}${rootPath}`);
  const inside = u.pathname === root.pathname || u.pathname.startsWith(rootPath);
  if (u.origin !== root.origin || !inside || u.username || u.password)
    throw new RestRefusal(`path leaves the connection's base URL ${root.origin}${rootPath}`);
  for (const [k, v] of root.searchParams) u.searchParams.append(k, v);
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.append(k, v);
  return u;
}

async function readCapped(res: Response, max: number): Promise<{ text: string; cut: boolean }> {
  if (!res.body) return { text: "", cut: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      cut = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), cut };
}

/** Makes the request; the text the model gets back (status, content type, body), not yet redacted. */
export async function restRequest(
  t: RestTarget,
  input: RestInput,
  signal: AbortSignal,
): Promise<{ ok: boolean; status: number; text: string; bytes: number }> {
  const method = input.method.toUpperCase();
  if (!(t.methods as readonly string[]).includes(method))
    throw new RestRefusal(`method ${method} is not allowed on ${t.name} (allowed: ${t.methods.join(", ")})`);
  const url = requestUrl(t.url, input.path, input.query);
  const headers = new Headers();
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    if (!TOKEN.test(k) || FORBIDDEN_HEADERS.test(k))
      throw new RestRefusal(`header ${k} cannot be set by a run`);
    headers.set(k, v);
  }
  // The connection's own headers last: a run can't replace them.
  for (const [k, v] of Object.entries(t.headers)) headers.set(k, v);
  if (input.body !== undefined && (method === "GET" || method === "HEAD"))
    throw new RestRefusal(`a ${method} request has no body`);
  const res = await fetch(url, {
    method,
    headers,
    body: input.body,
    redirect: "manual",
    signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
  });
  const { text, cut } = await readCapped(res, RESPONSE_MAX_BYTES);
  const lines = [`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`];
  const type = res.headers.get("content-type");
  if (type) lines.push(`content-type: ${type}`);
  const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
  if (location) lines.push(`location: ${location} (redirects are not followed)`);
  const body = cut ? `${text}\n…[response cut at ${RESPONSE_MAX_BYTES} bytes]` : text;
  return {
    ok: res.ok,
    status: res.status,
    text: `${lines.join("\n")}\n\n${body}`,
    bytes: Buffer.byteLength(text),
  };
}
