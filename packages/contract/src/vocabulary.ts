// Zod-free vocabulary the web app needs at run time (run statuses, event types, role order): imported by the
// bundle as "@mogplex/contract/vocabulary" so the schemas (and zod) stay out of it. The schemas build on these.
export { isRole, ROLES, roleAtLeast } from "./principals.js";

export const RUN_STATUSES = ["pending", "running", "success", "failed", "cancelled"] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: readonly RunStatusName[] = ["success", "failed", "cancelled"];

export const RUN_EVENT_TYPES = [
  "started",
  "status_changed",
  "model_call",
  "tool_started",
  "tool_finished",
  "file_changed",
  "commit",
  "log",
  "package_installed",
  "cancel_requested",
  "cancelled",
  "finished",
  "failed",
] as const;
export type RunEventTypeName = (typeof RUN_EVENT_TYPES)[number];
export const TERMINAL_EVENT_TYPES: readonly RunEventTypeName[] = ["finished", "failed", "cancelled"];
