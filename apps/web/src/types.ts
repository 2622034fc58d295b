// Shapes the app reads: the public resources come from the contract (types only, so zod stays out of the
// bundle); the session-route shapes are declared here.
import type { Role, RunStatus } from "@mogplex/contract";

export type {
  ConnectionSummary,
  CreatedGatewayKey,
  CreatedToken,
  GatewayKeySummary,
  Repo,
  Role,
  Run,
  RunEvent,
  RunStatus,
  TokenSummary,
} from "@mogplex/contract";

export const RUN_STATUS_LIST: readonly RunStatus[] = ["pending", "running", "success", "failed", "cancelled"];
export const isTerminalStatus = (s: RunStatus) => s === "success" || s === "failed" || s === "cancelled";
export const TERMINAL_EVENTS = ["finished", "failed", "cancelled"];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };
export const atLeast = (role: Role | undefined, min: Role) => role !== undefined && RANK[role] >= RANK[min];

export interface Membership {
  teamId: string;
  slug: string;
  name: string;
  role: Role;
}

export interface SessionInfo {
  user: { id: string; email: string; name: string; twoFactorEnabled: boolean };
  teams: Membership[];
  activeTeamId: string | null;
}

export interface Member {
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  status: "pending" | "accepted" | "revoked" | "expired";
}

export interface SessionRow {
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  id: string;
  seq: number;
  actor: { type: string; id: string | null };
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  authSource: string | null;
  payload: unknown;
  createdAt: string;
}
