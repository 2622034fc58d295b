// CSRF defence for browser mutations: the trusted origins come from configuration, never from the request.
import type { Context } from "hono";
import type { Config } from "../config.js";
import { ApiError } from "./errors.js";
import type { AppEnv } from "./types.js";

const IPV4_ANY = new Set(["0.0.0.0", "127.0.0.1"]);
const IPV6_ANY = new Set(["::", "::1", "[::]", "[::1]"]);

/**
 * The origins whose pages may change state with a session cookie: `MOGPLEX_PUBLIC_URL`'s origin when set,
 * else the loopback origins the server listens on (`http://127.0.0.1:<port>` and `http://localhost:<port>`,
 * `http://[::1]:<port>` when it listens on IPv6), or `http://<host>:<port>` for a specific address.
 * A Host header can be anything the client likes, so it never adds an origin here.
 */
export function trustedOrigins(config: Pick<Config, "publicUrl" | "host" | "port">): string[] {
  if (config.publicUrl) return [new URL(config.publicUrl).origin];
  const p = config.port;
  const host = config.host.toLowerCase();
  if (IPV4_ANY.has(host)) return [`http://127.0.0.1:${p}`, `http://localhost:${p}`];
  if (IPV6_ANY.has(host)) {
    const v4 = host === "::" || host === "[::]" ? [`http://127.0.0.1:${p}`] : [];
    return [`http://[::1]:${p}`, `http://localhost:${p}`, ...v4];
  }
  if (host === "localhost") return [`http://localhost:${p}`, `http://127.0.0.1:${p}`, `http://[::1]:${p}`];
  const bare = host.replace(/^\[|\]$/g, "");
  return [new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}:${p}`).origin];
}

const cache = new WeakMap<object, string[]>();

/** `trustedOrigins` for the running config, computed once. */
export function trustedOriginsOf(config: Config): string[] {
  let out = cache.get(config);
  if (!out) {
    out = trustedOrigins(config);
    cache.set(config, out);
  }
  return out;
}

/**
 * A mutation made with a session cookie must come from one of our own pages:
 * - `Sec-Fetch-Site: cross-site` or `same-site` → refused, whatever the Origin says;
 * - `Origin` present → must be exactly a trusted origin (`null`, a look-alike or another port is refused);
 * - `Origin` absent → refused unless `Sec-Fetch-Site: same-origin` (browsers send Origin on every POST,
 *   PATCH and DELETE; a client that sends neither has to say where it comes from).
 */
export function checkOrigin(c: Context<AppEnv>, trusted: readonly string[]): void {
  const site = c.req.header("sec-fetch-site")?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    throw new ApiError("FORBIDDEN", `Cross-site request refused (Sec-Fetch-Site: ${site})`);
  }
  const primary = trusted[0] ?? "this server's address";
  const origin = c.req.header("origin");
  if (origin === undefined) {
    if (site === "same-origin") return;
    throw new ApiError(
      "FORBIDDEN",
      `Request refused: no Origin header (send Origin: ${primary} from a client that is not a browser)`,
    );
  }
  if (!trusted.includes(origin)) {
    throw new ApiError(
      "FORBIDDEN",
      `Cross-origin request refused: only pages served from ${primary} can make this change`,
    );
  }
}

/** `checkOrigin` against the configured origins. */
export function requireSameOrigin(c: Context<AppEnv>, config: Config): void {
  checkOrigin(c, trustedOriginsOf(config));
}
