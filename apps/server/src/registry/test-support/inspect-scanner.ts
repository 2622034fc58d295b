// A scanner for registry tests that don't exercise the sandbox: pkgfmt's inspect on the host, plus the
// sanitiser's secret detectors over text files. Same outcome shape as the sandboxed scanner.
import { inspect, isPackageError, type PackageErrorCode } from "@mogplex/pkgfmt";
import { redactSecretValues } from "../../sanitize/index.js";
import type { ReleaseScanner, ScanCategory, ScanOutcome } from "../scan/types.js";

const CATEGORY: Partial<Record<PackageErrorCode, ScanCategory>> = {
  PATH_TRAVERSAL: "path_traversal",
  SYMLINK: "path_traversal",
  HARD_LINK: "path_traversal",
  MANIFEST_INVALID: "manifest",
  FILE_TYPE_NOT_ALLOWED: "file_type",
  ARCHIVE_TOO_LARGE: "size",
  FILE_TOO_LARGE: "size",
  TOTAL_TOO_LARGE: "size",
  TOO_MANY_FILES: "size",
  ZIP_BOMB: "size",
};

class SecretFound extends Error {}

export class InspectScanner implements ReleaseScanner {
  scans = 0;
  /** Set to make the next scans throw (the scan "could not run"). */
  broken: Error | null = null;

  async scan(archivePath: string): Promise<ScanOutcome> {
    this.scans++;
    if (this.broken) throw this.broken;
    try {
      const info = await inspect(archivePath, {
        onFile: (_file, data) => {
          const text = data.toString("utf8");
          if (!text.includes("\0") && redactSecretValues(text) !== text) throw new SecretFound();
        },
      });
      return {
        status: "passed",
        reason: null,
        manifest: info.manifest,
        files: info.files,
        archiveSha256: info.archiveSha256,
      };
    } catch (err) {
      if (err instanceof SecretFound) return { status: "failed", reason: "secret", code: "SECRET" };
      if (isPackageError(err))
        return { status: "failed", reason: CATEGORY[err.code] ?? "structure", code: err.code };
      throw err;
    }
  }
}
