// What the registry's rooms share: storage, keys, the scanner and purchase seams, and who may see a listing.
import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/store.js";
import type { Clock } from "../clock.js";
import type { Dialect } from "../db/connect.js";
import type { DB } from "../db/schema.js";
import { notFound } from "../failure.js";
import type { Logger } from "../logger.js";
import type { BlobStore } from "./blob-store.js";
import type { Purchases } from "./purchases.js";
import type { ListingRow } from "./rows.js";
import type { ReleaseScanner } from "./scan/types.js";
import type { StatementSigner, UrlSigner } from "./signing.js";

export interface RegistryDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  blobs: BlobStore;
  signer: StatementSigner;
  urls: UrlSigner;
  /** Replaceable: the sandboxed scanner, or a test's. */
  scanner: ReleaseScanner;
  /** Replaceable: the wallet and spend policies. */
  purchases: Purchases;
  scanPollMs: number;
  scanLeaseMs: number;
}

/** True when `userId` is a member (any role) of the team that owns vendor `vendorSlug`. */
export async function inVendorTeam(db: Kysely<DB>, vendorSlug: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom("registry_vendors as v")
    .innerJoin("team_members as m", "m.team_id", "v.team_id")
    .select("m.user_id")
    .where("v.slug", "=", vendorSlug)
    .where("m.user_id", "=", userId)
    .executeTakeFirst();
  return row !== undefined;
}

export interface VisibleListing {
  listing: ListingRow;
  /** The caller belongs to the vendor's team: sees unpublished releases and the team listing. */
  member: boolean;
}

/**
 * The listing `name` as `userId` may see it. Anyone else than the vendor team sees only public listings with a
 * published release; everything else is the same 404 as a missing listing (no existence oracle).
 */
export async function visibleListing(db: Kysely<DB>, name: string, userId: string): Promise<VisibleListing> {
  const listing = await db
    .selectFrom("registry_listings")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  if (!listing) throw notFound("Package");
  const member = await inVendorTeam(db, listing.vendor_slug, userId);
  if (!member && (listing.visibility !== "public" || listing.latest_version === null))
    throw notFound("Package");
  return { listing, member };
}

/** `userId`'s active entitlement to listing `listingId`, if any. */
export function activeEntitlement(db: Kysely<DB>, userId: string, listingId: string) {
  return db
    .selectFrom("registry_entitlements")
    .selectAll()
    .where("user_id", "=", userId)
    .where("listing_id", "=", listingId)
    .where("status", "=", "active")
    .executeTakeFirst();
}
