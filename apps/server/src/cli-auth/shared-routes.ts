// Edge helpers shared by the CLI sign-in JSON routes and pages: callback and team checks, links handed out.
import type { Context } from "hono";
import { ApiError } from "../http/errors.js";
import { trustedOriginsOf } from "../http/origin.js";
import type { AppEnv } from "../http/types.js";
import type { Services } from "../services.js";
import { parseLoopbackCallback } from "./validate.js";

export const CALLBACK_RULE =
  "callback must be http://127.0.0.1, localhost or [::1] with a port 1024-65535 and the path /callback";

/**
 * The base for links we hand out: the configured URL, else the origin the request came to when it is one we
 * trust (so `localhost` stays `localhost`), else the first trusted origin: never an address whose pages the
 * Origin check would refuse.
 */
export function publicBase(c: Context<AppEnv>, s: Services): string {
  if (s.config.publicUrl) return s.config.publicUrl.replace(/\/$/, "");
  const trusted = trustedOriginsOf(s.config);
  const here = new URL(c.req.url).origin;
  return trusted.includes(here) ? here : (trusted[0] ?? here);
}

export function callbackOrThrow(raw: unknown): URL {
  const url = parseLoopbackCallback(raw);
  if (!url) throw new ApiError("BAD_REQUEST", CALLBACK_RULE);
  return url;
}

export async function teamOrThrow(s: Services, userId: string, requested?: string): Promise<string> {
  const teamId = await s.identity.activeTeam(userId, requested);
  if (!teamId) throw new ApiError("FORBIDDEN", "You are not a member of any team");
  return teamId;
}

export const denyUrl = (callback: URL, nonce: string) =>
  `${callback.href}?error=access_denied&nonce=${nonce}`;
