// Packages in runs and MCP packages: which published release a `vendor/slug@version` names, whether a person (or
// a team, for an operator's command) may use it, and its archive verified exactly as `mog install` verifies one:
// the statement's Ed25519 signature against the registry key, the archive's SHA-256 against the signed one, every
// structural and file rule of pkgfmt, and the archive's files against the signed list.
import {
  checkSignedFiles,
  inspect,
  type PackageInfo,
  type ReleaseStatement,
  ReleaseVerificationError,
  verify,
  verifyReleaseStatement,
} from "@mogplex/pkgfmt";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { badRequest, Failure } from "../failure.js";
import { activeEntitlement, visibleListing } from "../registry/deps.js";
import type { RegistryService } from "../registry/service.js";

export interface RunPackagesDeps {
  db: Kysely<DB>;
  registry: Pick<RegistryService, "publicKey" | "archive">;
}

/** A published release as the registry stored and signed it. */
export interface PublishedRelease {
  spec: string;
  name: string;
  version: string;
  releaseId: string;
  type: string;
  sha256: string;
  blobSha256: string;
  statement: string;
  signature: string;
}

export interface VerifiedArchive {
  bytes: Buffer;
  statement: ReleaseStatement;
  info: PackageInfo;
}

/** `vendor/slug@version` (already format-checked by the contract) → its parts. */
export function splitSpec(spec: string): { name: string; version: string } {
  const at = spec.indexOf("@");
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** A run's stored packages (a JSON array, null = none); [] if unreadable. */
/**
 * A run's stored `packages` column. Showing a run reads a damaged value as none; installing (`strict`) refuses it,
 * so a run never quietly starts without the packages it asked for.
 */
export function storedPackages(stored: string | null | undefined, strict = false): string[] {
  if (!stored) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.every((p) => typeof p === "string")) return parsed;
  if (strict) throw new Error("the run's stored package list is damaged; start the run again");
  return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : [];
}

const unavailable = (spec: string) =>
  badRequest(
    `packages: ${spec}: no published release of that package and version on this server that you can read ` +
      "(check the name and version on the registry page)",
  );

export class RunPackages {
  constructor(private readonly d: RunPackagesDeps) {}

  /** The run's packages, each once, each one its starter may install now (400 naming the first that is not). */
  async check(userId: string, specs: readonly string[]): Promise<string[]> {
    const unique = [...new Set(specs)];
    const names = new Set<string>();
    for (const spec of unique) {
      const { name } = splitSpec(spec);
      if (names.has(name)) throw badRequest(`packages: ${spec}: name ${name} once, with one version`);
      names.add(name);
      await this.forUser(userId, spec);
    }
    return unique;
  }

  /**
   * The release `spec` names as `userId` may use it: the listing visible to them (a team listing only to its
   * vendor's members, the same refusal as a missing one otherwise), the version published (scan passed, signed),
   * and a priced listing already acquired unless they are of the vendor's team.
   */
  async forUser(userId: string, spec: string): Promise<PublishedRelease> {
    const { name } = splitSpec(spec);
    let seen: Awaited<ReturnType<typeof visibleListing>>;
    try {
      seen = await visibleListing(this.d.db, name, userId);
    } catch (err) {
      if (err instanceof Failure && err.code === "NOT_FOUND") throw unavailable(spec);
      throw err;
    }
    const release = await this.published(spec, seen.listing.id);
    if (Number(seen.listing.price_cents) > 0 && !seen.member) {
      const owned = await activeEntitlement(this.d.db, userId, seen.listing.id);
      if (!owned)
        throw badRequest(
          `packages: ${spec}: ${name} is a priced listing you have not acquired; acquire it first ` +
            `(mog install ${name}, or the registry page)`,
        );
    }
    return release;
  }

  /** For an operator's command on behalf of `teamId`: a public listing, or one of the team's own vendor. */
  async forTeam(teamId: string, spec: string): Promise<PublishedRelease> {
    const { name } = splitSpec(spec);
    const listing = await this.d.db
      .selectFrom("registry_listings as l")
      .innerJoin("registry_vendors as v", "v.slug", "l.vendor_slug")
      .select(["l.id", "l.visibility", "v.team_id"])
      .where("l.name", "=", name)
      .executeTakeFirst();
    if (!listing || (listing.visibility !== "public" && listing.team_id !== teamId)) throw unavailable(spec);
    return this.published(spec, listing.id);
  }

  private async published(spec: string, listingId: string): Promise<PublishedRelease> {
    const { name, version } = splitSpec(spec);
    const r = await this.d.db
      .selectFrom("registry_releases")
      .select(["id", "type", "sha256", "blob_sha256", "statement", "signature", "scan_status"])
      .where("listing_id", "=", listingId)
      .where("version", "=", version)
      .executeTakeFirst();
    if (r?.scan_status !== "passed" || !r.sha256 || !r.statement || !r.signature || !r.type)
      throw unavailable(spec);
    return {
      spec,
      name,
      version,
      releaseId: r.id,
      type: r.type,
      sha256: r.sha256,
      blobSha256: r.blob_sha256,
      statement: r.statement,
      signature: r.signature,
    };
  }

  /**
   * The release's archive, verified like `mog install` does: signature → archive SHA-256 → every pkgfmt check →
   * the signed file list. Throws ReleaseVerificationError or pkgfmt's PackageError saying what failed.
   */
  async verified(release: PublishedRelease): Promise<VerifiedArchive> {
    const statement = verifyReleaseStatement(release, this.d.registry.publicKey(), release);
    const stored = await this.d.registry.archive(release.blobSha256);
    if (!stored) throw new ReleaseVerificationError("integrity", "the stored archive is missing");
    const archive = await verify(stored, statement.sha256);
    const info = await inspect(archive.bytes);
    checkSignedFiles(info, statement);
    return { bytes: archive.bytes, statement, info };
  }
}
