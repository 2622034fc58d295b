// The package registry: vendors (one per team), listings, releases (upload → scan → publish, with their scan
// claims), and entitlements (who may download what).
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists at that point
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("registry_vendors")
    .addColumn("slug", "text", (c) => c.primaryKey())
    .addColumn("team_id", "text", (c) => c.notNull().unique().references("teams.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("registry_listings")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique()) // vendor/slug
    .addColumn("vendor_slug", "text", (c) => c.notNull().references("registry_vendors.slug"))
    .addColumn("slug", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("price_cents", "integer", (c) => c.notNull())
    .addColumn("latest_version", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("registry_listings_created")
    .on("registry_listings")
    .columns(["created_at", "id"])
    .execute();

  // blob_sha256 is what the upload hashed to (the blob's name); sha256, files, statement and signature are
  // written once, at publish, and never changed.
  await db.schema
    .createTable("registry_releases")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("listing_id", "text", (c) => c.notNull().references("registry_listings.id"))
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("team_id", "text", (c) => c.notNull())
    .addColumn("uploaded_by", "text", (c) => c.notNull())
    .addColumn("blob_sha256", "text", (c) => c.notNull())
    .addColumn("archive_bytes", "bigint", (c) => c.notNull())
    .addColumn("scan_status", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("error", "text")
    .addColumn("type", "text")
    .addColumn("description", "text")
    .addColumn("sha256", "text")
    .addColumn("files", "text")
    .addColumn("statement", "text")
    .addColumn("signature", "text")
    .addColumn("key_id", "text")
    .addColumn("published_at", "bigint")
    .addColumn("scan_owner", "text")
    .addColumn("scan_expires_at", "bigint")
    .addColumn("scan_attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("registry_releases_version", ["listing_id", "version"])
    .execute();
  // The scan claim walks queued (and expired scanning) releases oldest first.
  await db.schema
    .createIndex("registry_releases_scan")
    .on("registry_releases")
    .columns(["scan_status", "created_at"])
    .execute();

  await db.schema
    .createTable("registry_entitlements")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("team_id", "text", (c) => c.notNull())
    .addColumn("listing_id", "text", (c) => c.notNull().references("registry_listings.id"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("price_cents", "integer", (c) => c.notNull())
    .addColumn("ledger_entry_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addUniqueConstraint("registry_entitlements_user_listing", ["user_id", "listing_id"])
    .execute();
}
