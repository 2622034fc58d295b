// The client-IP step: the address every later step (allowlists, per-address limits, logs) keys on.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../types.js";

export function clientIp(opts: { trustProxy: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("clientIp", resolveIp(c, opts.trustProxy));
    await next();
  };
}

function resolveIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The proxy appends the address it saw; the right-most entry is the one it vouches for.
    const xff = c.req.header("x-forwarded-for");
    const last = xff?.split(",").pop()?.trim();
    if (last) return last;
  }
  // Requests that didn't come through a socket (in-process calls) have no connection to ask.
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return "unknown";
  return getConnInfo(c).remote.address ?? "unknown";
}
