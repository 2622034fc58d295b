// Typed client for the registry API (/api/v1/registry): one method per REGISTRY_ROUTES entry, responses parsed
// with the contract. `fetchBlob` follows a signed download URL (no token: the signature is the grant).
import {
  type CreateDownloadRequest,
  type CreateVendorRequest,
  REGISTRY_BASE,
  REGISTRY_ROUTES,
  type RegistryRouteName,
  type UploadQuery,
} from "@mogplex/contract";
import type { z } from "zod";
import { MogplexApiError, MogplexNetworkError, MogplexTransportError } from "./errors.js";

type Out<N extends RegistryRouteName> = z.infer<(typeof REGISTRY_ROUTES)[N]["response"]>;

export interface RegistryClientOptions {
  /** The server's base URL (`http://127.0.0.1:4100`), not the API path. */
  baseUrl: string;
  /** A PAT; not needed for `getRegistryKey` and `fetchBlob`. */
  token?: string;
  fetch?: typeof fetch;
  userAgent?: string;
  timeoutMs?: number;
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  zip?: Uint8Array;
  headers?: Record<string, string>;
}

export class RegistryClient {
  private readonly origin: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: RegistryClientOptions) {
    this.origin = o.baseUrl.replace(/\/+$/, "");
    this.doFetch = o.fetch ?? fetch;
  }

  private async call<N extends RegistryRouteName>(name: N, c: Call = {}): Promise<Out<N>> {
    const spec = REGISTRY_ROUTES[name] as (typeof REGISTRY_ROUTES)[RegistryRouteName];
    const path = spec.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(c.params?.[k] ?? ""));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined && v !== "") qs.set(k, String(v));
    const url = `${this.origin}${"root" in spec && spec.root ? "" : REGISTRY_BASE}${path}${qs.size ? `?${qs}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json", ...c.headers };
    if (spec.auth === "pat" && this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    if (this.o.userAgent) headers["user-agent"] = this.o.userAgent;
    let body: RequestInit["body"];
    if (c.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(c.json);
    } else if (c.zip) {
      headers["content-type"] = "application/zip";
      body = c.zip as unknown as RequestInit["body"];
    }
    const res = await this.send(url, { method: spec.method.toUpperCase(), headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      if (!res.ok) throw apiError(res, undefined);
      throw new MogplexTransportError(`unexpected response (HTTP ${res.status}) from ${this.o.baseUrl}`);
    }
    if (!res.ok) throw apiError(res, json);
    const env = json as { ok?: boolean; data?: unknown };
    const parsed = spec.response.safeParse(env?.data);
    if (!env?.ok || !parsed.success)
      throw new MogplexTransportError(`response for ${name} does not match the contract`);
    return parsed.data as Out<N>;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.doFetch(url, {
        ...init,
        signal: this.o.timeoutMs ? AbortSignal.timeout(this.o.timeoutMs) : undefined,
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === "TimeoutError" ? `no answer within ${this.o.timeoutMs} ms` : e.message;
      throw new MogplexNetworkError(`cannot reach ${this.o.baseUrl}: ${why}`);
    }
  }

  searchPackages(o: { q?: string; type?: string; limit?: number; cursor?: string } = {}) {
    return this.call("searchPackages", { query: { ...o } });
  }
  /** `name` is `vendor/slug`. */
  getPackage(name: string) {
    const [vendor = "", slug = ""] = name.split("/");
    return this.call("getPackage", { params: { vendor, slug } });
  }
  createVendor(body: CreateVendorRequest) {
    return this.call("createVendor", { json: body });
  }
  getVendor(slug: string) {
    return this.call("getVendor", { params: { slug } });
  }
  uploadRelease(zip: Uint8Array, query: Partial<Record<keyof UploadQuery, string | number>> = {}) {
    return this.call("uploadRelease", { zip, query });
  }
  getRelease(releaseId: string) {
    return this.call("getRelease", { params: { releaseId } });
  }
  /** Free listings are granted at once; a priced one may throw PAYMENT_REQUIRED with `details.approvalUrl`. */
  acquire(name: string, idempotencyKey?: string) {
    return this.call("createEntitlement", {
      json: { name },
      ...(idempotencyKey ? { headers: { "idempotency-key": idempotencyKey } } : {}),
    });
  }
  listEntitlements() {
    return this.call("listEntitlements");
  }
  createDownload(body: CreateDownloadRequest) {
    return this.call("createDownload", { json: body });
  }
  getRegistryKey() {
    return this.call("getRegistryKey");
  }

  /** The archive behind a signed URL from `createDownload` (verify it against the signed statement). */
  async fetchBlob(url: string): Promise<Uint8Array> {
    const res = await this.send(url, { headers: { accept: "application/zip" } });
    if (!res.ok) {
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        json = undefined;
      }
      throw apiError(res, json);
    }
    return new Uint8Array(await res.arrayBuffer());
  }
}

function apiError(res: Response, json: unknown): MogplexApiError {
  const err = (
    json as
      | {
          error?: { code?: string; message?: string; requestId?: string; details?: { approvalUrl?: string } };
        }
      | undefined
  )?.error;
  const retry = res.headers.get("retry-after");
  return new MogplexApiError(
    res.status,
    err?.code ?? `HTTP_${res.status}`,
    err?.message ?? `HTTP ${res.status}`,
    err?.requestId ?? res.headers.get("x-request-id") ?? undefined,
    retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
    err?.details,
  );
}
