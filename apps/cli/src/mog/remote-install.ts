// `mog install vendor/slug[@version]` and `mog update`: acquire (free listings at once; 402 → approval, exit 2)
// → signed URL → download (progress bar on a TTY) → statement signature against the pinned key → archive
// SHA-256 == the signed one → file hashes == the signed list → extract → lockfile. Any mismatch stops
// before anything is written.
import { PackageName, SemverString } from "@mogplex/contract";
import type { Target } from "@mogplex/pkgfmt";
import semver from "semver";
import type { MogCtx } from "./context.js";
import { MogError } from "./errors.js";
import { type Installed, installArchive } from "./install.js";
import { type InstallFlags, installedLines } from "./local-commands.js";
import { readLock } from "./lock.js";
import { projectDir } from "./paths.js";
import { trustedKey, verifyStatement } from "./pin.js";
import type { Outcome } from "./run.js";
import { openSession, type Session } from "./session.js";
import { parseTarget } from "./targets.js";

export function parseSpec(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf("@");
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : undefined;
  if (!PackageName.safeParse(name).success)
    throw new MogError("USAGE", `${spec}: expected vendor/slug[@version] or a path to a .zip (./x.zip)`);
  if (version !== undefined && !SemverString.safeParse(version).success)
    throw new MogError("USAGE", `${spec}: the version must be exact semver (1.2.3)`);
  return { name, version };
}

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

function progressBar(ctx: MogCtx, name: string) {
  if (!ctx.tty) return undefined;
  return (received: number, total: number | null) => {
    if (total === null) return ctx.tty?.status(`Downloading ${name}: ${mb(received)}`);
    const width = 30;
    const done = Math.min(width, Math.round((received / total) * width));
    ctx.tty?.status(
      `Downloading ${name} [${"#".repeat(done)}${"-".repeat(width - done)}] ${mb(received)}/${mb(total)}`,
    );
  };
}

export async function installFromRegistry(
  ctx: MogCtx,
  session: Session,
  wanted: { name: string; version?: string },
  o: { dir: string; target?: Target; env?: string[] },
): Promise<Installed> {
  const { api } = session;
  const entitlement = await api.call("createEntitlement", { json: { name: wanted.name } });
  const dl = await api.call("createDownload", {
    json: { name: wanted.name, ...(wanted.version ? { version: wanted.version } : {}) },
  });
  const { release } = dl;
  // The key is settled (pinned, or refused) before the download, so a bad key costs no transfer.
  const pin = await trustedKey(ctx, api, release.keyId);
  const statement = verifyStatement(release, pin, wanted);
  const bytes = await api.download(dl.url, progressBar(ctx, `${release.name}@${release.version}`));
  ctx.tty?.clear();
  return installArchive({
    archive: bytes,
    dir: o.dir,
    target: o.target,
    env: o.env,
    sha256: statement.sha256,
    signed: { name: statement.name, version: statement.version, files: statement.files },
    entitlementId: entitlement.entitlementId,
    source: "registry",
    registry: session.base,
  });
}

export async function installRegistryCommand(ctx: MogCtx, spec: string, o: InstallFlags): Promise<Outcome> {
  const wanted = parseSpec(spec);
  if (o.sha256)
    throw new MogError("USAGE", "--sha256 is for local archives; registry installs verify the signed hash");
  const dir = projectDir(o.dir);
  const target = o.target ? parseTarget(o.target) : undefined;
  const session = openSession(ctx);
  const r = await installFromRegistry(ctx, session, wanted, { dir, target, env: o.env });
  return { data: r, lines: installedLines(r, "(signature and hashes verified)") };
}

export interface Updated {
  name: string;
  from: string;
  to: string | null;
  status: "updated" | "current" | "skipped";
  reason?: string;
}

/** Moves registry installs (from this server) to the listing's latest published version, same target. */
export async function updateCommand(
  ctx: MogCtx,
  name: string | undefined,
  o: { dir?: string },
): Promise<Outcome> {
  const dir = projectDir(o.dir);
  const lock = readLock(dir);
  const names = name ? [name] : Object.keys(lock.packages);
  if (name && !lock.packages[name]) throw new MogError("NOT_INSTALLED", `${name} is not installed in ${dir}`);
  const session = openSession(ctx);
  const results: Updated[] = [];
  for (const n of names) {
    const entry = lock.packages[n];
    if (!entry) continue;
    if (entry.source !== "registry" || (entry.registry && entry.registry !== session.base)) {
      const reason = entry.source === "file" ? "installed from a file" : `installed from ${entry.registry}`;
      results.push({ name: n, from: entry.version, to: null, status: "skipped", reason });
      continue;
    }
    const [vendor, slug] = n.split("/") as [string, string];
    const detail = await session.api.call("getPackage", { params: { vendor, slug } });
    const latest = detail.latestVersion;
    if (!latest || !semver.valid(latest) || !semver.gt(latest, entry.version)) {
      results.push({ name: n, from: entry.version, to: entry.version, status: "current" });
      continue;
    }
    await installFromRegistry(ctx, session, { name: n, version: latest }, { dir, target: entry.target });
    results.push({ name: n, from: entry.version, to: latest, status: "updated" });
  }
  const lines = results.map((r) =>
    r.status === "updated"
      ? `Updated ${r.name} ${r.from} → ${r.to}`
      : r.status === "current"
        ? `${r.name}@${r.from} is the latest`
        : `Skipped ${r.name} (${r.reason})`,
  );
  return { data: { packages: results }, lines: lines.length ? lines : ["Nothing installed here."] };
}
