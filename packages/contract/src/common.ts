// Shared field shapes: ids, timestamps, pagination, and path/branch validation rules.
import { z } from "zod";

export const Id = z.string().min(1).max(64);
export const IsoDate = z.string();

/**
 * What a personal access token may do: `read` and `write` on the platform API; on the registry `read` (search,
 * details), `download` (signed download URLs), `purchase` (acquire entitlements) and `sell` (vendors, uploads).
 */
export const Scope = z.enum(["read", "write", "download", "purchase", "sell"]);
export type Scope = z.infer<typeof Scope>;
export const SCOPES = Scope.options;

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** An IPv4 or IPv6 address with an optional /prefix length (the server re-checks IPv6 with its parser). */
export function isCidr(v: string): boolean {
  const [ip = "", bits, extra] = v.split("/");
  if (extra !== undefined) return false;
  const v4 = IPV4.test(ip);
  const v6 = !v4 && ip.includes(":") && ip.length <= 45 && /^[0-9A-Fa-f:.]+$/.test(ip);
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}

/** Optional per-credential network allowlist [seed 003]: requests from elsewhere are refused. */
export const IpAllowlist = z
  .array(z.string().max(64).refine(isCidr, "ipAllowlist entries must be IP addresses or CIDR ranges"))
  .min(1, "ipAllowlist must not be empty (leave it out to allow every address)")
  .max(50, "ipAllowlist takes at most 50 entries");

/** Query for list endpoints: limit clamps to 1..200 (default 100); cursor is opaque. */
export const ListQuery = z.object({
  limit: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return 100;
      if (!/^\d{1,6}$/.test(v)) {
        ctx.addIssue({ code: "custom", message: "limit must be a positive integer" });
        return z.NEVER;
      }
      return Math.min(200, Math.max(1, Number(v)));
    }),
  cursor: z.string().max(512).optional(),
});

/** git check-ref-format rules for a branch name (one component or many, no tricks). */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name === "@" || name === "HEAD" || name.startsWith("-") || name.startsWith("/") || name.endsWith("/"))
    return false;
  if (name.endsWith(".") || name.endsWith(".lock")) return false;
  if (name.includes("..") || name.includes("//") || name.includes("@{")) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what git forbids
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split("/").every((part) => part.length > 0 && !part.startsWith(".") && !part.endsWith(".lock"));
}

export const BranchName = z.string().refine(isValidBranchName, { message: "not a valid git branch name" });

/** A root directory inside a repo: relative, normalised, never escaping. Returns "" for the repo root. */
export function normaliseRootDirectory(input: string): string | null {
  if (input.includes("\0") || input.includes("\\")) return null;
  if (/%2e|%2f|%5c|%00/i.test(input)) return null;
  if (input.startsWith("/") || /^[a-zA-Z]:/.test(input)) return null;
  const parts: string[] = [];
  for (const part of input.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return null;
    parts.push(part);
  }
  return parts.join("/");
}

export const RootDirectory = z
  .string()
  .max(1024)
  .transform((v, ctx) => {
    const n = normaliseRootDirectory(v);
    if (n === null) {
      ctx.addIssue({ code: "custom", message: "rootDirectory must be a relative path inside the repo" });
      return z.NEVER;
    }
    return n;
  });
