// A scan's outcome applied to its release: passed → signed and published; failed/flagged → the category only;
// a scan that could not run → error. Written only while this owner still holds the claim.
import { type RegistryPackageType, releaseStatement } from "@mogplex/contract";
import { sanitizeEventText } from "../sanitize/index.js";
import type { RegistryDeps } from "./deps.js";
import { compareSemver, type ReleaseRow } from "./rows.js";
import type { ScanOutcome } from "./scan/types.js";

const SYSTEM = { actorType: "system", actorId: null, authSource: "system" } as const;

export type Verdict = ScanOutcome | { status: "error"; message: string };

/** Applies `verdict` to a release `owner` is scanning; false when the claim was lost (nothing written). */
export async function applyVerdict(
  d: RegistryDeps,
  release: ReleaseRow,
  owner: string,
  verdict: Verdict,
): Promise<boolean> {
  const listing = await d.db
    .selectFrom("registry_listings as l")
    .innerJoin("registry_vendors as v", "v.slug", "l.vendor_slug")
    .select(["l.id", "l.name", "l.vendor_slug", "v.team_id as vendor_team"])
    .where("l.id", "=", release.listing_id)
    .executeTakeFirstOrThrow();
  const v = checkPassed(verdict, listing.name, release, listing.vendor_team);
  const now = d.clock.now();
  return d.db.transaction().execute(async (trx) => {
    const claim = trx
      .updateTable("registry_releases")
      .where("id", "=", release.id)
      .where("scan_owner", "=", owner)
      .where("scan_status", "=", "scanning");
    let payload: Record<string, unknown>;
    if (v.status === "passed") {
      const files = Object.fromEntries(v.files.map((f) => [f.path, f.sha256]));
      const publishedAt = new Date(now).toISOString();
      const statement = releaseStatement({
        name: listing.name,
        version: release.version,
        type: v.manifest.type as RegistryPackageType,
        sha256: release.blob_sha256,
        files,
        publishedAt,
        keyId: d.signer.keyId,
      });
      const done = await claim
        .set({
          scan_status: "passed",
          reason: null,
          type: v.manifest.type,
          description: v.manifest.description,
          sha256: release.blob_sha256,
          files: JSON.stringify(v.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))),
          statement,
          signature: d.signer.sign(statement),
          key_id: d.signer.keyId,
          published_at: now,
          scan_owner: null,
          scan_expires_at: null,
          updated_at: now,
        })
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) return false;
      const published = await trx
        .selectFrom("registry_releases")
        .select("version")
        .where("listing_id", "=", listing.id)
        .where("scan_status", "=", "passed")
        .execute();
      const latest =
        published
          .map((r) => r.version)
          .sort(compareSemver)
          .pop() ?? release.version;
      await trx
        .updateTable("registry_listings")
        .set({
          latest_version: latest,
          ...(latest === release.version
            ? { type: v.manifest.type, description: v.manifest.description }
            : {}),
          updated_at: now,
        })
        .where("id", "=", listing.id)
        .execute();
      payload = {
        name: listing.name,
        version: release.version,
        status: "passed",
        sha256: release.blob_sha256,
      };
    } else {
      const status = v.status;
      const done = await claim
        .set({
          scan_status: status,
          reason: status === "error" ? null : v.reason,
          // Operator-facing only, never sent to clients; redacted in case a scanner quoted something.
          error: status === "error" ? sanitizeEventText(v.message).slice(0, 500) : null,
          scan_owner: null,
          scan_expires_at: null,
          updated_at: now,
        })
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) return false;
      payload = {
        name: listing.name,
        version: release.version,
        status,
        ...(status === "error" ? {} : { reason: v.reason, ...(v.code ? { code: v.code } : {}) }),
      };
    }
    await d.audit.append(trx, SYSTEM, {
      teamId: release.team_id,
      action: "registry.release.scanned",
      targetType: "release",
      targetId: release.id,
      payload,
    });
    if (v.status === "passed")
      await d.audit.append(trx, SYSTEM, {
        teamId: release.team_id,
        action: "registry.release.published",
        targetType: "release",
        targetId: release.id,
        payload: { name: listing.name, version: release.version, sha256: release.blob_sha256 },
      });
    return true;
  });
}

/**
 * A pass is published only if the package the sandbox read is the one uploaded: its manifest names this listing
 * and version under the uploading team's vendor, and (when the scanner reports it) it hashed the same bytes.
 */
function checkPassed(v: Verdict, name: string, release: ReleaseRow, vendorTeam: string): Verdict {
  if (v.status !== "passed") return v;
  if (v.archiveSha256 !== undefined && v.archiveSha256 !== release.blob_sha256)
    return { status: "error", message: "the scanner read different bytes than were uploaded" };
  if (v.manifest.name !== name || v.manifest.version !== release.version || vendorTeam !== release.team_id)
    return { status: "failed", reason: "manifest", code: "MANIFEST_MISMATCH" };
  return v;
}
