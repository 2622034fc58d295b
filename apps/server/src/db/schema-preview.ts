// Kysely table types of preview origins (migration 0019_preview_origins): hand-off codes and preview-host cookies.

/** Milliseconds since the epoch (bigint). */
type Ms = number;

/** A single-use code (stored as its SHA-256) that the control plane hands a member's browser for one preview host. */
export interface PreviewHandoffsTable {
  code_hash: string;
  user_id: string;
  /** The control-plane session that asked: the preview cookie lives only as long as it does. */
  session_id: string;
  sandbox_id: string;
  expires_at: Ms;
}

/** A preview host's own cookie (stored as its SHA-256): one member, one sandbox, one control-plane session. */
export interface PreviewSessionsTable {
  token_hash: string;
  user_id: string;
  session_id: string;
  sandbox_id: string;
  created_at: Ms;
  expires_at: Ms;
}

export interface PreviewTables {
  preview_handoffs: PreviewHandoffsTable;
  preview_sessions: PreviewSessionsTable;
}
