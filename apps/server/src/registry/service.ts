// The registry facade the routes use: catalog (vendors, search, details), uploads, access (entitlements,
// downloads, blobs) and the scan queue. The scanner and purchase seams can be replaced after wiring.
import type { RegistryKey, UploadedRelease, UploadQuery } from "@mogplex/contract";
import type { AuditContext } from "../audit/store.js";
import { Access } from "./access.js";
import { type Caller, Catalog } from "./catalog.js";
import type { RegistryDeps } from "./deps.js";
import type { Purchases } from "./purchases.js";
import type { ReleaseScanner } from "./scan/types.js";
import { ScanJobs } from "./scan-jobs.js";
import { uploadRelease } from "./uploads.js";

export class RegistryService {
  readonly catalog: Catalog;
  readonly access: Access;
  readonly scans: ScanJobs;

  constructor(private readonly d: RegistryDeps) {
    this.catalog = new Catalog(d);
    this.access = new Access(d);
    this.scans = new ScanJobs(d);
  }

  /** Stores the upload and queues its scan (this replica starts on it at once when its scan loop runs). */
  async upload(
    caller: Caller,
    bytes: Buffer,
    query: UploadQuery,
    ctx: AuditContext,
  ): Promise<UploadedRelease> {
    const r = await uploadRelease(this.d, caller, bytes, query, ctx);
    this.scans.wake();
    return r;
  }

  publicKey(): RegistryKey {
    return this.d.signer.publicKey();
  }

  /** A stored archive's bytes as they are now (callers verify them against the signed statement). */
  archive(blobSha256: string): Promise<Buffer | null> {
    return this.d.blobs.get(blobSha256);
  }

  setScanner(scanner: ReleaseScanner): void {
    this.d.scanner = scanner;
  }

  setPurchases(purchases: Purchases): void {
    this.d.purchases = purchases;
  }
}
