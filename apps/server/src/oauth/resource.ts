// The resource-server side shared by /mcp and the platform MCP: the origin resources are named under, and the
// 401 challenge pointing MCP clients at the resource metadata (RFC 9728 §5.1).
import type { Config } from "../config.js";
import { OAUTH_SCOPES } from "./provider.js";

/** The origin resources and the issuer are named under (the configured public URL, else the listen address). */
export function oauthOrigin(config: Config): string {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${config.port}`;
}

export const metadataPath = (resourcePath: string) => `/.well-known/oauth-protected-resource${resourcePath}`;

/** The 401 challenge of an OAuth-protected resource (RFC 9728 §5.1): where its metadata is. */
export function resourceChallenge(config: Config, resourcePath: string, invalidToken: boolean): string {
  const url = `${oauthOrigin(config)}${metadataPath(resourcePath)}`;
  const scope = OAUTH_SCOPES.join(" ");
  return `Bearer ${invalidToken ? 'error="invalid_token", ' : ""}resource_metadata="${url}", scope="${scope}"`;
}
