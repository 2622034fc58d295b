// The shape of a session-route table entry (session-routes.ts) and its defaults.
import type { z } from "zod";
import type { ErrorCode } from "./errors.js";
import type { Role } from "./principals.js";

/**
 * Where the team a request acts in comes from:
 * - `path`: the `{teamId}` path parameter; a team the caller is not in is 404 (no existence oracle);
 * - `header`: `X-Mogplex-Team` (id or slug; `?team=` too on streams, which EventSource opens without headers),
 *   else the caller's first team; a requested team they are not in is 404, no team at all is 403;
 * - `none`: the route is about the user (or names its team in the body, checked by the service).
 */
export type TeamSource = "path" | "header" | "none";
/** `session`: a signed-in browser session; `none`: reachable before sign-in (first-run setup, invitation sign-up). */
export type SessionAuth = "session" | "none";
/** `origin`: the Origin / Sec-Fetch-Site rules (every mutation); `none`: a read. */
export type CsrfRule = "origin" | "none";
/** Extra per-user limit on top of the per-IP baseline: minting credentials, starting runs (the PAT rule). */
export type SessionRateTier = "tokenCreate" | "runStart";

export interface SessionRouteSpec {
  method: "get" | "post" | "patch" | "delete";
  /** Full path, OpenAPI style: /api/teams/{teamId}/members */
  path: string;
  summary: string;
  auth: SessionAuth;
  team: TeamSource;
  /** Minimum role in the resolved team (`viewer` = any member). */
  role?: Role;
  csrf: CsrfRule;
  limit?: SessionRateTier;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A missing body is refused ("A JSON request body is required") instead of parsed as {}. */
  bodyRequired?: boolean;
  /** The request body is raw bytes of this type (an upload), not JSON: the handler reads it. */
  rawBody?: "application/zip";
  idempotent?: boolean;
  stream?: boolean;
  response?: z.ZodType;
  successStatus?: number;
  errors: ErrorCode[];
}

export const BASE_ERRORS: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];
export const READ: ErrorCode[] = [...BASE_ERRORS, "BAD_REQUEST"];
export const WRITE: ErrorCode[] = [...READ, "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
export const R404: ErrorCode[] = [...READ, "NOT_FOUND"];
export const W404: ErrorCode[] = [...WRITE, "NOT_FOUND"];

export type SessionRouteDef = Omit<SessionRouteSpec, "auth" | "csrf" | "errors"> &
  Partial<Pick<SessionRouteSpec, "auth" | "csrf" | "errors">>;
/** Defaults: a session, the Origin rule on every mutation, the read or write error set. */
export const sessionSpec = <const D extends SessionRouteDef>(d: D): D & SessionRouteSpec =>
  ({
    auth: "session",
    csrf: d.method === "get" ? "none" : "origin",
    ...d,
    // A route reachable before sign-in never answers 401.
    errors: (d.errors ?? (d.method === "get" ? READ : WRITE)).filter(
      (code) => d.auth !== "none" || code !== "UNAUTHORIZED",
    ),
  }) as D & SessionRouteSpec;
