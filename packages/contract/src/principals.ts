// Who is calling: team roles and the two principals (a personal access token, a browser session). Defined
// here once; the server and the web app import them.
import type { Scope } from "./common.js";

/** Team roles, highest first. */
export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** True when `role` is `min` or higher. */
export const roleAtLeast = (role: Role, min: Role): boolean => RANK[role] >= RANK[min];

export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

/** A compiled per-credential network allowlist (the `IpAllowlist` entries, parsed). */
export interface CompiledAllowlist {
  readonly entries: readonly string[];
  /** True when the address is inside one of the ranges; "unknown" (no socket) is never allowed. */
  allows(ip: string): boolean;
}

export interface PatPrincipal {
  kind: "pat";
  userId: string;
  teamId: string;
  role: Role;
  tokenId: string;
  scopes: ReadonlyArray<Scope>;
  /** Who the token was minted for: runs it starts are recorded with `source: "cli"` or `"api"`. */
  client: "api" | "cli";
  /** Addresses the token may be used from; null = any. */
  ipAllowlist: CompiledAllowlist | null;
}

export interface SessionPrincipal {
  kind: "session";
  userId: string;
  sessionId: string;
  email: string;
  name: string;
}

/**
 * A user acting in one team with their role there: what a session route hands services once the session-route
 * table's team source and minimum role are enforced (a PAT principal is one too). No token, no scopes.
 */
export interface TeamMember {
  userId: string;
  teamId: string;
  role: Role;
}
