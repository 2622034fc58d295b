// Which registry server and token a command uses: MOG_API_URL, else the stored login's server, else the
// self-hosting default; MOG_TOKEN, else the stored login, and that only for the server it was issued by.
import { DEFAULT_URL, validateServerUrl } from "../config/env.js";
import { AuthStore } from "../credentials/store.js";
import type { MogCtx } from "./context.js";
import { RegistryApi } from "./registry-api.js";

export interface Session {
  api: RegistryApi;
  base: string;
  /** Where the token came from (never the token). */
  via: "MOG_TOKEN" | "login" | "none";
}

export function serverBase(ctx: MogCtx): string {
  const fromEnv = ctx.env.MOG_API_URL?.trim();
  if (fromEnv) return validateServerUrl(fromEnv, "MOG_API_URL");
  const stored = ctx.store.read().mogplex?.url;
  return stored ? validateServerUrl(stored, `the url in ${ctx.store.path}`) : DEFAULT_URL;
}

export function openSession(ctx: MogCtx): Session {
  const data = ctx.store.read();
  for (const s of AuthStore.secrets(data)) ctx.log.secret(s);
  const base = serverBase(ctx);
  const envToken = ctx.env.MOG_TOKEN?.trim();
  let token: string | null = null;
  let via: Session["via"] = "none";
  if (envToken) {
    token = envToken;
    via = "MOG_TOKEN";
  } else if (data.mogplex && sameServer(data.mogplex.url, base)) {
    token = data.mogplex.token;
    via = "login";
  }
  ctx.log.secret(token);
  const api = new RegistryApi({ base, token, log: (f) => ctx.log.write("http", f) });
  return { api, base, via };
}

function sameServer(a: string, b: string): boolean {
  try {
    return validateServerUrl(a) === validateServerUrl(b);
  } catch {
    return false;
  }
}
