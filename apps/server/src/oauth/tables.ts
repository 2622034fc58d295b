// The tables of migration 0014_oauth that our code reads: our grants, and the columns of Better Auth's
// oauth-provider tables the resource server and "Connected apps" need (the library owns the rest).
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

export type GrantResource = "gateway" | "platform";
type Ms = number | string; // bigint columns come back as strings on PostgreSQL
type When = Date | string | number; // Better Auth dates: Date on PostgreSQL, text or epoch ms on SQLite

export interface OAuthGrantsTable {
  id: string;
  client_id: string;
  client_name: string;
  redirect_host: string;
  team_id: string;
  user_id: string;
  servers: string | null; // JSON array of server names; null = all
  tools: string | null; // JSON array of <server>__<tool>; null = every tool of the allowed servers
  rate_limit_rps: number | null;
  ip_allowlist: string | null;
  /** What the grant is for: the MCP gateway (servers, tools) or the platform MCP (scopes). */
  resource: GrantResource;
  scopes: string | null; // JSON array of PAT scopes (platform grants); null for the gateway
  created_at: Ms;
  last_used_at: Ms | null;
  revoked_at: Ms | null;
}

export interface OAuthAccessTokenRow {
  id: string;
  token: string;
  clientId: string;
  userId: string | null;
  resources: string | string[] | null;
  refreshId: string | null;
  expiresAt: When;
  createdAt: When;
  revoked: When | null;
}

export interface OAuthRefreshTokenRow {
  id: string;
  token: string;
  clientId: string;
  userId: string;
  expiresAt: When;
  createdAt: When;
  revoked: When | null;
}

export interface OAuthClientRow {
  id: string;
  clientId: string;
  name: string | null;
  redirectUris: string | string[];
  createdAt: When | null;
}

export interface OAuthConsentRow {
  id: string;
  clientId: string;
  userId: string | null;
}

export interface OAuthTables {
  oauth_grants: OAuthGrantsTable;
  oauthAccessToken: OAuthAccessTokenRow;
  oauthRefreshToken: OAuthRefreshTokenRow;
  oauthClient: OAuthClientRow;
  oauthConsent: OAuthConsentRow;
}

export type OAuthDB = DB & OAuthTables;

/** The same database, seen with the OAuth tables (kept out of db/schema.ts: this room owns them). */
export const withOAuth = (db: Kysely<DB>): Kysely<OAuthDB> => db as unknown as Kysely<OAuthDB>;

export const toMs = (w: When): number =>
  w instanceof Date ? w.getTime() : typeof w === "number" ? w : Date.parse(w);

/** string[] columns: jsonb (already parsed) on PostgreSQL, JSON text on SQLite. */
export function stringList(v: string | string[] | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
