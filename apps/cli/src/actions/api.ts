// Opens the typed API client for headless commands: server URL, the Mogplex token that applies to it, and
// request metadata (never headers or bodies) into the session log.
import { MogplexClient } from "@mogplex/client";
import { serverUrl } from "../config/env.js";
import type { Ctx } from "../context.js";
import { type ApiCredential, resolveApiCredential } from "../credentials/resolve.js";
import { AuthStore } from "../credentials/store.js";
import { USER_AGENT } from "../version.js";

export const REQUEST_TIMEOUT_MS = 30_000;

/** The client methods the commands use (so tests can hand in a fake). */
export type Api = Pick<
  MogplexClient,
  | "listRepos"
  | "getRepo"
  | "createRun"
  | "listRuns"
  | "getRun"
  | "cancelRun"
  | "listRunEvents"
  | "streamRunEvents"
  | "listSandboxes"
  | "stopSandbox"
>;

export interface Connection {
  api: Api;
  url: string;
  credential: ApiCredential;
}

export function clientFor(ctx: Ctx, url: string, token: string): MogplexClient {
  ctx.log.secret(token);
  return new MogplexClient({
    baseUrl: url,
    token,
    userAgent: USER_AGENT,
    timeoutMs: REQUEST_TIMEOUT_MS,
    onResponse: (r) => ctx.log.write("http", { ...r }),
  });
}

export function connect(ctx: Ctx): Connection {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const server = serverUrl(ctx.env, data.mogplex?.url);
  const credential = resolveApiCredential(ctx.env, data, server.url, ctx.store.path);
  ctx.log.write("api.connect", { server: server.url, serverFrom: server.source, via: credential.source });
  return { api: clientFor(ctx, server.url, credential.token), url: server.url, credential };
}
