// Shared field shapes: ids, timestamps, pagination, and path/branch validation rules.
import { z } from "zod";

export const Id = z.string().min(1).max(64);
export const IsoDate = z.string();

export const Scope = z.enum(["read", "write"]);
export type Scope = z.infer<typeof Scope>;
export const SCOPES = Scope.options;

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
