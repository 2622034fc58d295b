// Shapes the app reads, all from the contract: types only from the schemas (so zod stays out of the bundle) —
// the public resources and the session routes' responses — and run-time values from its zod-free vocabulary.
import type { Role, RunStatus } from "@mogplex/contract";
import {
  RUN_EVENT_TYPES,
  RUN_STATUSES,
  roleAtLeast,
  TERMINAL_EVENT_TYPES,
  TERMINAL_RUN_STATUSES,
} from "@mogplex/contract/vocabulary";

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

export const RUN_STATUS_LIST: readonly RunStatus[] = RUN_STATUSES;
export const isTerminalStatus = (s: RunStatus) => TERMINAL_RUN_STATUSES.includes(s);
export const TERMINAL_EVENTS: readonly string[] = TERMINAL_EVENT_TYPES;
export { RUN_EVENT_TYPES };

export const atLeast = (role: Role | undefined, min: Role) => role !== undefined && roleAtLeast(role, min);
