// Registry rows as the wire shapes of the contract, and the small pure helpers the rooms share.
import type {
  Entitlement,
  Listing,
  RegistryPackageType,
  Release,
  ReleaseFile,
  ReleaseSummary,
  ScanReason,
  ScanStatus,
  Vendor,
} from "@mogplex/contract";
import type {
  RegistryEntitlementsTable,
  RegistryListingsTable,
  RegistryReleasesTable,
  RegistryVendorsTable,
} from "../db/schema-registry.js";

export type ListingRow = RegistryListingsTable;
export type ReleaseRow = Omit<RegistryReleasesTable, "scan_attempts"> & { scan_attempts: number };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

export function vendorOut(v: RegistryVendorsTable): Vendor {
  return { slug: v.slug, name: v.name, teamId: v.team_id, createdAt: iso(v.created_at) as string };
}

export function listingOut(l: ListingRow): Listing {
  return {
    name: l.name,
    vendor: l.vendor_slug,
    slug: l.slug,
    type: l.type as RegistryPackageType,
    description: l.description,
    visibility: l.visibility,
    priceCents: Number(l.price_cents),
    latestVersion: l.latest_version,
    updatedAt: iso(l.updated_at) as string,
  };
}

export function releaseFiles(r: ReleaseRow): ReleaseFile[] | undefined {
  return r.files ? (JSON.parse(r.files) as ReleaseFile[]) : undefined;
}

export function releaseSummary(r: ReleaseRow): ReleaseSummary {
  const files = releaseFiles(r);
  return {
    releaseId: r.id,
    version: r.version,
    scanStatus: r.scan_status as ScanStatus,
    reason: (r.reason as ScanReason | null) ?? null,
    sha256: r.sha256,
    publishedAt: iso(r.published_at),
    ...(files ? { files } : {}),
  };
}

export function releaseOut(r: ReleaseRow, name: string): Release {
  return {
    releaseId: r.id,
    name,
    version: r.version,
    scanStatus: r.scan_status as ScanStatus,
    reason: (r.reason as ScanReason | null) ?? null,
    sha256: r.sha256,
    publishedAt: iso(r.published_at),
  };
}

export function entitlementOut(e: RegistryEntitlementsTable, name: string): Entitlement {
  return { entitlementId: e.id, name, status: e.status, createdAt: iso(e.created_at) as string };
}

/** Semver precedence (versions already validated by the manifest schema); negative when a < b. */
export function compareSemver(a: string, b: string): number {
  const [coreA = "", preA] = splitPre(a);
  const [coreB = "", preB] = splitPre(b);
  const na = coreA.split(".").map(Number);
  const nb = coreB.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((na[i] ?? 0) !== (nb[i] ?? 0)) return (na[i] ?? 0) - (nb[i] ?? 0);
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const pa = preA.split(".");
  const pb = preB.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (xn !== yn) return xn ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function splitPre(v: string): [string, string | undefined] {
  const i = v.indexOf("-");
  return i < 0 ? [v, undefined] : [v.slice(0, i), v.slice(i + 1)];
}

/** A LIKE pattern matching `q` anywhere, with LIKE's wildcards in `q` escaped (ESCAPE '\'). */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
