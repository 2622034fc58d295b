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
  // Requests that didn't come through a socket (in-process calls) have no connection to ask.
  const socket = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return addressOf(c.req.header("x-forwarded-for"), trustProxy, () =>
    socket ? getConnInfo(c).remote.address : undefined,
  );
}

/** The client's address from a forwarded-for header (trusted proxy only) or the connection's peer. */
export function addressOf(
  forwardedFor: string | undefined,
  trustProxy: boolean,
  peer: () => string | undefined,
): string {
  if (trustProxy) {
    // The proxy appends the address it saw; the right-most entry is the one it vouches for.
    const last = forwardedFor?.split(",").pop()?.trim();
    if (last) return last;
  }
  return peer() ?? "unknown";
}
