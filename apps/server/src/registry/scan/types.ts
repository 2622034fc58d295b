// The seam between the registry (upload → publish) and the scanner that judges an uploaded archive in a sandbox.
import type { Manifest, PackageFile } from "@mogplex/pkgfmt";

export type ScanStatus = "passed" | "failed" | "flagged";

/** The only reason a scan result ever carries: a category, never the matched text. */
export type ScanCategory = "manifest" | "file_type" | "size" | "path_traversal" | "secret" | "structure";

/**
 * Which rule decided a `failed` or `flagged` outcome, for operators and audit rows: a pkgfmt `PackageError`
 * code (`PATH_TRAVERSAL`, `ZIP_BOMB`…) or one of the scanner's own (see registry/scan/categories.ts). Like the
 * category, it never names a file, an entry or the matched text.
 */
export type ScanCode = string;

export type ScanOutcome =
  | {
      status: "passed";
      reason: null;
      manifest: Manifest;
      /** Every file's path, size and SHA-256 as the sandboxed scanner read them. */
      files: PackageFile[];
      /** SHA-256 of the bytes the sandbox judged; the sandboxed scanner checks it equals the host's own hash. */
      archiveSha256?: string;
    }
  | { status: "failed" | "flagged"; reason: ScanCategory; code?: ScanCode };

export interface ReleaseScanner {
  /**
   * Judges the archive at `archivePath` (a host file the caller owns; the scanner only reads it) in an isolated
   * sandbox: no network, CPU/memory/time caps. Throws only when the scan could not run at all (sandbox missing,
   * timed out, crashed): the caller records the release as not scanned (never published) and says why.
   */
  scan(archivePath: string, opts?: { signal?: AbortSignal }): Promise<ScanOutcome>;
}
