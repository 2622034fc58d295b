// Entitlements (who may download a listing), signed download URLs and the blob they unlock.
import {
  DOWNLOAD_URL_TTL_SECONDS,
  type Entitlement,
  type RegistryPackageType,
  type SignedRelease,
} from "@mogplex/contract";
import type { Kysely } from "kysely";
import type { AuditContext } from "../audit/store.js";
import type { DB } from "../db/schema.js";
import { failure, notFound } from "../failure.js";
import { newId } from "../security/random.js";
import type { Caller } from "./catalog.js";
import { activeEntitlement, type RegistryDeps, visibleListing } from "./deps.js";
import { compareSemver, entitlementOut } from "./rows.js";

export interface PurchaseCaller extends Caller {
  /** null for a browser session: it holds no token, so it has no spend policy and can't buy priced listings. */
  tokenId: string | null;
}

export interface IssuedDownload {
  releaseId: string;
  expires: number;
  sig: string;
  release: SignedRelease;
}

export class Access {
  constructor(private readonly d: RegistryDeps) {}

  /** Acquires `name`: existing → returned (`created: false`); free or the caller's own → granted; priced → paid. */
  async acquire(
    caller: PurchaseCaller,
    name: string,
    ctx: AuditContext,
    idempotencyKey?: string,
  ): Promise<{ entitlement: Entitlement; created: boolean }> {
    const { listing, member } = await visibleListing(this.d.db, name, caller.userId);
    const existing = await this.active(caller.userId, listing.id);
    if (existing) return { entitlement: entitlementOut(existing, name), created: false };
    const price = Number(listing.price_cents);
    // A vendor's own team does not pay for its own listings.
    const priced = price > 0 && !member;
    const row = {
      id: newId(),
      user_id: caller.userId,
      team_id: caller.teamId,
      listing_id: listing.id,
      status: "active" as const,
      price_cents: priced ? price : 0,
      ledger_entry_id: null as string | null,
      created_at: this.d.clock.now(),
      revoked_at: null,
    };
    const write = async (trx: Kysely<DB>, ledgerEntryId: string | null) => {
      row.ledger_entry_id = ledgerEntryId;
      await trx.insertInto("registry_entitlements").values(row).execute();
      await this.d.audit.append(trx, ctx, {
        teamId: caller.teamId,
        action: "registry.entitlement.created",
        targetType: "entitlement",
        targetId: row.id,
        payload: { name, priceCents: row.price_cents, ...(ledgerEntryId ? { ledgerEntryId } : {}) },
      });
    };
    try {
      if (priced) {
        // A browser session has no token, so no spend policy to buy under: decided here, at the purchase.
        if (!caller.tokenId) {
          throw failure(
            "PAYMENT_REQUIRED",
            `${name} costs $${(price / 100).toFixed(2)}: priced listings are bought with a token, under its ` +
              `spend policy (mog install ${name})`,
          );
        }
        const vendor = await this.d.db
          .selectFrom("registry_vendors")
          .select("team_id")
          .where("slug", "=", listing.vendor_slug)
          .executeTakeFirstOrThrow();
        await this.d.purchases.charge({
          userId: caller.userId,
          teamId: caller.teamId,
          tokenId: caller.tokenId,
          listingId: listing.id,
          name,
          vendorSlug: listing.vendor_slug,
          vendorTeamId: vendor.team_id,
          type: listing.type,
          priceCents: price,
          idempotencyKey,
          ctx,
          within: (trx, ledgerEntryId) => write(trx, ledgerEntryId),
        });
      } else {
        await this.d.db.transaction().execute((trx) => write(trx, null));
      }
    } catch (err) {
      // Two acquisitions at once: the other one won; answer with it.
      const won = await this.active(caller.userId, listing.id);
      if (won) return { entitlement: entitlementOut(won, name), created: false };
      throw err;
    }
    return { entitlement: entitlementOut(row, name), created: true };
  }

