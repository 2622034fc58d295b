// The host's reading of what the scan sandbox printed: untrusted output, so it is parsed strictly and anything
// else (extra lines, unknown fields, a bad hash or path) is refused as a scanner fault, never as a verdict.
import { checkRelativePath, DEFAULT_LIMITS, ManifestSchema, PACKAGE_ERROR_CODES } from "@mogplex/pkgfmt";
import { z } from "zod";
import { SCAN_CODES } from "./categories.js";
import type { ScanOutcome } from "./types.js";

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/);
const CATEGORY = z.enum(["manifest", "file_type", "size", "path_traversal", "secret", "structure"]);
const CODE = z.enum([...PACKAGE_ERROR_CODES, ...Object.values(SCAN_CODES)]);

const relativePath = z.string().refine((p) => {
  try {
    checkRelativePath(p);
    return true;
  } catch {
    return false;
  }
}, "not a safe relative path");

const FileSchema = z.strictObject({
  path: relativePath,
  size: z.number().int().min(0).max(DEFAULT_LIMITS.maxFileBytes),
  sha256: SHA256,
});

const OutcomeSchema = z.discriminatedUnion("status", [
  z.strictObject({
    status: z.literal("passed"),
    reason: z.null(),
    manifest: ManifestSchema,
    files: z
      .array(FileSchema)
      .min(2)
      .max(DEFAULT_LIMITS.maxEntries)
      .refine((files) => new Set(files.map((f) => f.path)).size === files.length, "duplicate paths"),
    archiveSha256: SHA256,
  }),
  z.strictObject({ status: z.enum(["failed", "flagged"]), reason: CATEGORY, code: CODE.optional() }),
]);

export class ScanOutputError extends Error {
  override readonly name = "ScanOutputError";
}

/**
 * The one JSON line the sandbox printed, as a ScanOutcome. Throws ScanOutputError when it is anything else;
 * the message names what was wrong (issue paths), never the values printed.
 */
export function parseScanOutput(stdout: string): ScanOutcome {
  const text = stdout.endsWith("\n") ? stdout.slice(0, -1) : stdout;
  if (text.length === 0) throw new ScanOutputError("the scan sandbox printed no outcome");
  if (text.includes("\n")) throw new ScanOutputError("the scan sandbox printed more than one line");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ScanOutputError("the scan sandbox printed something that is not JSON");
  }
  const parsed = OutcomeSchema.safeParse(raw);
  if (!parsed.success) {
    const where = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(top)"))].slice(0, 5);
    throw new ScanOutputError(`the scan sandbox printed a malformed outcome (at ${where.join(", ")})`);
  }
  return parsed.data as ScanOutcome;
}
