// DNS-rebinding and cross-site guards for the MCP endpoints (the gateway and the platform MCP server): Host
// must name us, a browser Origin must be allowed.
import type { Context } from "hono";
import type { Config } from "../../config.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../types.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0] ?? host;
}

/**
 * A rebinding attack reaches us under the attacker's DNS name, so the Host header gives it away. Loopback
 * names (any port), the public URL's host and configured extra hosts are accepted; nothing else.
 */
export function hostAllowed(host: string | undefined, config: Config): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const name = hostName(h);
  if (LOOPBACK.has(name)) return true;
  if (config.publicUrl && new URL(config.publicUrl).host.toLowerCase() === h) return true;
  return config.gateway.allowedHosts.includes(h) || config.gateway.allowedHosts.includes(name);
}

/** Non-browser clients send no Origin; a browser's must be the public URL's origin or an allowed one. */
export function originAllowed(origin: string | undefined, config: Config): boolean {
  if (origin === undefined) return true;
  if (config.publicUrl && new URL(config.publicUrl).origin === origin) return true;
  return config.gateway.allowedOrigins.includes(origin);
}

/** The step: FORBIDDEN unless both the Host and any browser Origin are ours. */
export function requireHostAndOrigin(c: Context<AppEnv>, config: Config): void {
  if (!hostAllowed(c.req.header("host"), config) || !originAllowed(c.req.header("origin"), config)) {
    throw new ApiError("FORBIDDEN", "Origin or Host not allowed");
  }
}
