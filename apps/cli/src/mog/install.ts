// Installing verified archive bytes into a project: every check first (hash, structure, file rules, the
// signed file list), then extract into a temp folder beside the install folder, move it into place, add the
// MCP entry, and write mog.lock.json. If the lockfile can't be written, all of it is undone.
import { randomBytes } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  type ArchiveInput,
  checkSignedFiles,
  extract,
  inspect,
  loadArchive,
  type PackageInfo,
  type Target,
  verify,
} from "@mogplex/pkgfmt";
import { fromReleaseError, MogError } from "./errors.js";
import { type LockEntry, readLock, writeLock } from "./lock.js";
import { currentEnv, type McpChange, mcpKey, parseEnv, serverEntry, setMcpServer } from "./mcp-config.js";
import { makeParents, onlyLockedFiles, removeParents, underDir } from "./paths.js";
import { chooseTarget, installPathFor } from "./targets.js";

export interface InstallRequest {
  archive: ArchiveInput;
  /** Project root (absolute): markers are looked for and mog.lock.json written here. */
  dir: string;
  target?: Target;
  /** `--env NAME=value` pairs for an MCP package's declared variables. */
  env?: readonly string[];
  /** When set, the archive must hash to it before anything else happens. */
  sha256?: string;
  /** From a verified release statement: exactly these files with these hashes, this name and version. */
  signed?: { name: string; version: string; files: Record<string, string> };
  entitlementId: string | null;
  source: LockEntry["source"];
  registry?: string;
}

export interface Installed {
  name: string;
  version: string;
  type: LockEntry["type"];
  target: Target;
  installPath: string;
  sha256: string;
  files: number;
  mcp: LockEntry["mcp"] | null;
  /** For targets whose MCP config mog does not edit: the server entry to add by hand. */
  mcpManual?: Record<string, unknown>;
  replaced: string | null;
}

/** The signed file list must be exactly the archive's files, hash for hash. */
function checkSigned(info: PackageInfo, signed: NonNullable<InstallRequest["signed"]>): void {
  try {
    checkSignedFiles(info, signed);
  } catch (err) {
    throw fromReleaseError(err);
  }
}

const temp = (abs: string, kind: string) =>
  join(dirname(abs), `.${basename(abs)}.mog-${kind}-${randomBytes(4).toString("hex")}`);

export async function installArchive(req: InstallRequest): Promise<Installed> {
  const { dir } = req;
  const lock = readLock(dir);
  // The bytes are loaded once: what is hashed here is what gets inspected and extracted.
  const archive = req.sha256 ? await verify(req.archive, req.sha256) : await loadArchive(req.archive);
  const info = await inspect(archive.bytes);
  if (req.signed) checkSigned(info, req.signed);
  const { manifest } = info;
  const target = chooseTarget(manifest, dir, req.target);
  if (req.env?.length && manifest.type !== "mcp")
    throw new MogError("USAGE", "--env is only for mcp packages");
  const declared = manifest.mcp?.env ?? [];
  const env = parseEnv(req.env ?? [], declared);
  const rel = installPathFor(manifest, target);
  const abs = underDir(dir, rel);
  const previous = lock.packages[manifest.name];
  const replacing = existsSync(abs);
  if (replacing && (previous?.installPath !== rel || !onlyLockedFiles(abs, previous.files)))
    throw new MogError(
      "DESTINATION_EXISTS",
      `${rel} already exists and holds files mog did not install for ${manifest.name}; move it away first`,
    );

  const madeParents = makeParents(dir, rel);
  const staging = temp(abs, "new");
  let old: string | null = null;
  let mcp: McpChange | null = null;
  let moved = false;
  try {
    await extract(archive.bytes, staging, { expectedSha256: archive.sha256 });
    if (replacing) {
      old = temp(abs, "old");
      renameSync(abs, old);
    }
    renameSync(staging, abs);
    moved = true;
    const paths = info.files.map((f) => f.path);
    // Reinstalling keeps the values already filled in for still-declared names, unless --env overrides them.
    const kept = previous?.mcp ? currentEnv(dir, target, mcpKey(manifest)) : {};
    const merged = {
      ...Object.fromEntries(Object.entries(kept).filter(([k]) => declared.includes(k))),
      ...env,
    };
    const server = manifest.type === "mcp" ? serverEntry(manifest, abs, paths, merged) : null;
    if (server) mcp = setMcpServer(dir, target, mcpKey(manifest), server);
    lock.packages[manifest.name] = {
      version: manifest.version,
      sha256: archive.sha256,
      type: manifest.type,
      target,
      installPath: rel,
      entitlementId: req.entitlementId,
      installedAt: new Date().toISOString(),
      files: Object.fromEntries(info.files.map((f) => [f.path, f.sha256])),
      source: req.source,
      ...(req.registry ? { registry: req.registry } : {}),
      ...(mcp ? { mcp: mcp.entry } : {}),
    };
    writeLock(dir, lock);
    if (old) rmSync(old, { recursive: true, force: true });
    if (previous) cleanupPrevious(dir, previous, rel, mcp?.entry.config);
    return {
      name: manifest.name,
      version: manifest.version,
      type: manifest.type,
      target,
      installPath: rel,
      sha256: archive.sha256,
      files: info.files.length,
      mcp: mcp?.entry ?? null,
      ...(server && !mcp ? { mcpManual: server } : {}),
      replaced: previous ? previous.version : null,
    };
  } catch (err) {
    // Back to the previous state: the new files go, the old install (if any) and the MCP config come back.
    rmSync(staging, { recursive: true, force: true });
    if (moved) rmSync(abs, { recursive: true, force: true });
    if (old) renameSync(old, abs);
    mcp?.undo();
    removeParents(madeParents);
    throw err;
  }
}

/** After a successful switch: the previous version's folder and MCP entry when they were elsewhere. */
function cleanupPrevious(dir: string, previous: LockEntry, rel: string, mcpConfig: string | undefined): void {
  try {
    const old = underDir(dir, previous.installPath);
    if (previous.installPath !== rel && onlyLockedFiles(old, previous.files))
      rmSync(old, { recursive: true, force: true });
    if (previous.mcp && previous.mcp.config !== mcpConfig)
      setMcpServer(dir, previous.target, previous.mcp.key, null);
  } catch {
    // The new version is installed and locked; a leftover of the old one is not worth failing for.
  }
}
