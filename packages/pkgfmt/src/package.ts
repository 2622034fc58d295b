// One pass over a package shared by inspect and extract: structure, manifest, file rules, then each file's bytes and hash.
import { createHash } from "node:crypto";
import { type ArchiveInput, checkIntegrity, type LoadedArchive, loadArchive } from "./archive.js";
import { PackageError } from "./errors.js";
import { checkDeclaredSizes, type InflateBudget, inflateEntry } from "./inflate.js";
import { checkCollisions, type PlannedEntry, planLayout } from "./layout.js";
import { type PackageLimits, resolveLimits } from "./limits.js";
import { MANIFEST_FILE, type Manifest, parseManifest } from "./manifest.js";
import { checkFileAllowed, checkFileContent } from "./rules.js";
import { readEntries } from "./zip.js";

export interface PackageFile {
  /** Path relative to the package root (the top folder, if any, removed), `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

export interface PackageInfo {
  manifest: Manifest;
  /** SHA-256 (hex) of the archive bytes, the value the registry records and signs. */
  archiveSha256: string;
  archiveBytes: number;
  /** The top folder the archive wrapped the package in (`""` when none); it is not part of `files` paths. */
  topFolder: string;
  /** In archive order. */
  files: PackageFile[];
  /** Folder entries (possibly empty folders), relative like `files`. */
  dirs: string[];
}

export interface ReadOptions {
  limits?: Partial<PackageLimits>;
  /** When given, the archive must hash to this SHA-256 (hex) before anything else happens. */
  expectedSha256?: string;
  /**
   * Called once per file with its verified bytes (bounded by `maxFileBytes`), e.g. for secret
   * detection in the scanner. A throw refuses the package.
   */
  onFile?: (file: PackageFile, data: Buffer) => void | Promise<void>;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

function checkManifestReferences(manifest: Manifest, files: readonly PlannedEntry[]): void {
  const has = (path: string) => files.some((f) => f.path === path);
  if (manifest.entrypoint !== undefined && !has(manifest.entrypoint))
    throw new PackageError(
      "MANIFEST_INVALID",
      `${MANIFEST_FILE}: entrypoint: ${manifest.entrypoint} is not a file in the package`,
      { field: "entrypoint" },
    );
  const command = manifest.mcp?.command;
  if (command?.startsWith("./") && !has(command.slice(2)))
    throw new PackageError(
      "MANIFEST_INVALID",
      `${MANIFEST_FILE}: mcp.command: ${command} is not a file in the package`,
      {
        field: "mcp.command",
      },
    );
}

/** A package whose structure, manifest and declared sizes passed, before any content is inflated. */
export interface PreparedPackage {
  archive: LoadedArchive;
  limits: PackageLimits;
  manifest: Manifest;
  files: PlannedEntry[];
  dirs: string[];
  topFolder: string;
  manifestEntry: PlannedEntry;
  manifestBytes: Buffer;
  budget: InflateBudget;
}

/**
 * Everything that can be refused without inflating content: entry names and kinds, collisions, layout,
 * declared sizes, the manifest (the one file inflated here) and the type's file extensions.
 */
export async function preparePackage(
  archive: LoadedArchive,
  limits: PackageLimits,
): Promise<PreparedPackage> {
  const entries = await readEntries(archive.bytes, limits);
  checkCollisions(entries);
  const layout = planLayout(entries);
  checkDeclaredSizes(entries, limits, archive.bytes.length);
  const budget: InflateBudget = { archiveBytes: archive.bytes.length, inflatedSoFar: 0 };
  const manifestEntry = layout.files.find((f) => f.path === MANIFEST_FILE);
  if (!manifestEntry) throw new PackageError("LAYOUT_INVALID", `${MANIFEST_FILE} missing`);
  if (manifestEntry.entry.uncompressedSize > limits.maxManifestBytes)
    throw new PackageError(
      "MANIFEST_INVALID",
      `${MANIFEST_FILE}: larger than ${limits.maxManifestBytes} bytes`,
    );
  const manifestBytes = inflateEntry(archive.bytes, manifestEntry.entry, limits, budget);
  const manifest = parseManifest(manifestBytes, limits.maxManifestBytes);
  for (const file of layout.files) checkFileAllowed(manifest.type, file.path);
  checkManifestReferences(manifest, layout.files);
  return {
    archive,
    limits,
    manifest,
    files: layout.files,
    dirs: layout.dirs.map((d) => d.path),
    topFolder: layout.prefix.replace(/\/$/, ""),
    manifestEntry,
    manifestBytes,
    budget,
  };
}

/** Inflates each file under the limits, checks its content, hashes it and hands it to `onFile`. */
export async function inflateFiles(
  prepared: PreparedPackage,
  onFile?: ReadOptions["onFile"],
): Promise<PackageInfo> {
  const { archive, limits, budget, manifest } = prepared;
  const files: PackageFile[] = [];
  for (const planned of prepared.files) {
    const data =
      planned === prepared.manifestEntry
        ? prepared.manifestBytes
        : inflateEntry(archive.bytes, planned.entry, limits, budget);
    checkFileContent(manifest.type, planned.path, data);
    const file: PackageFile = { path: planned.path, size: data.length, sha256: sha256(data) };
    if (onFile) await onFile(file, data);
    files.push(file);
  }
  return {
    manifest,
    archiveSha256: archive.sha256,
    archiveBytes: archive.bytes.length,
    topFolder: prepared.topFolder,
    files,
    dirs: prepared.dirs,
  };
}

export async function loadChecked(
  input: ArchiveInput,
  options: ReadOptions,
): Promise<[LoadedArchive, PackageLimits]> {
  const limits = resolveLimits(options.limits);
  const archive = await loadArchive(input, limits.maxArchiveBytes);
  if (options.expectedSha256 !== undefined) checkIntegrity(archive, options.expectedSha256);
  return [archive, limits];
}

/** Checks a package completely without writing anything; returns its manifest and every hash. */
export async function inspect(input: ArchiveInput, options: ReadOptions = {}): Promise<PackageInfo> {
  const [archive, limits] = await loadChecked(input, options);
  return inflateFiles(await preparePackage(archive, limits), options.onFile);
}

/**
 * The manifest and archive hash after the structural checks (entry names and kinds, layout, declared sizes,
 * per-type file rules) without inflating anything but mog.yaml: what an upload needs to name a release before
 * the full scan runs elsewhere.
 */
export async function readPackageManifest(
  input: ArchiveInput,
  options: Pick<ReadOptions, "limits"> = {},
): Promise<{ manifest: Manifest; archiveSha256: string; archiveBytes: number }> {
  const [archive, limits] = await loadChecked(input, options);
  const prepared = await preparePackage(archive, limits);
  return { manifest: prepared.manifest, archiveSha256: archive.sha256, archiveBytes: archive.bytes.length };
}