  async list(userId: string): Promise<Entitlement[]> {
    const rows = await this.d.db
      .selectFrom("registry_entitlements as e")
      .innerJoin("registry_listings as l", "l.id", "e.listing_id")
      .selectAll("e")
      .select("l.name")
      .where("e.user_id", "=", userId)
      .orderBy("e.created_at", "desc")
      .execute();
    return rows.map(({ name, ...e }) => entitlementOut(e, name));
  }

  /** A signed URL's parts for a published release the caller is entitled to, with its signed statement. */
  async download(
    caller: Caller,
    req: { name: string; version?: string },
    ctx: AuditContext,
  ): Promise<IssuedDownload> {
    const { listing } = await visibleListing(this.d.db, req.name, caller.userId);
    if (!(await this.active(caller.userId, listing.id)))
      throw failure(
        "FORBIDDEN",
        `No active entitlement for ${req.name}: acquire it first (POST /api/v1/registry/entitlements)`,
      );
    let q = this.d.db
      .selectFrom("registry_releases")
      .selectAll()
      .where("listing_id", "=", listing.id)
      .where("scan_status", "=", "passed");
    if (req.version) q = q.where("version", "=", req.version);
    const rows = await q.execute();
    const release = rows.sort((a, b) => compareSemver(a.version, b.version)).pop();
    if (!release?.sha256 || !release.statement || !release.signature || !release.key_id)
      throw notFound(req.version ? `Release ${req.name}@${req.version}` : `Published release of ${req.name}`);
    const expires = Math.floor(this.d.clock.now() / 1000) + DOWNLOAD_URL_TTL_SECONDS;
    await this.d.db.transaction().execute((trx) =>
      this.d.audit.append(trx, ctx, {
        teamId: caller.teamId,
        action: "registry.download.created",
        targetType: "release",
        targetId: release.id,
        payload: { name: req.name, version: release.version, expiresAt: expires },
      }),
    );
    return {
      releaseId: release.id,
      expires,
      sig: this.d.urls.sign(release.id, expires),
      release: {
        releaseId: release.id,
        name: req.name,
        version: release.version,
        sha256: release.sha256,
        type: release.type as RegistryPackageType,
        statement: release.statement,
        signature: release.signature,
        keyId: release.key_id,
      },
    };
  }

  /**
   * The archive behind a signed URL: the signature is checked (constant time) before the expiry, and only a
   * published release is served. The bytes are served as stored; the client checks them against the statement.
   */
  async blob(
    releaseId: string,
    expiresRaw: string | undefined,
    sig: string | undefined,
    ctx: AuditContext,
  ): Promise<{ bytes: Buffer; name: string; version: string }> {
    if (!expiresRaw || !/^\d{1,12}$/.test(expiresRaw) || !sig || releaseId.length > 64)
      throw failure("FORBIDDEN", "Download link is not valid");
    const expires = Number(expiresRaw);
    if (!this.d.urls.verify(releaseId, expires, sig))
      throw failure("FORBIDDEN", "Download link is not valid");
    if (Math.floor(this.d.clock.now() / 1000) > expires)
      throw failure(
        "FORBIDDEN",
        "Download link has expired: ask for a new one (POST /api/v1/registry/downloads)",
      );
    const row = await this.d.db
      .selectFrom("registry_releases as r")
      .innerJoin("registry_listings as l", "l.id", "r.listing_id")
      .select(["r.blob_sha256", "r.scan_status", "r.version", "r.team_id", "l.name"])
      .where("r.id", "=", releaseId)
      .executeTakeFirst();
    if (row?.scan_status !== "passed") throw notFound("Release");
    const bytes = await this.d.blobs.get(row.blob_sha256);
    if (!bytes) throw notFound("Release archive");
    await this.d.db.transaction().execute((trx) =>
      this.d.audit.append(trx, ctx, {
        teamId: row.team_id,
        action: "registry.blob.served",
        targetType: "release",
        targetId: releaseId,
        payload: { name: row.name, version: row.version, bytes: bytes.length },
      }),
    );
    return { bytes, name: row.name, version: row.version };
  }

  private active(userId: string, listingId: string) {
    return activeEntitlement(this.d.db, userId, listingId);
  }
}
