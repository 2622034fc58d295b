// Credential resolution, first hit wins (SPEC §6): env vars → stored keys in auth.json → stored Mogplex
// account login → none. Also which token the headless API commands use. Names sources, never secrets.
import type { Env } from "../config/env.js";
import { NotAuthenticatedError } from "../errors.js";
import { MODEL_PROVIDERS, MOGPLEX_PROVIDER, type Provider } from "./providers.js";
import type { AuthData, StoredLogin } from "./store.js";

export type Resolved =
  | { layer: 1; source: "env"; variable: string; provider: Provider; secret: string }
  | { layer: 2; source: "auth.json"; provider: Provider; secret: string }
  | { layer: 3; source: "account"; login: StoredLogin; secret: string };

const envValue = (env: Env, name: string) => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

/** Every credential present, in resolution order; the first is the one a session uses. */
export function allCredentials(env: Env, data: AuthData): Resolved[] {
  const found: Resolved[] = [];
  for (const provider of [MOGPLEX_PROVIDER, ...MODEL_PROVIDERS]) {
    const secret = envValue(env, provider.envVar);
    if (secret) found.push({ layer: 1, source: "env", variable: provider.envVar, provider, secret });
  }
  for (const provider of MODEL_PROVIDERS) {
    const stored = data.keys[provider.id];
    if (stored) found.push({ layer: 2, source: "auth.json", provider, secret: stored.key });
  }
  if (data.mogplex)
    found.push({ layer: 3, source: "account", login: data.mogplex, secret: data.mogplex.token });
  return found;
}

export function resolveCredential(env: Env, data: AuthData): Resolved | null {
  return allCredentials(env, data)[0] ?? null;
}

/** How a source is named to people: which variable or file, never the value. */
export function describeSource(r: Resolved, authPath: string): string {
  if (r.source === "env") return `environment variable ${r.variable} (${r.provider.name})`;
  if (r.source === "auth.json") return `stored ${r.provider.name} API key in ${authPath}`;
  const expires = r.login.expiresAt ? `, expires ${r.login.expiresAt.slice(0, 10)}` : ", does not expire";
  return `Mogplex account login for ${r.login.url} (token ${r.login.prefix}…${expires}) in ${authPath}`;
}

export const NO_CREDENTIALS =
  "no credentials found: run `mogplex` in a terminal to sign in (or set MOGPLEX_API_KEY or a provider API key)";

export interface ApiCredential {
  token: string;
  source: "env" | "account";
  /** For messages: the variable or file it came from. */
  origin: string;
}

/**
 * The Mogplex API takes only Mogplex tokens: MOGPLEX_API_KEY, else the stored account login — and that
 * login only for the server it was issued by, so a token is never sent to a different host.
 */
export function resolveApiCredential(
  env: Env,
  data: AuthData,
  baseUrl: string,
  authPath: string,
): ApiCredential {
  const fromEnv = envValue(env, MOGPLEX_PROVIDER.envVar);
  if (fromEnv) return { token: fromEnv, source: "env", origin: MOGPLEX_PROVIDER.envVar };
  const login = data.mogplex;
  if (login) {
    if (sameServer(login.url, baseUrl)) return { token: login.token, source: "account", origin: authPath };
    throw new NotAuthenticatedError(
      `your stored login is for ${login.url}, but MOGPLEX_URL is ${baseUrl}: run \`mogplex login\` for that server`,
    );
  }
  const other = allCredentials(env, data)[0];
  if (other && other.source !== "account") {
    throw new NotAuthenticatedError(
      `not signed in to Mogplex (a ${other.provider.name} key can't call the Mogplex API): run \`mogplex login\` or set MOGPLEX_API_KEY`,
    );
  }
  throw new NotAuthenticatedError(NO_CREDENTIALS);
}

function sameServer(a: string, b: string): boolean {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    return ua.origin === ub.origin && ua.pathname.replace(/\/+$/, "") === ub.pathname.replace(/\/+$/, "");
  } catch {
    return false;
  }
}
