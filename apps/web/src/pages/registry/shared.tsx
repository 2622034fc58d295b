// What the registry pages share: the shapes they read (types from the contract), the session routes they call,
// money, and the scan status badge (a category only: never what a scan matched).
import type {
  Entitlement,
  Listing,
  ListingDetail,
  Release,
  ScanStatus,
  UploadedRelease,
  Vendor,
} from "@mogplex/contract";
import { api, get, post } from "../../api.js";

export type {
  Entitlement,
  LedgerEntry,
  Listing,
  ListingDetail,
  Release,
  ReleaseSummary,
  ScanStatus,
  SpendApproval,
  SpendPolicy,
  Vendor,
  Wallet,
} from "@mogplex/contract";

export const PACKAGE_TYPES = ["skill", "rule", "mcp", "bundle", "template"] as const;
/** A scan that ended: the upload page stops polling. */
export const FINAL_SCAN: readonly ScanStatus[] = ["passed", "failed", "flagged", "error"];

const W = "/api/web/registry";
export const packagePath = (name: string) => `/registry/packages/${name}`;

export const registry = {
  search: (params: URLSearchParams, signal?: AbortSignal) =>
    get<{ packages: Listing[]; nextCursor: string | null }>(`${W}/packages?${params}`, signal),
  listing: (vendor: string, slug: string, signal?: AbortSignal) =>
    get<{ listing: ListingDetail }>(
      `${W}/packages/${encodeURIComponent(vendor)}/${encodeURIComponent(slug)}`,
      signal,
    ),
  release: (id: string, signal?: AbortSignal) =>
    get<{ release: Release }>(`${W}/releases/${encodeURIComponent(id)}`, signal),
  vendor: (signal?: AbortSignal) => get<{ vendor: Vendor | null }>(`${W}/vendor`, signal),
  createVendor: (slug: string, name: string) => post<{ vendor: Vendor }>(`${W}/vendor`, { slug, name }),
  upload: (file: Blob, query: URLSearchParams) =>
    api<{ release: UploadedRelease }>("POST", `${W}/releases${query.size > 0 ? `?${query}` : ""}`, {
      raw: { type: "application/zip", data: file },
    }),
  entitlements: (signal?: AbortSignal) => get<{ entitlements: Entitlement[] }>(`${W}/entitlements`, signal),
  acquire: (name: string) => post<{ entitlement: Entitlement }>(`${W}/entitlements`, { name }),
};

/** The wallet's session routes name their team in the path. */
export const teamPath = (teamId: string, rest: string) => `/api/teams/${encodeURIComponent(teamId)}/${rest}`;

export function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

export function Price({ cents }: { cents: number }) {
  return cents === 0 ? <span>Free</span> : <span>{money(cents)}</span>;
}

const BADGE: Record<ScanStatus, string> = {
  queued: "status-pending",
  scanning: "status-running",
  passed: "status-success",
  failed: "status-failed",
  flagged: "status-failed",
  error: "status-cancelled",
};

export function ScanBadge({ status }: { status: ScanStatus }) {
  return <span className={`badge ${BADGE[status]}`}>{status}</span>;
}

const REASONS: Record<string, string> = {
  manifest: "the manifest (mog.yaml) is missing or invalid",
  file_type: "a file type this package type may not carry",
  size: "a size, file-count or compression limit",
  path_traversal: "a path that would land outside the install folder",
  secret: "a secret (a key or token) in the package",
  structure: "the archive's structure (layout, duplicates, corruption)",
};

/** Why a scan refused a release: its category and what the category means, nothing of the content. */
export function ScanReason({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <span className="scan-reason">
      <code>{reason}</code> — {REASONS[reason] ?? "refused by the scan"}
    </span>
  );
}

/** Text of a scan outcome for a status line. */
export function scanSentence(status: ScanStatus): string {
  switch (status) {
    case "queued":
      return "Queued for the scan…";
    case "scanning":
      return "Scanning in a sandbox…";
    case "passed":
      return "Passed the scan and published.";
    case "failed":
      return "Refused by the scan; not published.";
    case "flagged":
      return "Flagged by the scan for review; not published.";
    case "error":
      return "The scan could not run; not published. Upload it again later.";
  }
}
