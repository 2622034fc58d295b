// OAuth 2.1 for MCP clients: Better Auth's oauth-provider tables (frozen from its generated schema for 1.7.29, as
// 0002 froze the core ones) and our grants: what a person consented to for one client (team, servers, tools, rate
// limit), the gateway-key-like principal an OAuth access token resolves to.
import { type Kysely, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
type AnyDb = Kysely<any>;

const SQLITE: string[] = [
  `create table "oauthClient" ("id" text not null primary key, "clientId" text not null unique, "clientSecret" text, "clientDiscoveryId" text, "disabled" integer, "skipConsent" integer, "enableEndSession" integer, "subjectType" text, "scopes" text, "clientCredentialsScopes" text, "userId" text references "user" ("id") on delete cascade, "createdAt" date, "updatedAt" date, "name" text, "uri" text, "icon" text, "contacts" text, "tos" text, "policy" text, "softwareId" text, "softwareVersion" text, "softwareStatement" text, "redirectUris" text not null, "postLogoutRedirectUris" text, "backchannelLogoutUri" text, "backchannelLogoutSessionRequired" integer, "tokenEndpointAuthMethod" text, "applicationType" text, "jwks" text, "jwksUri" text, "grantTypes" text, "responseTypes" text, "requirePKCE" integer, "dpopBoundAccessTokens" integer, "referenceId" text, "metadata" text)`,
  `create table "oauthResource" ("id" text not null primary key, "identifier" text not null unique, "name" text not null, "accessTokenTtl" integer, "refreshTokenTtl" integer, "signingAlgorithm" text, "signingKeyId" text, "allowedScopes" text, "customClaims" text, "dpopBoundAccessTokensRequired" integer, "disabled" integer, "createdAt" date, "updatedAt" date, "policyVersion" integer, "metadata" text)`,
  `create table "oauthClientResource" ("id" text not null primary key, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "resourceId" text not null references "oauthResource" ("identifier") on delete cascade, "metadata" text, "createdAt" date)`,
  `create table "oauthRefreshToken" ("id" text not null primary key, "token" text not null unique, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "sessionId" text references "session" ("id") on delete set null, "userId" text not null references "user" ("id") on delete cascade, "referenceId" text, "authorizationCodeId" text, "resources" text, "requestedUserInfoClaims" text, "expiresAt" date not null, "createdAt" date not null, "revoked" date, "rotatedAt" date, "rotationReplayResponse" text, "rotationReplayExpiresAt" date, "authTime" date, "confirmation" text, "scopes" text not null)`,
  `create table "oauthAccessToken" ("id" text not null primary key, "token" text not null unique, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "sessionId" text references "session" ("id") on delete set null, "userId" text references "user" ("id") on delete cascade, "referenceId" text, "authorizationCodeId" text, "resources" text, "requestedUserInfoClaims" text, "refreshId" text references "oauthRefreshToken" ("id") on delete cascade, "expiresAt" date not null, "createdAt" date not null, "revoked" date, "confirmation" text, "scopes" text not null)`,
  `create table "oauthConsent" ("id" text not null primary key, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "userId" text references "user" ("id") on delete cascade, "referenceId" text, "resources" text, "requestedUserInfoClaims" text, "scopes" text not null, "createdAt" date not null, "updatedAt" date not null)`,
  `create table "oauthClientAssertion" ("id" text not null primary key, "expiresAt" date not null)`,
  `create index "oauthClient_userId_idx" on "oauthClient" ("userId")`,
  `create index "oauthClientResource_clientId_idx" on "oauthClientResource" ("clientId")`,
  `create index "oauthClientResource_resourceId_idx" on "oauthClientResource" ("resourceId")`,
  `create index "oauthRefreshToken_clientId_idx" on "oauthRefreshToken" ("clientId")`,
  `create index "oauthRefreshToken_sessionId_idx" on "oauthRefreshToken" ("sessionId")`,
  `create index "oauthRefreshToken_userId_idx" on "oauthRefreshToken" ("userId")`,
  `create index "oauthRefreshToken_authorizationCodeId_idx" on "oauthRefreshToken" ("authorizationCodeId")`,
  `create index "oauthAccessToken_clientId_idx" on "oauthAccessToken" ("clientId")`,
  `create index "oauthAccessToken_sessionId_idx" on "oauthAccessToken" ("sessionId")`,
  `create index "oauthAccessToken_userId_idx" on "oauthAccessToken" ("userId")`,
  `create index "oauthAccessToken_authorizationCodeId_idx" on "oauthAccessToken" ("authorizationCodeId")`,
  `create index "oauthAccessToken_refreshId_idx" on "oauthAccessToken" ("refreshId")`,
  `create index "oauthConsent_clientId_idx" on "oauthConsent" ("clientId")`,
  `create index "oauthConsent_userId_idx" on "oauthConsent" ("userId")`,
  `create unique index "oauthClientResource_clientId_resourceId_uidx" on "oauthClientResource" ("clientId", "resourceId")`,
];

const POSTGRES: string[] = [
  `create table "oauthClient" ("id" text not null primary key, "clientId" text not null unique, "clientSecret" text, "clientDiscoveryId" text, "disabled" boolean, "skipConsent" boolean, "enableEndSession" boolean, "subjectType" text, "scopes" jsonb, "clientCredentialsScopes" jsonb, "userId" text references "user" ("id") on delete cascade, "createdAt" timestamptz, "updatedAt" timestamptz, "name" text, "uri" text, "icon" text, "contacts" jsonb, "tos" text, "policy" text, "softwareId" text, "softwareVersion" text, "softwareStatement" text, "redirectUris" jsonb not null, "postLogoutRedirectUris" jsonb, "backchannelLogoutUri" text, "backchannelLogoutSessionRequired" boolean, "tokenEndpointAuthMethod" text, "applicationType" text, "jwks" text, "jwksUri" text, "grantTypes" jsonb, "responseTypes" jsonb, "requirePKCE" boolean, "dpopBoundAccessTokens" boolean, "referenceId" text, "metadata" jsonb)`,
  `create table "oauthResource" ("id" text not null primary key, "identifier" text not null unique, "name" text not null, "accessTokenTtl" integer, "refreshTokenTtl" integer, "signingAlgorithm" text, "signingKeyId" text, "allowedScopes" jsonb, "customClaims" jsonb, "dpopBoundAccessTokensRequired" boolean, "disabled" boolean, "createdAt" timestamptz, "updatedAt" timestamptz, "policyVersion" integer, "metadata" jsonb)`,
  `create table "oauthClientResource" ("id" text not null primary key, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "resourceId" text not null references "oauthResource" ("identifier") on delete cascade, "metadata" jsonb, "createdAt" timestamptz)`,
  `create table "oauthRefreshToken" ("id" text not null primary key, "token" text not null unique, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "sessionId" text references "session" ("id") on delete set null, "userId" text not null references "user" ("id") on delete cascade, "referenceId" text, "authorizationCodeId" text, "resources" jsonb, "requestedUserInfoClaims" jsonb, "expiresAt" timestamptz not null, "createdAt" timestamptz not null, "revoked" timestamptz, "rotatedAt" timestamptz, "rotationReplayResponse" text, "rotationReplayExpiresAt" timestamptz, "authTime" timestamptz, "confirmation" jsonb, "scopes" jsonb not null)`,
  `create table "oauthAccessToken" ("id" text not null primary key, "token" text not null unique, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "sessionId" text references "session" ("id") on delete set null, "userId" text references "user" ("id") on delete cascade, "referenceId" text, "authorizationCodeId" text, "resources" jsonb, "requestedUserInfoClaims" jsonb, "refreshId" text references "oauthRefreshToken" ("id") on delete cascade, "expiresAt" timestamptz not null, "createdAt" timestamptz not null, "revoked" timestamptz, "confirmation" jsonb, "scopes" jsonb not null)`,
  `create table "oauthConsent" ("id" text not null primary key, "clientId" text not null references "oauthClient" ("clientId") on delete cascade, "userId" text references "user" ("id") on delete cascade, "referenceId" text, "resources" jsonb, "requestedUserInfoClaims" jsonb, "scopes" jsonb not null, "createdAt" timestamptz not null, "updatedAt" timestamptz not null)`,
  `create table "oauthClientAssertion" ("id" text not null primary key, "expiresAt" timestamptz not null)`,
  `create index "oauthClient_userId_idx" on "oauthClient" ("userId")`,
  `create index "oauthClientResource_clientId_idx" on "oauthClientResource" ("clientId")`,
  `create index "oauthClientResource_resourceId_idx" on "oauthClientResource" ("resourceId")`,
  `create index "oauthRefreshToken_clientId_idx" on "oauthRefreshToken" ("clientId")`,
  `create index "oauthRefreshToken_sessionId_idx" on "oauthRefreshToken" ("sessionId")`,
  `create index "oauthRefreshToken_userId_idx" on "oauthRefreshToken" ("userId")`,
  `create index "oauthRefreshToken_authorizationCodeId_idx" on "oauthRefreshToken" ("authorizationCodeId")`,
  `create index "oauthAccessToken_clientId_idx" on "oauthAccessToken" ("clientId")`,
  `create index "oauthAccessToken_sessionId_idx" on "oauthAccessToken" ("sessionId")`,
  `create index "oauthAccessToken_userId_idx" on "oauthAccessToken" ("userId")`,
  `create index "oauthAccessToken_authorizationCodeId_idx" on "oauthAccessToken" ("authorizationCodeId")`,
  `create index "oauthAccessToken_refreshId_idx" on "oauthAccessToken" ("refreshId")`,
  `create index "oauthConsent_clientId_idx" on "oauthConsent" ("clientId")`,
  `create index "oauthConsent_userId_idx" on "oauthConsent" ("userId")`,
  `create unique index "oauthClientResource_clientId_resourceId_uidx" on "oauthClientResource" ("clientId", "resourceId")`,
];

export function oauthMigration(dialect: "sqlite" | "postgres") {
  return {
    async up(db: AnyDb): Promise<void> {
      for (const stmt of dialect === "postgres" ? POSTGRES : SQLITE) await sql.raw(stmt).execute(db);
      await db.schema
        .createTable("oauth_grants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("client_name", "text", (c) => c.notNull())
        .addColumn("redirect_host", "text", (c) => c.notNull())
        .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("servers", "text")
        .addColumn("tools", "text")
        .addColumn("rate_limit_rps", "integer")
        .addColumn("ip_allowlist", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema
        .createIndex("oauth_grants_client_user")
        .on("oauth_grants")
        .columns(["client_id", "user_id", "revoked_at"])
        .execute();
      await db.schema
        .createIndex("oauth_grants_team_user")
        .on("oauth_grants")
        .columns(["team_id", "user_id", "created_at"])
        .execute();
    },
  };
}
