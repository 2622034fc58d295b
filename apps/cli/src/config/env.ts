// Where the CLI keeps its files and which server it talks to: MOGPLEX_HOME and a validated MOGPLEX_URL.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_URL = "http://127.0.0.1:4100";

/** `$MOGPLEX_HOME`, else `~/.mogplex`. */
export function mogplexHome(env: Env): string {
  const home = env.MOGPLEX_HOME?.trim();
  return resolve(home ? home : join(env.HOME?.trim() || homedir(), ".mogplex"));
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * A server base URL as the CLI will use it: http(s) only, plain http only to a loopback host (a token sent in
 * clear over a network is a token given away), no credentials, query or fragment; no trailing slash.
 */
export function validateServerUrl(raw: string, name = "MOGPLEX_URL"): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ConfigError(`${name} must start with https:// (or http:// for a loopback address)`);
  }
  if (u.protocol === "http:" && !isLoopbackHost(u.hostname)) {
    throw new ConfigError(
      `${name}: refusing plain http to ${u.hostname}, which is not a loopback address; use https://`,
    );
  }
  if (u.username || u.password) throw new ConfigError(`${name} must not contain credentials`);
  if (u.search || u.hash) throw new ConfigError(`${name} must not contain a query or fragment`);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

export interface ServerUrl {
  url: string;
  source: "MOGPLEX_URL" | "auth.json" | "default";
}

/** MOGPLEX_URL, else the server the stored login belongs to, else the self-hosting default. */
export function serverUrl(env: Env, storedLoginUrl?: string): ServerUrl {
  const fromEnv = env.MOGPLEX_URL?.trim();
  if (fromEnv) return { url: validateServerUrl(fromEnv), source: "MOGPLEX_URL" };
  if (storedLoginUrl)
    return { url: validateServerUrl(storedLoginUrl, "the url in auth.json"), source: "auth.json" };
  return { url: DEFAULT_URL, source: "default" };
}

export const isDebug = (env: Env) => env.MOGPLEX_DEBUG === "1";
