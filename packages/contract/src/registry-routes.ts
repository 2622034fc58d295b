// The registry's route table (/api/v1/registry): used by the server, the client and the OpenAPI document.
import { z } from "zod";
import type { ErrorCode } from "./errors.js";
import {
  CreateDownloadRequest,
  CreateEntitlementRequest,
  CreateVendorRequest,
  Download,
  Entitlement,
  Listing,
  ListingDetail,
  PackageSearchQuery,
  RegistryKey,
  Release,
  UploadedRelease,
  UploadQuery,
  Vendor,
} from "./registry.js";
import type { RouteSpec } from "./routes.js";

export const REGISTRY_BASE = "/api/v1/registry";
/** Where the registry's Ed25519 public key is published (no auth). */
export const REGISTRY_KEY_PATH = "/.well-known/mogplex-registry-key";
/** How long a signed download URL stays valid. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

const AUTHED: ErrorCode[] = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
];
const READ: ErrorCode[] = [...AUTHED, "BAD_REQUEST"];
const WRITE: ErrorCode[] = [...READ, "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
const OPEN: ErrorCode[] = ["RATE_LIMITED", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR"];

export const BlobQuery = z.object({
  expires: z.string().max(20).optional().describe("unix seconds after which the URL is refused"),
  sig: z.string().max(128).optional().describe("hex HMAC-SHA256 over `releaseId.expires`"),
});

export const REGISTRY_ROUTES = {
  searchPackages: {
    method: "get",
    path: "/packages",
    summary: "Search listings the caller can see (public ones, and their own team's)",
    auth: "pat",
    scope: "read",
    query: PackageSearchQuery,
    response: z.object({ packages: z.array(Listing), nextCursor: z.string().nullable() }),
    errors: READ,
  },
  getPackage: {
    method: "get",
    path: "/packages/{vendor}/{slug}",
    summary: "A listing with its releases (a team listing is 404 for anyone outside the vendor team)",
    auth: "pat",
    scope: "read",
    response: ListingDetail,
    errors: [...READ, "NOT_FOUND"],
  },
  createVendor: {
    method: "post",
    path: "/vendors",
    summary: "Create the caller's team's vendor (one per team; the slug is immutable)",
    auth: "pat",
    scope: "sell",
    body: CreateVendorRequest,
    response: Vendor,
    successStatus: 201,
    errors: [...WRITE, "CONFLICT"],
  },
  getVendor: {
    method: "get",
    path: "/vendors/{slug}",
    summary: "A vendor's profile",
    auth: "pat",
    scope: "read",
    response: Vendor,
    errors: [...READ, "NOT_FOUND"],
  },
  uploadRelease: {
    method: "post",
    path: "/releases",
    summary:
      "Upload a release (raw zip body, Content-Type: application/zip); creates the listing on first publish. " +
      "The release is scanned in a sandbox and published only if it passes",
    auth: "pat",
    scope: "sell",
    query: UploadQuery,
    rawBody: "application/zip",
    limit: "upload",
    response: UploadedRelease,
    successStatus: 202,
    errors: [...WRITE, "CONFLICT"],
  },
  getRelease: {
    method: "get",
    path: "/releases/{releaseId}",
    summary: "A release's scan status (the vendor team's, or any published public one)",
    auth: "pat",
    scope: "read",
    response: Release,
    errors: [...READ, "NOT_FOUND"],
  },
  createEntitlement: {
    method: "post",
    path: "/entitlements",
    summary:
      "Acquire a listing: free ones at once (201; 200 with the existing one if already entitled), priced ones " +
      "through the wallet and spend policy (402 PAYMENT_REQUIRED, maybe with error.details.approvalUrl)",
    auth: "pat",
    scope: "purchase",
    body: CreateEntitlementRequest,
    response: Entitlement,
    successStatus: 201,
    errors: [...WRITE, "NOT_FOUND", "PAYMENT_REQUIRED"],
  },
  listEntitlements: {
    method: "get",
    path: "/entitlements",
    summary: "The caller's entitlements",
    auth: "pat",
    scope: "read",
    response: z.object({ entitlements: z.array(Entitlement) }),
    errors: READ,
  },
  createDownload: {
    method: "post",
    path: "/downloads",
    summary:
      "A signed download URL (5 minutes) for a published release the caller is entitled to, with the signed " +
      "release statement to verify it against",
    auth: "pat",
    scope: "download",
    body: CreateDownloadRequest,
    response: Download,
    successStatus: 201,
    errors: [...WRITE, "NOT_FOUND"],
  },
  getBlob: {
    method: "get",
    path: "/blobs/{releaseId}",
    summary:
      "A release's archive; the signed URL from POST /downloads is the grant (expired or altered: 403)",
    auth: "none",
    query: BlobQuery,
    binary: "application/zip",
    response: z.string(),
    errors: [...OPEN, "FORBIDDEN", "NOT_FOUND"],
  },
  getRegistryKey: {
    method: "get",
    path: REGISTRY_KEY_PATH,
    root: true,
    summary: "The registry's Ed25519 public key, which signs every release statement",
    auth: "none",
    response: RegistryKey,
    errors: OPEN,
  },
} satisfies Record<string, RouteSpec>;

export type RegistryRouteName = keyof typeof REGISTRY_ROUTES;

/** A route's full path (OpenAPI style). */
export const registryPath = (spec: RouteSpec): string => (spec.root ? spec.path : REGISTRY_BASE + spec.path);
