// Session-route table, part 3: the registry's pages in the web app (browse, listings, the team's vendor and its
// uploads, the caller's entitlements). The wallet, spend policies and approvals are wallet-session.ts's.
import { z } from "zod";
import {
  CreateEntitlementRequest,
  CreateVendorRequest,
  Entitlement,
  Listing,
  PackageSearchQuery,
  UploadQuery,
  Vendor,
} from "./registry.js";
import { R404, READ, sessionSpec as r, WRITE } from "./session-spec.js";

export const RegistrySearchResult = z.object({
  packages: z.array(Listing),
  nextCursor: z.string().nullable(),
});
export type RegistrySearchResult = z.infer<typeof RegistrySearchResult>;
/** The active team's vendor profile, or null before it has one. */
export const TeamVendor = z.object({ vendor: Vendor.nullable() });
export type TeamVendor = z.infer<typeof TeamVendor>;
export const EntitlementList = z.object({ entitlements: z.array(Entitlement) });
export type EntitlementList = z.infer<typeof EntitlementList>;

export const REGISTRY_SESSION_ROUTES = {
  webRegistrySearch: r({
    method: "get",
    path: "/api/web/registry/packages",
    summary: "Search listings the caller can see (public ones, and their own teams')",
    team: "header",
    role: "viewer",
    query: PackageSearchQuery,
    response: RegistrySearchResult,
    errors: READ,
  }),
  webRegistryPackage: r({
    method: "get",
    path: "/api/web/registry/packages/{vendor}/{slug}",
    summary:
      "A listing with its releases, archive and per-file SHA-256 and scan status (team listing: 404 outside)",
    team: "header",
    role: "viewer",
    errors: R404,
  }),
  webRegistryRelease: r({
    method: "get",
    path: "/api/web/registry/releases/{releaseId}",
    summary:
      "A release's scan status (the vendor team's, or any published public one): the upload page polls it",
    team: "header",
    role: "viewer",
    errors: R404,
  }),
  webRegistryVendor: r({
    method: "get",
    path: "/api/web/registry/vendor",
    summary: "The active team's vendor profile (null before it has one)",
    team: "header",
    role: "viewer",
    response: TeamVendor,
    errors: READ,
  }),
  webCreateVendor: r({
    method: "post",
    path: "/api/web/registry/vendor",
    summary: "Create the active team's vendor (one per team; the slug is immutable)",
    team: "header",
    role: "admin",
    body: CreateVendorRequest,
    bodyRequired: true,
    successStatus: 201,
    errors: [...WRITE, "CONFLICT"],
  }),
  webUploadRelease: r({
    method: "post",
    path: "/api/web/registry/releases",
    summary:
      "Upload a release of the active team's vendor (raw zip body, Content-Type: application/zip; the upload " +
      "rate tier, shared with the public route); it is scanned in a sandbox and published only if it passes",
    team: "header",
    role: "admin",
    query: UploadQuery,
    rawBody: "application/zip",
    successStatus: 202,
    errors: [...WRITE, "CONFLICT"],
  }),
  webListEntitlements: r({
    method: "get",
    path: "/api/web/registry/entitlements",
    summary: "The caller's entitlements",
    team: "none",
    response: EntitlementList,
    errors: READ,
  }),
  webAcquire: r({
    method: "post",
    path: "/api/web/registry/entitlements",
    summary:
      "Acquire a free listing (201; 200 with the existing one if already entitled). A priced listing is " +
      "refused here (402): it is bought with a token, whose spend policy applies (mog install)",
    team: "header",
    role: "viewer",
    body: CreateEntitlementRequest,
    bodyRequired: true,
    successStatus: 201,
    errors: [...WRITE, "NOT_FOUND", "PAYMENT_REQUIRED"],
  }),
};
