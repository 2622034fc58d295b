// @mogplex/pkgfmt: the package format (mog.yaml, file rules, limits) and safe zip reading, shared by the scanner and `mog`.
export { type ArchiveInput, type LoadedArchive, loadArchive, verify } from "./archive.js";
export {
  isPackageError,
  PACKAGE_ERROR_CODES,
  PackageError,
  type PackageErrorCode,
  type PackageErrorDetails,
} from "./errors.js";
export { type ExtractResult, extract } from "./extract.js";
export { DEFAULT_LIMITS, type PackageLimits } from "./limits.js";
export {
  installDir,
  MANIFEST_FILE,
  type Manifest,
  ManifestSchema,
  PACKAGE_TYPES,
  type PackageType,
  parseManifest,
  README_FILE,
  readManifest,
  TARGETS,
  type Target,
} from "./manifest.js";
export { checkRelativePath } from "./names.js";
export { PACK_IGNORED, type PackResult, pack } from "./pack.js";
export {
  inspect,
  type PackageFile,
  type PackageInfo,
  type ReadOptions,
  readPackageManifest,
} from "./package.js";
export {
  checkSignedFiles,
  mcpLaunch,
  type ReleaseStatement,
  ReleaseVerificationError,
  type SignedReleaseClaim,
  verifyReleaseStatement,
} from "./release.js";
export { CONTENT_EXTENSIONS } from "./rules.js";
