// A Mogplex PAT (`mog_…`) at the gateway: resolved on every request (the token service has no cache, so expiry and
// revocation apply at once) and turned into a gateway principal like an OAuth grant: the token's team, all of the
// team's enabled servers, no tool allowlist, the gateway's default rate limit per token, the token's IP allowlist.
import type { PatPrincipal } from "@mogplex/contract";
import { failure } from "../../failure.js";
import { atLeast } from "../../teams/service.js";
import type { GatewayPrincipal } from "./keys.js";

/** Key ids of PAT principals: `pat:<token id>` (sessions, the rate limiter); log rows carry the bare token id. */
export const patKeyId = (tokenId: string) => `pat:${tokenId}`;

/**
 * The gateway principal of a resolved PAT, or null when the token did not resolve. Tool calls act, so the token
 * needs the `write` scope and its person at least the member role: FORBIDDEN otherwise.
 */
export function patGatewayPrincipal(pat: PatPrincipal | null, defaultRps: number): GatewayPrincipal | null {
  if (!pat) return null;
  if (!atLeast(pat.role, "member"))
    throw failure("FORBIDDEN", "Viewers cannot use the MCP gateway: ask a team admin for the member role");
  if (!pat.scopes.includes("write"))
    throw failure(
      "FORBIDDEN",
      "This token is read-only: the MCP gateway needs a token with the write scope (create one under Settings → API Keys)",
    );
  return {
    id: pat.tokenId,
    keyId: patKeyId(pat.tokenId),
    teamId: pat.teamId,
    userId: pat.userId,
    role: pat.role,
    servers: "all",
    tools: null,
    rps: defaultRps,
    expiresAt: null,
    ipAllowlist: pat.ipAllowlist,
  };
}
