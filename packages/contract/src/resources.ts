// Public v1 resource shapes: repos, runs, run events, sandboxes.
import { z } from "zod";
import { BranchName, Id, IsoDate, RootDirectory } from "./common.js";
import { PACKAGE_NAME_PATTERN, SEMVER_PATTERN } from "./registry.js";
import { RUN_EVENT_TYPES, RUN_STATUSES } from "./vocabulary.js";

export const Repo = z.object({
  id: z.string(),
  teamId: z.string(),
  fullName: z.string(),
  defaultBranch: z.string(),
  rootDirectory: z.string(),
  installCommand: z.string().nullable(),
  devCommand: z.string().nullable(),
  port: z.number().nullable(),
  environmentSource: z.string().nullable(),
  createdAt: IsoDate,
});
export type Repo = z.infer<typeof Repo>;

export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RUN_SOURCES = ["api", "cli", "web", "slack", "github", "automation", "mcp"] as const;

/**
 * A team tool a run may call, host-side: `<server>__<tool>` (exactly the gateway's name for it),
 * `<server>__*` (every tool of that MCP server) or `rest:<connection>` (an `http_request` tool).
 */
export const RUN_TOOL_NAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31}__(?:\*|[A-Za-z0-9_-]{1,64})|rest:[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31})$/;
export const RunToolName = z
  .string()
  .max(200)
  .regex(RUN_TOOL_NAME, "tools must be named <server>__<tool>, <server>__* or rest:<connection>");

/** A registry package a run installs before its agent starts: `vendor/slug@version`, an exact version. */
export const RUN_PACKAGE_SPEC = new RegExp(
  `^${PACKAGE_NAME_PATTERN.source.slice(1, -1)}@${SEMVER_PATTERN.source.slice(1, -1)}$`,
);
export const RunPackageSpec = z
  .string()
  .max(260)
  .regex(
    RUN_PACKAGE_SPEC,
    "packages must be named vendor/slug@version with an exact version (acme/review@1.2.0)",
  );

export const CreateRunRequest = z
  .object({
    repoId: Id,
    prompt: z.string().min(1, "prompt is required").max(100_000, "prompt must be at most 100000 characters"),
    harness: z.string().min(1).max(64).optional(),
    model: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:/@-]+$/, "model must look like provider/model-id")
      .optional(),
    baseBranch: BranchName.optional(),
    branch: BranchName.optional(),
    createBranch: z.boolean().optional(),
    rootDirectory: RootDirectory.optional(),
    agentId: z.string().min(1).max(64).optional(),
    /** Team tools the run may call (MCP through the gateway, REST connections); none when absent. */
    tools: z.array(RunToolName).max(50, "tools must list at most 50 entries").optional(),
    /** Registry packages installed into the workspace (verified like `mog install`) before the agent starts. */
    packages: z.array(RunPackageSpec).max(10, "packages must list at most 10 entries").optional(),
  })
  .strict();
export type CreateRunRequest = z.infer<typeof CreateRunRequest>;

export const Run = z.object({
  id: z.string(),
  repoId: z.string(),
  source: z.enum(RUN_SOURCES),
  prompt: z.string(),
  harness: z.string(),
  /** The model asked for (or the team default) until the run starts, then the model the engine resolved. */
  model: z.string().nullable(),
  status: RunStatus,
  branch: z.object({ base: z.string(), working: z.string().nullable(), createBranch: z.boolean() }),
  rootDirectory: z.string(),
  sandboxId: z.string().nullable(),
  agentId: z.string().nullable(),
  /** Registry packages (`vendor/slug@version`) installed into the workspace before the agent starts; [] when none. */
  packages: z.array(z.string()),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  startedAt: IsoDate.nullable(),
  finishedAt: IsoDate.nullable(),
  error: z.string().nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }),
  eventsUrl: z.string(),
  cancelUrl: z.string(),
  /** Path of the run's live preview on the control plane (the repo's dev server); null when there is none. */
  previewUrl: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunEventType = z.enum(RUN_EVENT_TYPES);
export type RunEventType = z.infer<typeof RunEventType>;

export const RunEvent = z.object({
  id: z.string(),
  seq: z.number(),
  type: RunEventType,
  toolName: z.string().nullable(),
  message: z.string().nullable(),
  payload: z.unknown(),
  createdAt: IsoDate,
});
export type RunEvent = z.infer<typeof RunEvent>;

export const SANDBOX_STATUSES = ["creating", "installing", "running", "stopped", "error"] as const;
export const SandboxStatus = z.enum(SANDBOX_STATUSES);
export type SandboxStatus = z.infer<typeof SandboxStatus>;
export const STOP_REASONS = ["manual", "idle_timeout", "lifetime_timeout"] as const;

export const Sandbox = z.object({
  id: z.string(),
  repoId: z.string(),
  runId: z.string().nullable(),
  status: SandboxStatus,
  baseBranch: z.string(),
  workingBranch: z.string().nullable(),
  rootDirectory: z.string(),
  previewUrl: z.string().nullable(),
  stopReason: z.enum(STOP_REASONS).nullable(),
  createdAt: IsoDate,
  lastActiveAt: IsoDate,
  error: z.string().nullable(),
});
export type Sandbox = z.infer<typeof Sandbox>;

export { RUN_EVENT_TYPES, RUN_STATUSES, TERMINAL_EVENT_TYPES, TERMINAL_RUN_STATUSES } from "./vocabulary.js";
