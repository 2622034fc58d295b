// The consent page's backend: what the client asks for (its name and redirect host, read from the registration
// the signed query names), the active team's servers and tools as the gateway names them, and the checks of a
// person's choice before Better Auth is told to issue the code.
import { verifyOAuthQueryParams } from "@better-auth/oauth-provider";
import type { OAuthConsentBody, OAuthConsentInfo, TeamMember } from "@mogplex/contract";
import { badRequest, notFound } from "../failure.js";
import type { GatewayPrincipal } from "../gateway/auth/keys.js";
import type { Services } from "../services.js";
import { atLeast } from "../teams/service.js";
import type { GrantRequest } from "./grants.js";
import { gatewayResource, platformResource } from "./provider.js";
import { oauthOrigin } from "./resource.js";
import { type GrantResource, stringList, withOAuth } from "./tables.js";

const META_SERVER = "mogplex/server";

interface Asked {
  resource: GrantResource;
  clientId: string;
  clientName: string;
  redirectHost: string;
}

/**
 * The client, resource and redirect host of a consent page's query. Its signature (Better Auth's, over the
 * authorization request it validated) is checked first: nothing from a forged or expired link is shown.
 */
async function asked(s: Services, oauthQuery: string): Promise<Asked> {
  const { secret } = await s.identity.auth.$context;
  if (!(await verifyOAuthQueryParams(oauthQuery, secret).catch(() => false)))
    throw badRequest("This authorization request is not valid or has expired: start again from your app");
  const q = new URLSearchParams(oauthQuery);
  const clientId = q.get("client_id");
  const redirectUri = q.get("redirect_uri");
  if (!clientId || !redirectUri) throw badRequest("oauthQuery: client_id and redirect_uri are required");
  // Exactly one resource (RFC 8707), ours: the gateway or the platform MCP.
  const origin = oauthOrigin(s.config);
  const asked = q.getAll("resource");
  const resource: GrantResource | null =
    asked.length !== 1
      ? null
      : asked[0] === gatewayResource(origin)
        ? "gateway"
        : asked[0] === platformResource(origin)
          ? "platform"
          : null;
  if (!resource) {
    throw badRequest(
      `oauthQuery: resource must be ${gatewayResource(origin)} or ${platformResource(origin)}`,
    );
  }
  const client = await withOAuth(s.db.db)
    .selectFrom("oauthClient")
    .select(["clientId", "name", "redirectUris"])
    .where("clientId", "=", clientId)
    .executeTakeFirst();
  if (!client) throw notFound("OAuth client");
  if (!stringList(client.redirectUris).length) throw badRequest("oauthQuery: the client has no redirect URI");
  let redirectHost: string;
  try {
    redirectHost = new URL(redirectUri).host;
  } catch {
    throw badRequest("oauthQuery: redirect_uri is not a URL");
  }
  const clientName = (client.name ?? "").trim().slice(0, 100) || "Unnamed MCP client";
  return { resource, clientId, clientName, redirectHost };
}

/** Every tool of the team's enabled servers, grouped by server, with the names the gateway exposes. */
async function teamTools(s: Services, member: TeamMember): Promise<OAuthConsentInfo["servers"]> {
  const all = await s.gateway.teamServers(member.teamId);
  const probe: GatewayPrincipal = {
    id: "consent",
    keyId: "consent",
    teamId: member.teamId,
    userId: member.userId,
    role: member.role,
    servers: "all",
    tools: null,
    rps: 1,
    expiresAt: null,
    ipAllowlist: null,
  };
  const byServer = new Map<string, string[]>(all.map((sv) => [sv.name, []]));
  try {
    const { tools } = await (await s.gateway.catalogFor(probe)).listTools();
    for (const t of tools) {
      const server = (t._meta as Record<string, unknown>)[META_SERVER];
      if (typeof server === "string") byServer.get(server)?.push(t.name);
    }
  } catch {
    // Every upstream down: the servers are still listed, without their tools.
  }
  return [...byServer].map(([name, tools]) => ({ name, tools: tools.sort() }));
}

export async function consentInfo(
  s: Services,
  userId: string,
  member: TeamMember,
  oauthQuery: string,
): Promise<OAuthConsentInfo> {
  const a = await asked(s, oauthQuery);
  const team = (await s.teams.memberships(userId)).find((m) => m.teamId === member.teamId);
  const canConsent = atLeast(member.role, "member");
  return {
    resource: a.resource,
    client: { id: a.clientId, name: a.clientName, redirectHost: a.redirectHost },
    team: { id: member.teamId, name: team?.name ?? "" },
    canConsent,
    servers: canConsent && a.resource === "gateway" ? await teamTools(s, member) : [],
  };
}

/** The grant a consent would record, checked before any code is issued. */
export async function consentRequest(
  s: Services,
  body: OAuthConsentBody,
  teamId: string,
): Promise<GrantRequest> {
  const a = await asked(s, body.oauthQuery);
  const servers = body.servers ?? "all";
  if (body.accept && a.resource === "platform" && !body.scopes?.length)
    throw badRequest("scopes: choose read, write or both");
  if (body.accept && a.resource === "gateway") {
    if (servers !== "all") {
      if (servers.length === 0) throw badRequest("servers: choose at least one server or tool");
      const known = await s.connections.serverNames(teamId);
      const unknown = servers.find((n) => !known.has(n));
      if (unknown) throw badRequest(`servers: no MCP server named ${unknown} in this team`);
      const stray = body.tools?.find((t) => !servers.includes(t.slice(0, t.indexOf("__"))));
      if (stray) throw badRequest(`tools: ${stray} belongs to a server the app is not allowed`);
    }
  }
  return {
    ...a,
    servers,
    tools: body.tools,
    scopes: body.scopes,
    rateLimitRps: body.rateLimitRps,
    ipAllowlist: body.ipAllowlist,
  };
}
