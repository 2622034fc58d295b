// Kysely table types for Mogplex's own tables (Better Auth's tables are typed by Better Auth).
import type { Role } from "@mogplex/contract";
import type { Generated } from "kysely";
import type { LlmTables } from "./schema-llm.js";
import type { PreviewTables } from "./schema-preview.js";
import type {
  RegistryEntitlementsTable,
  RegistryListingsTable,
  RegistryReleasesTable,
  RegistryVendorsTable,
} from "./schema-registry.js";
import type { WalletTables } from "./schema-wallet.js";

/** Milliseconds since the epoch: portable across SQLite and PostgreSQL (bigint). */
type Ms = number;

export interface TeamsTable {
  id: string;
  slug: string;
  name: string;
  allowed_models: string | null; // JSON array; null = every model
  default_model: string | null;
  /** JSON array of tool patterns runs may request; null (or absent) = any tool the starter can call. */
  run_tools_policy?: string | null;
  created_at: Ms;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: Role;
  created_at: Ms;
}

export interface InvitationsTable {
  id: string;
  team_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: Ms;
  expires_at: Ms;
  accepted_at: Ms | null;
  accepted_by: string | null;
  revoked_at: Ms | null;
}

export interface PersonalAccessTokensTable {
  id: string;
  user_id: string;
  team_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string; // JSON array
  /** What minted it: "cli" for the CLI's browser and device sign-in, "api" for everything else. */
  client: "api" | "cli";
  ip_allowlist: string | null; // JSON array of addresses / CIDR ranges; null = any address
  created_at: Ms;
  last_used_at: Ms | null;
  expires_at: Ms | null;
  revoked_at: Ms | null;
}

export interface ReposTable {
  id: string;
  team_id: string;
  full_name: string;
  source_url: string;
  default_branch: string;
  root_directory: string;
  install_command: string | null;
  dev_command: string | null;
  port: number | null;
  environment_source: string | null;
  created_at: Ms;
}

export interface RunsTable {
  id: string;
  team_id: string;
  user_id: string;
  repo_id: string;
  source: string;
  harness: string;
  model: string | null;
  status: string;
  prompt: string;
  base_branch: string;
  working_branch: string | null;
  create_branch: number;
  root_directory: string;
  sandbox_id: string | null;
  agent_id: string | null;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  created_at: Ms;
  updated_at: Ms;
  started_at: Ms | null;
  finished_at: Ms | null;
  /** JSON array of the team tools the run may call (RunToolName); null (or absent) = none. */
  tools?: string | null;
  /** The live preview's path on the control plane (the sandbox's preview_url); null (or absent) = none. */
  preview_url?: string | null;
  /** JSON array of the registry packages (`vendor/slug@version`) installed before the agent starts; null = none. */
  packages?: string | null;
}

export interface RunEventsTable {
  id: string;
  run_id: string;
  seq: number;
  type: string;
  tool_name: string | null;
  message: string | null;
  payload: string | null; // sanitised JSON
  created_at: Ms;
}

export interface SandboxesTable {
  id: string;
  team_id: string;
  repo_id: string;
  run_id: string | null;
  status: string;
  base_branch: string;
  working_branch: string | null;
  root_directory: string;
  preview_url: string | null;
  stop_reason: string | null;
  error: string | null;
  created_at: Ms;
  last_active_at: Ms;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  resource_type: string;
  resource_id: string;
  created_at: Ms;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  team_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  auth_source: string | null;
  payload: string; // redacted JSON
  created_at: Ms;
  prev_hash: string;
  hash: string;
}

export interface SetupTokensTable {
  id: string;
  token_hash: string;
  created_at: Ms;
  expires_at: Ms;
  used_at: Ms | null;
}

export interface UserSecurityTable {
  user_id: string;
  failed_2fa_count: number;
  locked_until: Ms | null;
  deleted_at: Ms | null;
}

export interface CliAuthCodesTable {
  id: string;
  code_hash: string;
  code_challenge: string;
  user_id: string;
  team_id: string;
  created_at: Ms;
  expires_at: Ms;
  consumed_at: Ms | null;
}

export interface CliDeviceCodesTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  status: "pending" | "approved" | "denied" | "consumed";
  interval_s: number;
  last_polled_at: Ms | null;
  requester_ip: string | null;
  requester_agent: string | null;
  /** The CLI that asked (`mog`), or null for `mogplex`: decides the token's scopes. */
  client_id: string | null;
  user_id: string | null;
  team_id: string | null;
  created_at: Ms;
  expires_at: Ms;
  decided_at: Ms | null;
}

