// The package registry's wire shapes (/api/v1/registry): listings, vendors, releases, entitlements, downloads,
// the signed release statement and the registry's public key.
import { z } from "zod";
import { IsoDate, ListQuery } from "./common.js";

export const REGISTRY_PACKAGE_TYPES = ["skill", "rule", "mcp", "bundle", "template"] as const;
export const RegistryPackageType = z.enum(REGISTRY_PACKAGE_TYPES);
export type RegistryPackageType = z.infer<typeof RegistryPackageType>;

/** A vendor's slug: 2–32 lowercase letters, digits and hyphens, no hyphen at either end. Immutable. */
export const VENDOR_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
export const VendorSlug = z
  .string()
  .min(2, "slug must be 2-32 characters")
  .max(32, "slug must be 2-32 characters")
  .regex(
    VENDOR_SLUG_PATTERN,
    "slug must be lowercase letters, digits and hyphens, not starting or ending with -",
  );

/** `vendor/slug` as a package's mog.yaml names it. */
export const PACKAGE_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PackageName = z
  .string()
  .max(128, "name must be at most 128 characters")
  .regex(PACKAGE_NAME_PATTERN, "name must be vendor/slug (lowercase letters, digits and hyphens)");

/** Semantic version as `semver.valid` prints it, without build metadata. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?$/;
export const SemverString = z
  .string()
  .max(128, "version must be at most 128 characters")
  .regex(SEMVER_PATTERN, "version must be a semantic version (1.2.3)");

export const Visibility = z.enum(["public", "team"]);
export type Visibility = z.infer<typeof Visibility>;

export const SCAN_STATUSES = ["queued", "scanning", "passed", "failed", "flagged", "error"] as const;
export const ScanStatus = z.enum(SCAN_STATUSES);
export type ScanStatus = z.infer<typeof ScanStatus>;
/** The only reason a release carries: a category, never the content that matched. */
export const ScanReason = z.enum(["manifest", "file_type", "size", "path_traversal", "secret", "structure"]);
export type ScanReason = z.infer<typeof ScanReason>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const Listing = z.object({
  name: z.string(),
  vendor: z.string(),
  slug: z.string(),
  type: RegistryPackageType,
  description: z.string(),
  visibility: Visibility,
  priceCents: z.number().int(),
  latestVersion: z.string().nullable(),
  updatedAt: IsoDate,
});
export type Listing = z.infer<typeof Listing>;

export const ReleaseFile = z.object({ path: z.string(), size: z.number().int(), sha256: Sha256Hex });
export type ReleaseFile = z.infer<typeof ReleaseFile>;

export const ReleaseSummary = z.object({
  releaseId: z.string(),
  version: z.string(),
  scanStatus: ScanStatus,
  reason: ScanReason.nullable(),
  sha256: Sha256Hex.nullable(),
  publishedAt: IsoDate.nullable(),
  files: z.array(ReleaseFile).optional(),
});
export type ReleaseSummary = z.infer<typeof ReleaseSummary>;

export const ListingDetail = Listing.extend({ releases: z.array(ReleaseSummary) });
export type ListingDetail = z.infer<typeof ListingDetail>;

export const Release = z.object({
  releaseId: z.string(),
  name: z.string(),
  version: z.string(),
  scanStatus: ScanStatus,
  reason: ScanReason.nullable(),
  sha256: Sha256Hex.nullable(),
  publishedAt: IsoDate.nullable(),
});
export type Release = z.infer<typeof Release>;

export const UploadedRelease = Release.pick({ releaseId: true, name: true, version: true }).extend({
  scanStatus: z.literal("queued"),
});
export type UploadedRelease = z.infer<typeof UploadedRelease>;

export const Vendor = z.object({
  slug: z.string(),
  name: z.string(),
  teamId: z.string(),
  createdAt: IsoDate,
});
export type Vendor = z.infer<typeof Vendor>;

export const CreateVendorRequest = z
  .object({
    slug: VendorSlug,
    name: z.string().trim().min(1, "name must be 1-100 characters").max(100, "name must be 1-100 characters"),
  })
  .strict();
export type CreateVendorRequest = z.infer<typeof CreateVendorRequest>;

/** Cents, as the query string carries them: 0 (free) up to 1,000,000 ($10,000). */
export const PriceCentsQuery = z
  .string()
  .regex(/^\d{1,7}$/, "priceCents must be a whole number of cents")
  .transform(Number)
  .refine((n) => n <= 1_000_000, "priceCents must be at most 1000000");

export const UploadQuery = z
  .object({
    visibility: Visibility.optional().describe("public (default) or team: only the vendor team sees it"),
    priceCents: PriceCentsQuery.optional().describe("the listing's price in cents (0 = free)"),
  })
  .strict();
export type UploadQuery = z.infer<typeof UploadQuery>;

export const PackageSearchQuery = ListQuery.extend({
  q: z.string().max(200).optional().describe("substring of the name or description"),
  type: RegistryPackageType.optional(),
});

export const EntitlementStatus = z.enum(["active", "revoked"]);
export const Entitlement = z.object({
  entitlementId: z.string(),
  name: z.string(),
  status: EntitlementStatus,
  createdAt: IsoDate,
});
export type Entitlement = z.infer<typeof Entitlement>;

export const CreateEntitlementRequest = z.object({ name: PackageName }).strict();
export type CreateEntitlementRequest = z.infer<typeof CreateEntitlementRequest>;

export const CreateDownloadRequest = z
  .object({ name: PackageName, version: SemverString.optional() })
  .strict();
export type CreateDownloadRequest = z.infer<typeof CreateDownloadRequest>;

export const SignedRelease = z.object({
  releaseId: z.string(),
  name: z.string(),
  version: z.string(),
  sha256: Sha256Hex,
  type: RegistryPackageType,
  /** Canonical JSON of the release statement (see `releaseStatement`). */
  statement: z.string(),
  /** Base64 Ed25519 signature over the UTF-8 bytes of `statement`. */
  signature: z.string(),
  keyId: z.string(),
});
export type SignedRelease = z.infer<typeof SignedRelease>;

export const Download = z.object({ url: z.string(), expiresAt: IsoDate, release: SignedRelease });
export type Download = z.infer<typeof Download>;

export const RegistryKey = z.object({
  keyId: z.string(),
  algorithm: z.literal("Ed25519"),
  /** Base64 of the raw 32-byte public key. */
  publicKey: z.string(),
});
export type RegistryKey = z.infer<typeof RegistryKey>;

/** What the registry signs at publish. */
export interface ReleaseStatementFields {
  name: string;
  version: string;
  type: RegistryPackageType;
  sha256: string;
  files: Record<string, string>;
  publishedAt: string;
  keyId: string;
}

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The release statement string: canonical JSON of `{v:1, name, version, type, sha256, files, publishedAt, keyId}`. */
export function releaseStatement(f: ReleaseStatementFields): string {
  return canonicalJson({ v: 1, ...f });
}
