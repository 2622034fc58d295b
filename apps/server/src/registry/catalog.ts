// Vendors, search, listing detail and release status: what the registry shows, and to whom.
import type { CreateVendorRequest, Listing, ListingDetail, Release, Vendor } from "@mogplex/contract";
import { sql } from "kysely";
import type { AuditContext } from "../audit/store.js";
import { decodeCursor, olderThan, pageOf } from "../db/pagination.js";
import { failure, notFound } from "../failure.js";
import { inVendorTeam, type RegistryDeps, visibleListing } from "./deps.js";
import { compareSemver, containsPattern, listingOut, releaseOut, releaseSummary, vendorOut } from "./rows.js";

export interface Caller {
  userId: string;
  teamId: string;
}

export class Catalog {
  constructor(private readonly d: RegistryDeps) {}

  async createVendor(caller: Caller, req: CreateVendorRequest, ctx: AuditContext): Promise<Vendor> {
    const now = this.d.clock.now();
    return this.d.db.transaction().execute(async (trx) => {
      const mine = await trx
        .selectFrom("registry_vendors")
        .select("slug")
        .where("team_id", "=", caller.teamId)
        .executeTakeFirst();
      if (mine)
        throw failure("CONFLICT", `This team already has a vendor (${mine.slug}); a team has one vendor`);
      const taken = await trx
        .selectFrom("registry_vendors")
        .select("slug")
        .where("slug", "=", req.slug)
        .executeTakeFirst();
      if (taken) throw failure("CONFLICT", `The vendor slug ${req.slug} is taken`);
      const row = {
        slug: req.slug,
        team_id: caller.teamId,
        name: req.name,
        created_by: caller.userId,
        created_at: now,
      };
      await trx.insertInto("registry_vendors").values(row).execute();
      await this.d.audit.append(trx, ctx, {
        teamId: caller.teamId,
        action: "registry.vendor.created",
        targetType: "vendor",
        targetId: req.slug,
        payload: { slug: req.slug, name: req.name },
      });
      return vendorOut(row);
    });
  }

  async getVendor(slug: string): Promise<Vendor> {
    const row = await this.d.db
      .selectFrom("registry_vendors")
      .selectAll()
      .where("slug", "=", slug)
      .executeTakeFirst();
    if (!row) throw notFound("Vendor");
    return vendorOut(row);
  }

  async search(
    caller: Caller,
    o: { q?: string; type?: string; limit: number; cursor?: string },
  ): Promise<{ packages: Listing[]; nextCursor: string | null }> {
    const cursor = decodeCursor(o.cursor);
    const mine = this.d.db
      .selectFrom("registry_vendors as v")
      .innerJoin("team_members as m", "m.team_id", "v.team_id")
      .select("v.slug")
      .where("m.user_id", "=", caller.userId);
    let q = this.d.db
      .selectFrom("registry_listings")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb("visibility", "=", "public"), eb("latest_version", "is not", null)]),
          eb("vendor_slug", "in", mine),
        ]),
      );
    if (o.type) q = q.where("type", "=", o.type);
    if (o.q) {
      const like = containsPattern(o.q);
      q = q.where(
        sql<boolean>`(lower(name) like ${like} escape '\\' or lower(description) like ${like} escape '\\')`,
      );
    }
    if (cursor) q = q.where(olderThan(cursor));
    const rows = await q
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(o.limit + 1)
      .execute();
    const { page, nextCursor } = pageOf(rows, o.limit);
    return { packages: page.map(listingOut), nextCursor };
  }

  async detail(caller: Caller, name: string): Promise<ListingDetail> {
    const { listing, member } = await visibleListing(this.d.db, name, caller.userId);
    let q = this.d.db.selectFrom("registry_releases").selectAll().where("listing_id", "=", listing.id);
    if (!member) q = q.where("scan_status", "=", "passed");
    const rows = await q.execute();
    rows.sort((a, b) => compareSemver(b.version, a.version));
    return { ...listingOut(listing), releases: rows.map((r) => releaseSummary(r)) };
  }

  /** The vendor team sees every release of theirs; anyone else only a published release of a public listing. */
  async release(caller: Caller, releaseId: string): Promise<Release> {
    const row = await this.d.db
      .selectFrom("registry_releases as r")
      .innerJoin("registry_listings as l", "l.id", "r.listing_id")
      .selectAll("r")
      .select(["l.name as listing_name", "l.vendor_slug", "l.visibility"])
      .where("r.id", "=", releaseId)
      .executeTakeFirst();
    if (!row) throw notFound("Release");
    const { listing_name, vendor_slug, visibility, ...release } = row;
    const open = release.scan_status === "passed" && visibility === "public";
    if (!open) {
      if (!(await inVendorTeam(this.d.db, vendor_slug, caller.userId))) throw notFound("Release");
    }
    return releaseOut(release, listing_name);
  }
}