export interface ConnectionsTable {
  id: string;
  team_id: string;
  repo_id: string | null; // null = team-global
  kind: "rest" | "mcp_server";
  name: string;
  transport: "stdio" | "http" | "sse" | null; // mcp_server only
  url: string | null;
  command: string | null;
  args: string; // JSON array
  header_names: string; // JSON array, the values are in headers_enc
  headers_enc: string | null; // envelope of a JSON object
  env_names: string; // JSON array
  env_enc: string | null; // envelope of a JSON object
  egress_hosts: string; // JSON array (stdio servers' sandbox egress allowlist)
  mounts: string; // JSON array (stdio servers' extra read-only paths in their sandbox)
  last_error: string | null; // the last failure to start or connect (sanitised), until the next success
  last_error_at: Ms | null;
  last_ok_at: Ms | null;
  timeout_ms: number | null;
  enabled: number; // 0 | 1
  /** rest only: JSON array of HTTP methods runs may use; null (or absent) = GET and HEAD. */
  methods?: string | null;
  created_by: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface ConnectionExclusionsTable {
  team_id: string;
  repo_id: string;
  connection_id: string;
  created_at: Ms;
}

export interface GatewayKeysTable {
  id: string;
  key_id: string; // the 32-hex id embedded in the key
  team_id: string;
  user_id: string;
  name: string;
  secret_hash: string; // Argon2id PHC string of the secret part
  prefix: string;
  servers: string | null; // JSON array of server names; null = all
  tools: string | null; // JSON array of <server>__<tool>; null = every tool of the allowed servers
  rate_limit_rps: number | null;
  ip_allowlist: string | null; // JSON array of addresses / CIDR ranges; null = any address
  created_at: Ms;
  last_used_at: Ms | null;
  expires_at: Ms | null;
  revoked_at: Ms | null;
  rotated_at: Ms | null;
}

export interface GatewayRequestsTable {
  id: string;
  key_id: string | null;
  team_id: string | null;
  request_id: string;
  method: string;
  server: string | null;
  tool: string | null;
  status: string;
  error_class: string | null;
  latency_ms: number;
  /** The run a call was made for (team tools in runs); null for gateway-key clients. */
  run_id?: string | null;
  created_at: Ms;
}

export interface RunLeasesTable {
  run_id: string;
  worker_id: string;
  claimed_at: Ms;
  heartbeat_at: Ms;
  expires_at: Ms;
  started: number; // 0 | 1: the run moved to running under this lease
  attempts: number;
}

export interface TeamProviderKeysTable {
  team_id: string;
  provider: string;
  key_enc: string; // envelope bound to team + provider
  created_at: Ms;
  updated_at: Ms;
}

export interface RepoEgressTable {
  repo_id: string;
  hosts: string; // JSON array
  updated_at: Ms;
}

export interface MogplexTables {
  teams: TeamsTable;
  team_members: TeamMembersTable;
  invitations: InvitationsTable;
  personal_access_tokens: PersonalAccessTokensTable;
  repos: ReposTable;
  runs: RunsTable;
  run_events: RunEventsTable;
  sandboxes: SandboxesTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_events: AuditEventsTable;
  setup_tokens: SetupTokensTable;
  user_security: UserSecurityTable;
  cli_auth_codes: CliAuthCodesTable;
  cli_device_codes: CliDeviceCodesTable;
  connections: ConnectionsTable;
  connection_exclusions: ConnectionExclusionsTable;
  gateway_keys: GatewayKeysTable;
  gateway_requests: GatewayRequestsTable;
  run_leases: RunLeasesTable;
  team_provider_keys: TeamProviderKeysTable;
  repo_egress: RepoEgressTable;
  registry_vendors: RegistryVendorsTable;
  registry_listings: RegistryListingsTable;
  registry_releases: RegistryReleasesTable;
  registry_entitlements: RegistryEntitlementsTable;
}

/** The subset of Better Auth's `user` table our own queries read. */
export interface AuthUserTable {
  id: string;
  name: string;
  email: string;
  emailVerified: number | boolean;
  image: string | null;
  createdAt: Generated<string | Date>;
  updatedAt: Generated<string | Date>;
  twoFactorEnabled: number | boolean | null;
}

export interface AuthSessionTable {
  id: string;
  userId: string;
  token: string;
  expiresAt: string | Date;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string | Date;
  updatedAt: string | Date;
}

export interface AuthAccountTable {
  id: string;
  userId: string;
  providerId: string;
  password: string | null;
}

export interface AuthTwoFactorTable {
  id: string;
  userId: string;
  failedVerificationCount: number | null;
  lockedUntil: string | Date | null;
}

export interface DB extends MogplexTables, WalletTables, LlmTables, PreviewTables {
  user: AuthUserTable;
  session: AuthSessionTable;
  account: AuthAccountTable;
  twoFactor: AuthTwoFactorTable;
}
