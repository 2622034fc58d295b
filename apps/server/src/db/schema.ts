// Kysely table types for Mogplex's own tables (Better Auth's tables are typed by Better Auth).
import type { Generated } from "kysely";

/** Milliseconds since the epoch: portable across SQLite and PostgreSQL (bigint). */
type Ms = number;

export interface TeamsTable {
  id: string;
  slug: string;
  name: string;
  allowed_models: string | null; // JSON array; null = every model
  default_model: string | null;
  created_at: Ms;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: "owner" | "admin" | "member" | "viewer";
  created_at: Ms;
}

export interface InvitationsTable {
  id: string;
  team_id: string;
  email: string;
  role: "owner" | "admin" | "member" | "viewer";
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

export interface DB extends MogplexTables {
  user: AuthUserTable;
  session: AuthSessionTable;
  account: AuthAccountTable;
  twoFactor: AuthTwoFactorTable;
}
