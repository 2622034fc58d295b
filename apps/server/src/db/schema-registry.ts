// Kysely table types of the package registry (migration 0010).
import type { Generated } from "kysely";

type Ms = number;

export interface RegistryVendorsTable {
  slug: string;
  team_id: string;
  name: string;
  created_by: string;
  created_at: Ms;
}

export interface RegistryListingsTable {
  id: string;
  name: string;
  vendor_slug: string;
  slug: string;
  type: string;
  description: string;
  visibility: "public" | "team";
  price_cents: number;
  latest_version: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface RegistryReleasesTable {
  id: string;
  listing_id: string;
  version: string;
  team_id: string;
  uploaded_by: string;
  blob_sha256: string;
  archive_bytes: number;
  scan_status: string;
  reason: string | null;
  /** Why a scan could not run (operator-facing, never package content). */
  error: string | null;
  type: string | null;
  description: string | null;
  sha256: string | null;
  files: string | null; // JSON [{path,size,sha256}]
  statement: string | null;
  signature: string | null;
  key_id: string | null;
  published_at: Ms | null;
  scan_owner: string | null;
  scan_expires_at: Ms | null;
  scan_attempts: Generated<number>;
  created_at: Ms;
  updated_at: Ms;
}

export interface RegistryEntitlementsTable {
  id: string;
  user_id: string;
  team_id: string;
  listing_id: string;
  status: "active" | "revoked";
  price_cents: number;
  ledger_entry_id: string | null;
  created_at: Ms;
  revoked_at: Ms | null;
}
