// The authorization server for MCP clients: Better Auth's oauth-provider plugin (@better-auth/oauth-provider),
// configured to the MCP authorization profile. The library does the protocol: authorization code + PKCE S256
// only, Dynamic Client Registration (public clients, 201), exact redirect matching with RFC 8252 loopback
// any-port, RFC 8707 resources, refresh-token rotation whose reuse revokes the family, hashed token storage.
// What is ours: which resources exist, how tokens are hashed (so the resource server can find them), and the
// consent page, which also records the grant (oauth/grants.ts).
import { createHash } from "node:crypto";
import { cimd } from "@better-auth/cimd";
import { fetchClientMetadataResource } from "@better-auth/cimd/node";
import { oauthProvider } from "@better-auth/oauth-provider";

/** Better Auth's mount point: the issuer is `<origin>/api/auth`. */
export const AUTH_BASE_PATH = "/api/auth";
export const GATEWAY_RESOURCE_PATH = "/mcp";
export const PLATFORM_RESOURCE_PATH = "/api/v1/mogplex/mcp";
export const OAUTH_SCOPES = ["mcp", "offline_access"] as const;
/** Short-lived access tokens; the refresh token (rotated on every use) keeps the client connected. */
export const ACCESS_TOKEN_TTL_S = 15 * 60;
/** A dynamically registered client never used to obtain a token is deleted after this long. */
export const UNUSED_CLIENT_TTL_MS = 24 * 3_600_000;

export const gatewayResource = (origin: string) => `${origin}${GATEWAY_RESOURCE_PATH}`;
export const platformResource = (origin: string) => `${origin}${PLATFORM_RESOURCE_PATH}`;

/**
 * How a token is stored: SHA-256 of its kind and value (tokens are 32+ random bytes, so a fast hash is enough),
 * never the token. The resource server looks access tokens up by the same digest.
 */
export function tokenDigest(token: string, kind: string): string {
  return createHash("sha256").update(`${kind}:${token}`).digest("base64url");
}

/**
 * The Better Auth plugins: the provider, and Client ID Metadata Documents (@better-auth/cimd) for clients whose
 * client_id is an HTTPS URL — fetched over HTTPS only, the host resolved once and refused unless every address
 * is public (the connection pinned to it), no redirects, with a timeout and a size cap (the library's transport).
 */
export function mcpOAuthPlugins(origin: string) {
  return [mcpOAuthProvider(origin), cimd({ fetchClientMetadataResource })] as const;
}

function mcpOAuthProvider(origin: string) {
  const resources = [gatewayResource(origin), platformResource(origin)];
  return oauthProvider({
    loginPage: "/oauth/consent",
    consentPage: "/oauth/consent",
    scopes: [...OAUTH_SCOPES],
    // No id tokens and no JWT plugin: access tokens are opaque, stored hashed, revocable at once.
    disableJwtPlugin: true,
    storeTokens: { hash: async (token: string, kind: string) => tokenDigest(token, kind) },
    grantTypes: ["authorization_code", "refresh_token"],
    accessTokenExpiresIn: ACCESS_TOKEN_TTL_S,
    refreshTokenExpiresIn: 30 * 86_400,
    refreshTokenReuseInterval: 0,
    codeExpiresIn: 300,
    allowDynamicClientRegistration: true,
    allowUnauthenticatedClientRegistration: true,
    // Native clients (Claude Code, Cursor…) often omit application_type and use a loopback callback.
    clientRegistrationDefaultApplicationType: "infer",
    resources,
    resourceSeedMode: "overwrite",
    clientRegistrationDefaultResources: resources,
    // The library's client and resource CRUD would otherwise let any signed-in person create clients or change
    // a resource's token policy: clients come only from Dynamic Client Registration, resources only from here.
    clientPrivileges: () => false,
    resourcePrivileges: () => false,
  });
}
