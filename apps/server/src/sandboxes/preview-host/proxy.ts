// One request on a preview host, forwarded to the sandbox's dev server through its port bridge: a fixed list of
// request headers (the dev server's own cookies, never Mogplex's or any Authorization), a capped body, a timeout.
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Readable, Transform } from "node:stream";
import { Failure, failure } from "../../failure.js";
import type { LivePreview } from "../previews.js";
import { forwardedCookies, returnedSetCookies } from "./cookies.js";
import { rewriteLocation } from "./paths.js";

/** Request bodies larger than this are refused (413) before the dev server sees more. */
export const PREVIEW_BODY_LIMIT = 10 * 1024 * 1024;
/** How long the dev server may take to start answering one request. */
export const ANSWER_TIMEOUT_MS = 60_000;

// Only these request headers reach the dev server (plus its own cookies): never Authorization or Mogplex's cookies.
export const FORWARD = [
  "accept",
  "accept-language",
  "cache-control",
  "content-type",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "origin",
  "pragma",
  "range",
  "referer",
  "user-agent",
  "x-requested-with",
];
// Only these response headers come back (plus Set-Cookie without Mogplex's names, and Location).
const RETURN = [
  "accept-ranges",
  "content-disposition",
  "content-language",
  "content-range",
  "content-type",
  "etag",
  "last-modified",
  "vary",
];

export const notAnswering = () =>
  failure("SERVICE_UNAVAILABLE", "The preview's dev server is not answering (yet); try again shortly", {
    retryAfterSeconds: 2,
  });
const tooLarge = () => failure("PAYLOAD_TOO_LARGE", "Request body too large for a preview");

/** Counts the request body on its way through; past the limit the stream fails (the caller answers 413). */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
}

function send(r: Request, sock: Socket, target: string, port: number): Promise<IncomingMessage> {
  const headers: Record<string, string> = { host: `localhost:${port}`, connection: "close" };
  for (const name of FORWARD) {
    const v = r.headers.get(name);
    if (v !== null) headers[name] = v;
  }
  const cookie = forwardedCookies(r.headers.get("cookie") ?? undefined);
  if (cookie) headers.cookie = cookie;
  const declared = Number(r.headers.get("content-length") ?? "0");
  if (declared > PREVIEW_BODY_LIMIT) {
    sock.destroy();
    return Promise.reject(tooLarge());
  }
  const method = r.method;
  const hasBody = r.body !== null && !["GET", "HEAD"].includes(method);
  if (hasBody && r.headers.has("content-length")) headers["content-length"] = String(declared);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ createConnection: () => sock, method, path: target, headers });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
    req.once("response", resolve);
    req.once("error", (err) => reject(err instanceof Failure ? err : notAnswering()));
    if (!hasBody || !r.body) {
      req.end();
      return;
    }
    const body = Readable.fromWeb(r.body as import("node:stream/web").ReadableStream);
    const limit = capped(PREVIEW_BODY_LIMIT);
    limit.once("error", (err) => req.destroy(err));
    body.once("error", (err) => req.destroy(err));
    body.pipe(limit).pipe(req);
  });
}

/** Forwards the request to the dev server and streams its answer back. */
export async function proxyToDevServer(r: Request, live: LivePreview): Promise<Response> {
  live.activity();
  const sock = await live.connect().catch(() => {
    throw notAnswering();
  });
  const url = new URL(r.url);
  const res = await send(r, sock, `${url.pathname}${url.search}`, live.port);
  // Answers depend on who asked: never kept by a shared cache.
  const headers = new Headers({ "cache-control": "no-store" });
  for (const name of RETURN) {
    const v = res.headers[name];
    if (typeof v === "string") headers.set(name, v);
  }
  for (const line of returnedSetCookies(res.headers["set-cookie"])) headers.append("set-cookie", line);
  const location = res.headers.location;
  if (location) headers.set("location", rewriteLocation(location, live.port));
  const status = res.statusCode ?? 502;
  const empty = r.method === "HEAD" || status === 204 || status === 304;
  if (empty) res.resume();
  const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream);
  return new Response(body, { status, headers });
}
