// The session-route table: every route of the web app's backend (cookie session, Origin rules, PATs refused),
// with where its team comes from, the minimum role, the CSRF rule and its inputs. The server's sessionRoute
// builder enforces each entry; the OpenAPI document lists them as session-only. Entries: session-table-*.ts,
// their shape: session-spec.ts.
import { LLM_SESSION_ROUTES } from "./llm.js";
import { RUN_TOOLS_SESSION_ROUTES } from "./run-tools.js";
import { ACCOUNT_SESSION_ROUTES } from "./session-table-account.js";
import { OAUTH_SESSION_ROUTES } from "./session-table-oauth.js";
import { REGISTRY_SESSION_ROUTES } from "./session-table-registry.js";
import { SETTINGS_SESSION_ROUTES } from "./session-table-settings.js";
import { WEB_SESSION_ROUTES } from "./session-table-web.js";
import { WALLET_SESSION_ROUTES } from "./wallet-session.js";

export const SESSION_ROUTES = {
  ...ACCOUNT_SESSION_ROUTES,
  ...WEB_SESSION_ROUTES,
  ...WALLET_SESSION_ROUTES,
  ...REGISTRY_SESSION_ROUTES,
  ...SETTINGS_SESSION_ROUTES,
  ...RUN_TOOLS_SESSION_ROUTES,
  ...OAUTH_SESSION_ROUTES,
  ...LLM_SESSION_ROUTES,
};

export type SessionRouteName = keyof typeof SESSION_ROUTES;

/** The Hono pattern of a table path: /api/teams/{teamId} → /api/teams/:teamId */
export const honoPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");
