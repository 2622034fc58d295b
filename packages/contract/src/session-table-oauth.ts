// Session-route table, OAuth for MCP clients: the consent page (what the client asks for, what the person allows)
// and "Connected apps" in settings (list, revoke). The protocol endpoints themselves are Better Auth's.
import { z } from "zod";
import { IpAllowlist, IsoDate } from "./common.js";
import { GatewayToolName, ServerName } from "./connections.js";
import { R404, READ, sessionSpec as r, W404 } from "./session-spec.js";

/** The query Better Auth signed when it sent the browser to the consent page (as the page received it). */
const OAuthQuery = z
  .string()
  .min(1, "oauthQuery is required")
  .max(8192, "oauthQuery must be at most 8192 characters");

export const OAuthConsentInfoQuery = z.object({ oauthQuery: OAuthQuery }).strict();
export type OAuthConsentInfoQuery = z.infer<typeof OAuthConsentInfoQuery>;

/** What an MCP client asks to use: the gateway (/mcp: servers and tools) or the platform MCP (scopes). */
export const OAuthResourceKind = z.enum(["gateway", "platform"]);
export type OAuthResourceKind = z.infer<typeof OAuthResourceKind>;
/** The scopes a platform-MCP grant may carry (those of its tools). */
export const OAuthPlatformScope = z.enum(["read", "write"]);

export const OAuthConsentInfo = z.object({
  resource: OAuthResourceKind,
  client: z.object({ id: z.string(), name: z.string(), redirectHost: z.string() }),
  team: z.object({ id: z.string(), name: z.string() }),
  /** May the caller consent in this team (viewers may not use the gateway). */
  canConsent: z.boolean(),
  servers: z.array(z.object({ name: z.string(), tools: z.array(z.string()) })),
});
export type OAuthConsentInfo = z.infer<typeof OAuthConsentInfo>;

export const OAuthConsentBody = z
  .object({
    oauthQuery: OAuthQuery,
    accept: z.boolean(),
    servers: z.union([z.literal("all"), z.array(ServerName).max(100)]).optional(),
    tools: z.array(GatewayToolName).max(500).optional(),
    /** Platform MCP only: the scopes allowed. */
    scopes: z.array(OAuthPlatformScope).max(2).optional(),
    rateLimitRps: z.number().int().min(1).max(100_000).optional(),
    ipAllowlist: IpAllowlist.optional(),
  })
  .strict();
export type OAuthConsentBody = z.infer<typeof OAuthConsentBody>;

/** Where the browser goes next: the client's registered redirect URI with the code (or the denial). */
export const OAuthConsentResult = z.object({ redirect: z.string() });
export type OAuthConsentResult = z.infer<typeof OAuthConsentResult>;

export const OAuthGrantSummary = z.object({
  id: z.string(),
  clientId: z.string(),
  clientName: z.string(),
  redirectHost: z.string(),
  resource: OAuthResourceKind,
  scopes: z.array(z.string()).nullable(),
  userId: z.string(),
  servers: z.union([z.literal("all"), z.array(z.string())]),
  tools: z.array(z.string()).nullable(),
  rateLimitRps: z.number(),
  createdAt: IsoDate,
  lastUsedAt: IsoDate.nullable(),
});
export type OAuthGrantSummary = z.infer<typeof OAuthGrantSummary>;

export const OAuthGrantList = z.object({ grants: z.array(OAuthGrantSummary) });
export type OAuthGrantList = z.infer<typeof OAuthGrantList>;

export const OAUTH_SESSION_ROUTES = {
  oauthConsentInfo: r({
    method: "get",
    path: "/api/oauth/consent",
    summary: "What an MCP client asks for, and the servers and tools of the active team it may be allowed",
    team: "header",
    role: "viewer",
    query: OAuthConsentInfoQuery,
    errors: R404,
  }),
  oauthConsent: r({
    method: "post",
    path: "/api/oauth/consent",
    summary: "Allow (or deny) an MCP client the chosen servers and tools of the active team",
    team: "header",
    role: "member",
    limit: "tokenCreate",
    body: OAuthConsentBody,
    bodyRequired: true,
    errors: W404,
  }),
  listOAuthGrants: r({
    method: "get",
    path: "/api/settings/connected-apps",
    summary: "MCP clients connected by OAuth in the active team (your own; every one for owners and admins)",
    team: "header",
    role: "viewer",
    response: OAuthGrantList,
    errors: READ,
  }),
  revokeOAuthGrant: r({
    method: "delete",
    path: "/api/settings/connected-apps/{id}",
    summary: "Disconnect an app: its tokens stop working on the next request",
    team: "none",
    errors: W404,
  }),
};
