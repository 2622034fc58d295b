// POST /releases: a raw zip → stored content-addressed → a queued release (and the listing on first publish).
import type { UploadedRelease, UploadQuery } from "@mogplex/contract";
import { DEFAULT_LIMITS, isPackageError, readPackageManifest } from "@mogplex/pkgfmt";
import type { AuditContext } from "../audit/store.js";
import { failure } from "../failure.js";
import { sanitizeEventText } from "../sanitize/index.js";
import { newId } from "../security/random.js";
import type { Caller } from "./catalog.js";
import type { RegistryDeps } from "./deps.js";

/** The largest upload: pkgfmt's archive limit (a bigger body is refused 413 before it is read in full). */
export const MAX_UPLOAD_BYTES = DEFAULT_LIMITS.maxArchiveBytes;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === "23505" || /UNIQUE constraint failed/i.test(e.message ?? "");
}

export async function uploadRelease(
  d: RegistryDeps,
  caller: Caller,
  bytes: Buffer,
  query: UploadQuery,
  ctx: AuditContext,
): Promise<UploadedRelease> {
  const vendor = await d.db
    .selectFrom("registry_vendors")
    .selectAll()
    .where("team_id", "=", caller.teamId)
    .executeTakeFirst();
  if (!vendor)
    throw failure(
      "BAD_REQUEST",
      "This team has no vendor yet: create one first (POST /api/v1/registry/vendors, or mog vendor create)",
    );
  let manifest: Awaited<ReturnType<typeof readPackageManifest>>["manifest"];
  try {
    ({ manifest } = await readPackageManifest(bytes));
  } catch (err) {
    if (isPackageError(err, "ARCHIVE_TOO_LARGE"))
      throw failure("PAYLOAD_TOO_LARGE", `Request body exceeds ${MAX_UPLOAD_BYTES} bytes`);
    // pkgfmt names the entry or manifest field; redacted anyway in case a YAML error quotes a secret.
    if (isPackageError(err))
      throw failure("BAD_REQUEST", `Package refused: ${sanitizeEventText(err.message)}`);
    throw err;
  }
  const [vendorPart, slug = ""] = manifest.name.split("/");
  if (vendorPart !== vendor.slug)
    throw failure(
      "FORBIDDEN",
      `A team publishes only under its own vendor: ${manifest.name} is not under ${vendor.slug}/`,
    );
  const sha256 = await d.blobs.put(bytes);
  const now = d.clock.now();
  const releaseId = newId();
  try {
    await d.db.transaction().execute(async (trx) => {
      let listing = await trx
        .selectFrom("registry_listings")
        .select(["id"])
        .where("name", "=", manifest.name)
        .executeTakeFirst();
      if (!listing) {
        listing = { id: newId() };
        await trx
          .insertInto("registry_listings")
          .values({
            id: listing.id,
            name: manifest.name,
            vendor_slug: vendor.slug,
            slug,
            type: manifest.type,
            // Shown once a release passes the scan (the description is package content until then).
            description: "",
            visibility: query.visibility ?? "public",
            price_cents: query.priceCents ?? 0,
            latest_version: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
      } else if (query.visibility !== undefined || query.priceCents !== undefined) {
        await trx
          .updateTable("registry_listings")
          .set({
            ...(query.visibility !== undefined ? { visibility: query.visibility } : {}),
            ...(query.priceCents !== undefined ? { price_cents: query.priceCents } : {}),
            updated_at: now,
          })
          .where("id", "=", listing.id)
          .execute();
      }
      const dup = await trx
        .selectFrom("registry_releases")
        .select("id")
        .where("listing_id", "=", listing.id)
        .where("version", "=", manifest.version)
        .executeTakeFirst();
      if (dup) throw failure("CONFLICT", `${manifest.name}@${manifest.version} already exists`);
      await trx
        .insertInto("registry_releases")
        .values({
          id: releaseId,
          listing_id: listing.id,
          version: manifest.version,
          team_id: caller.teamId,
          uploaded_by: caller.userId,
          blob_sha256: sha256,
          archive_bytes: bytes.length,
          scan_status: "queued",
          reason: null,
          error: null,
          type: null,
          description: null,
          sha256: null,
          files: null,
          statement: null,
          signature: null,
          key_id: null,
          published_at: null,
          scan_owner: null,
          scan_expires_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await d.audit.append(trx, ctx, {
        teamId: caller.teamId,
        action: "registry.release.uploaded",
        targetType: "release",
        targetId: releaseId,
        payload: {
          name: manifest.name,
          version: manifest.version,
          archiveSha256: sha256,
          bytes: bytes.length,
        },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw failure("CONFLICT", `${manifest.name}@${manifest.version} already exists`);
    throw err;
  }
  return { releaseId, name: manifest.name, version: manifest.version, scanStatus: "queued" };
}
