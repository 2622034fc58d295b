// A small typed client for the registry routes (REGISTRY_ROUTES in the contract): bodies and queries in,
// responses parsed with the contract's schemas, failures as MogErrors that keep the server's code, request id
// and `approvalUrl` (a 402 with one is ApprovalRequiredError, exit 2). Request metadata goes to the session
// log; the token never does.
import { ErrorBody, REGISTRY_BASE, REGISTRY_ROUTES, type RegistryRouteName } from "@mogplex/contract";
import { DEFAULT_LIMITS } from "@mogplex/pkgfmt";
import type { z } from "zod";
import { USER_AGENT } from "../version.js";
import { ApprovalRequiredError, MogError, RegistryError } from "./errors.js";

export const REQUEST_TIMEOUT_MS = 30_000;
/** Uploads and downloads carry up to the archive limit: give them longer. */
export const TRANSFER_TIMEOUT_MS = 300_000;

type Out<N extends RegistryRouteName> = z.infer<(typeof REGISTRY_ROUTES)[N]["response"]>;

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  zip?: Uint8Array;
}

export interface RegistryApiOptions {
  base: string;
  token: string | null;
  log?: (fields: Record<string, unknown>) => void;
  fetch?: typeof fetch;
}

const NOT_SIGNED_IN = "run `mog auth` to sign in, or set MOG_TOKEN";

export class RegistryApi {
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: RegistryApiOptions) {
    this.doFetch = o.fetch ?? fetch;
  }

  get base(): string {
    return this.o.base;
  }

  async call<N extends RegistryRouteName>(name: N, c: CallOptions = {}): Promise<Out<N>> {
    const spec = REGISTRY_ROUTES[name];
    const auth = spec.auth !== "none";
    if (auth && !this.o.token) throw new MogError("UNAUTHENTICATED", `not signed in: ${NOT_SIGNED_IN}`);
    const path = spec.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(c.params?.[k] ?? ""));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined && v !== "") qs.set(k, String(v));
    const full = ("root" in spec && spec.root ? "" : REGISTRY_BASE) + path;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": USER_AGENT };
    if (auth && this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    let body: string | Uint8Array | undefined;
    if (c.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(c.json);
    } else if (c.zip) {
      headers["content-type"] = "application/zip";
      body = c.zip;
    }
    const method = spec.method.toUpperCase();
    const res = await this.fetch(`${this.o.base}${full}${qs.size ? `?${qs}` : ""}`, full, {
      method,
      headers,
      body: body as RequestInit["body"],
      signal: AbortSignal.timeout(c.zip ? TRANSFER_TIMEOUT_MS : REQUEST_TIMEOUT_MS),
    });
    const text = await res.text().catch(() => "");
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw failure(res, json);
    const data = (json as { ok?: boolean; data?: unknown } | undefined)?.data;
    const parsed = spec.response.safeParse(data);
    if (!parsed.success)
      throw new MogError(
        "BAD_RESPONSE",
        `the server's answer to ${name} does not match the registry contract`,
      );
    return parsed.data as Out<N>;
  }

  /**
   * Fetches a signed blob URL (no token: the signature is the grant). The URL must be on this server; the body
   * is capped at the archive limit; `progress` sees bytes received and the total when the server says it.
   */
  async download(url: string, progress?: (received: number, total: number | null) => void): Promise<Buffer> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new MogError("BAD_RESPONSE", "the download URL is not a URL");
    }
    if (u.origin !== new URL(this.o.base).origin)
      throw new MogError("BAD_RESPONSE", `the download URL points at ${u.origin}, not at ${this.o.base}`);
    const res = await this.fetch(u.href, u.pathname, {
      headers: { "user-agent": USER_AGENT },
      signal: AbortSignal.timeout(TRANSFER_TIMEOUT_MS),
    });
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => "");
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {}
      throw failure(res, json);
    }
    const max = DEFAULT_LIMITS.maxArchiveBytes;
    const declared = Number(res.headers.get("content-length"));
    const total = Number.isFinite(declared) && declared > 0 ? declared : null;
    if (total !== null && total > max)
      throw new MogError("ARCHIVE_TOO_LARGE", `the archive is ${total} bytes; the limit is ${max}`);
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        received += chunk.byteLength;
        if (received > max)
          throw new MogError("ARCHIVE_TOO_LARGE", `the archive is over the ${max}-byte limit`);
        chunks.push(Buffer.from(chunk));
        progress?.(received, total);
      }
    } catch (err) {
      if (err instanceof MogError) throw err;
      throw new MogError("NETWORK", `the download from ${this.o.base} broke off: ${(err as Error).message}`);
    }
    return Buffer.concat(chunks);
  }

  private async fetch(url: string, path: string, init: RequestInit): Promise<Response> {
    const started = Date.now();
    let res: Response;
    try {
      res = await this.doFetch(url, init);
    } catch (err) {
      const e = err as Error;
      const why = e.name === "TimeoutError" ? "no answer in time" : e.message;
      throw new MogError("NETWORK", `cannot reach ${this.o.base}: ${why}`);
    }
    // The path only: a blob URL's query is its signature.
    this.o.log?.({
      method: init.method ?? "GET",
      path,
      status: res.status,
      ms: Date.now() - started,
      requestId: res.headers.get("x-request-id"),
    });
    return res;
  }
}

function failure(res: Response, json: unknown): MogError {
  const parsed = ErrorBody.safeParse(json);
  const requestId = res.headers.get("x-request-id") ?? undefined;
  if (!parsed.success)
    return new RegistryError("HTTP_ERROR", `the server answered HTTP ${res.status}`, res.status, requestId);
  const { code, message, details } = parsed.data.error;
  if (res.status === 402 && details?.approvalUrl)
    return new ApprovalRequiredError(message, details.approvalUrl);
  const hint = res.status === 401 ? ` (${NOT_SIGNED_IN})` : "";
  return new RegistryError(code, `${message}${hint}`, res.status, requestId, details);
}
