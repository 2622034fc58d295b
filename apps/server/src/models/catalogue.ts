// The model catalogue's sources: the built-in providers' well-known models and the models the OpenAI-compatible
// endpoint lists (fetched with a timeout, cached briefly; a failure is a short fixed-form reason, never upstream
// text, and never includes the endpoint's URL, which may carry credentials).
import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";

/** Well-known models of the built-in providers (any other id of a provider with credentials works too). */
export const BUILTIN_MODELS: readonly string[] = [
  "anthropic/claude-opus-4-1",
  "anthropic/claude-sonnet-4-5",
  "anthropic/claude-haiku-4-5",
  "openai/gpt-5",
  "openai/gpt-5-mini",
  "openai/gpt-4.1",
  "openai/gpt-4o-mini",
  "google/gemini-2.5-pro",
  "google/gemini-2.5-flash",
  "groq/llama-3.3-70b-versatile",
  "mistral/mistral-large-latest",
  "deepseek/deepseek-chat",
  "xai/grok-4",
  "cohere/command-a-03-2025",
];

export interface EndpointListing {
  configured: boolean;
  ok: boolean;
  error: string | null;
  /** Model ids as the endpoint names them (without the openai-compatible/ prefix). */
  ids: string[];
}

const LISTED_ID = /^[A-Za-z0-9._:/@-]{1,150}$/;
const MAX_IDS = 500;
const MAX_BYTES = 1024 * 1024;

export interface EndpointOptions {
  clock: Clock;
  timeoutMs?: number;
  /** How long a successful list is reused. */
  ttlMs?: number;
  /** How long a failure is reused (short, so a fixed endpoint shows up soon). */
  failureTtlMs?: number;
}

/** Reads `<base>/models` of an OpenAI-compatible server, at most once per TTL per (base URL, key). */
export class EndpointModels {
  private readonly cache = new Map<string, { at: number; ttl: number; value: EndpointListing }>();
  private readonly inflight = new Map<string, Promise<EndpointListing>>();

  constructor(private readonly o: EndpointOptions) {}

  async list(baseUrl: string | undefined, apiKey: string | undefined): Promise<EndpointListing> {
    if (!baseUrl) return { configured: false, ok: false, error: null, ids: [] };
    const cacheKey = createHash("sha256")
      .update(`${baseUrl}\u0000${apiKey ?? ""}`)
      .digest("hex");
    const now = this.o.clock.now();
    const hit = this.cache.get(cacheKey);
    if (hit && now - hit.at < hit.ttl) return hit.value;
    const running = this.inflight.get(cacheKey);
    if (running) return running;
    const p = this.fetchList(baseUrl, apiKey).then((value) => {
      this.cache.set(cacheKey, {
        at: this.o.clock.now(),
        ttl: value.ok ? (this.o.ttlMs ?? 60_000) : (this.o.failureTtlMs ?? 10_000),
        value,
      });
      return value;
    });
    this.inflight.set(cacheKey, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(cacheKey);
    }
  }

  private async fetchList(baseUrl: string, apiKey: string | undefined): Promise<EndpointListing> {
    const timeoutMs = this.o.timeoutMs ?? 3_000;
    const fail = (error: string): EndpointListing => ({ configured: true, ok: false, error, ids: [] });
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/+$/, "")}/models`, {
        headers: { accept: "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = (err as Error).name;
      return fail(
        name === "TimeoutError" || name === "AbortError"
          ? `the endpoint did not answer within ${timeoutMs} ms`
          : "could not connect to the endpoint",
      );
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return fail(`the endpoint answered HTTP ${res.status} to GET /models`);
    }
    let json: unknown;
    try {
      const text = await res.text();
      if (text.length > MAX_BYTES) return fail("the endpoint's model list is too large");
      json = JSON.parse(text);
    } catch {
      return fail("the endpoint's answer to GET /models is not JSON");
    }
    const data = (json as { data?: unknown })?.data;
    if (!Array.isArray(data)) return fail("the endpoint's answer to GET /models has no data list");
    const ids = new Set<string>();
    for (const m of data) {
      const id = (m as { id?: unknown })?.id;
      if (typeof id === "string" && LISTED_ID.test(id)) ids.add(id);
      if (ids.size >= MAX_IDS) break;
    }
    return { configured: true, ok: true, error: null, ids: [...ids].sort() };
  }
}
