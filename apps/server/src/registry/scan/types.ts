// The seam between the registry (upload → publish) and the scanner that judges an uploaded archive in a sandbox.
import type { Manifest, PackageFile } from "@mogplex/pkgfmt";

export type ScanStatus = "passed" | "failed" | "flagged";

/** The only reason a scan result ever carries: a category, never the matched text. */
export type ScanCategory = "manifest" | "file_type" | "size" | "path_traversal" | "secret" | "structure";

export type ScanOutcome =
  | {
      status: "passed";
      reason: null;
      manifest: Manifest;
      /** Every file's path, size and SHA-256 as the sandboxed scanner read them. */
      files: PackageFile[];
    }
  | { status: "failed" | "flagged"; reason: ScanCategory };

export interface ReleaseScanner {
  /**
   * Judges the archive at `archivePath` (a host file the caller owns; the scanner only reads it) in an isolated
   * sandbox: no network, CPU/memory/time caps. Throws only when the scan could not run at all (sandbox missing,
   * timed out, crashed): the caller records the release as not scanned (never published) and says why.
   */
  scan(archivePath: string, opts?: { signal?: AbortSignal }): Promise<ScanOutcome>;
}
