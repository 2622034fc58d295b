// Shapes the app reads, all from the contract (types only, so zod stays out of the bundle): the public
// resources and the session routes' responses (packages/contract session-responses.ts).
import type { Role, RunStatus } from "@mogplex/contract";

export type {
  AuditEvent,
  ConnectionSummary,
  CreatedGatewayKey,
  CreatedToken,
  GatewayKeySummary,
  Invitation,
  Member,
  Membership,
  PendingDeviceRequest,
  Repo,
  Role,
  Run,
  RunEvent,
  RunStatus,
  SessionRow,
  TokenSummary,
  WebSession as SessionInfo,
} from "@mogplex/contract";

export const RUN_STATUS_LIST: readonly RunStatus[] = ["pending", "running", "success", "failed", "cancelled"];
export const isTerminalStatus = (s: RunStatus) => s === "success" || s === "failed" || s === "cancelled";
export const TERMINAL_EVENTS = ["finished", "failed", "cancelled"];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };
export const atLeast = (role: Role | undefined, min: Role) => role !== undefined && RANK[role] >= RANK[min];
