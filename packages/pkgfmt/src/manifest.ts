// mog.yaml: the zod schema (SPEC §10) and the safe YAML reading that feeds it.
import { isUtf8 } from "node:buffer";
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import semver from "semver";
import { parseDocument } from "yaml";
import { z } from "zod";
import { PackageError } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { checkRelativePath } from "./names.js";

export const MANIFEST_FILE = "mog.yaml";
export const README_FILE = "README.md";
export const PACKAGE_TYPES = ["skill", "rule", "mcp", "bundle", "template"] as const;
export const TARGETS = ["claude-code", "cursor", "codex", "gemini-cli", "windsurf", "generic"] as const;
export type PackageType = (typeof PACKAGE_TYPES)[number];
export type Target = (typeof TARGETS)[number];

/** Aliases a manifest may resolve in total; real manifests need none, a "billion laughs" needs billions. */
const MAX_ALIAS_COUNT = 50;
const SLUG = "[a-z0-9]+(?:-[a-z0-9]+)*";
const PACKAGE_NAME = new RegExp(`^${SLUG}/${SLUG}$`);
const PROGRAM = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const LICENSE = /^[A-Za-z0-9][A-Za-z0-9.+\-() ]{0,127}$/;
const CONTROL = /[\p{Cc}\p{Cf}]/u;

/** A path inside the package: relative, forward slashes, no traversal (the entry-name rules). */
const relativePath = z.string().superRefine((value, ctx) => {
  try {
    checkRelativePath(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
  }
});

const packageName = z
  .string()
  .max(128, "must be at most 128 characters")
  .regex(
    PACKAGE_NAME,
    "must be vendor/slug: lowercase letters, digits and single hyphens, e.g. acme/code-review",
  );

const installPath = z
  .string()
  .max(256, "must be at most 256 characters")
  .superRefine((value, ctx) => {
    if (!value.includes("{slug}")) ctx.addIssue({ code: "custom", message: "must contain {slug}" });
    const rest = value.replaceAll("{slug}", "slug");
    if (/[{}]/.test(rest))
      ctx.addIssue({ code: "custom", message: "only the {slug} placeholder is allowed" });
    try {
      checkRelativePath(rest);
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          'must be a plain relative path inside the install base (no "..", leading "/", drive letter or "\\")',
      });
    }
  });

const mcpCommand = z.strictObject({
  /** A program found on PATH (`node`, `python3`, `uvx`), or `./path` to a file inside the package. */
  command: z.string().superRefine((value, ctx) => {
    if (value.startsWith("./")) {
      try {
        checkRelativePath(value.slice(2));
      } catch (err) {
        ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
      }
    } else if (!PROGRAM.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: "must be a program name (no path) or ./path inside the package",
      });
    }
  }),
  args: z
    .array(
      z
        .string()
        .max(1024, "must be at most 1024 characters")
        .refine((v) => !CONTROL.test(v), "must not contain control characters"),
    )
    .max(64, "at most 64 arguments")
    .default([]),
  /** Names of the environment variables the server reads; values are supplied at install, never shipped. */
  env: z.array(z.string().regex(ENV_NAME, "must be an environment variable name")).max(64).default([]),
});

export const ManifestSchema = z
  .strictObject({
    name: packageName,
    version: z
      .string()
      .max(64, "must be at most 64 characters")
      .refine((v) => semver.valid(v) === v, "must be a semantic version such as 1.2.3"),
    type: z.enum(PACKAGE_TYPES, `must be one of ${PACKAGE_TYPES.join(", ")}`),
    description: z.string().trim().min(1, "must not be empty").max(1000, "must be at most 1000 characters"),
    targets: z
      .array(z.enum(TARGETS, `must be one of ${TARGETS.join(", ")}`))
      .min(1, "must list at least one target")
      .refine((list) => new Set(list).size === list.length, "must not repeat a target"),
    install_map: z
      .partialRecord(z.enum(TARGETS, `must be one of ${TARGETS.join(", ")}`), installPath)
      .default({}),
    entrypoint: relativePath.optional(),
    requires: z
      .record(
        packageName,
        z
          .string()
          .max(128)
          .refine((v) => semver.validRange(v) !== null, "must be a semver range such as ^1.2.0"),
      )
      .default({}),
    license: z.string().regex(LICENSE, "must be an SPDX license expression such as MIT").default("MIT"),
    mcp: mcpCommand.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type === "mcp" && !m.mcp)
      ctx.addIssue({
        code: "custom",
        path: ["mcp"],
        message: "is required when type is mcp ({command, args})",
      });
    if (m.type !== "mcp" && m.mcp)
      ctx.addIssue({ code: "custom", path: ["mcp"], message: "is only allowed when type is mcp" });
    for (const target of Object.keys(m.install_map)) {
      if (!m.targets.includes(target as Target))
        ctx.addIssue({
          code: "custom",
          path: ["install_map", target],
          message: "names a target not listed in targets",
        });
    }
    if (m.name in m.requires)
      ctx.addIssue({
        code: "custom",
        path: ["requires", m.name],
        message: "a package cannot require itself",
      });
  });

export type Manifest = z.output<typeof ManifestSchema>;

function invalid(message: string, field?: string): PackageError {
  return new PackageError("MANIFEST_INVALID", `${MANIFEST_FILE}: ${message}`, field ? { field } : {});
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** Parses and validates mog.yaml text. YAML 1.2 core schema only: no custom tags, no merge keys, bounded aliases. */
export function parseManifest(
  source: string | Uint8Array,
  maxBytes = DEFAULT_LIMITS.maxManifestBytes,
): Manifest {
  const size = typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
  if (size > maxBytes) throw invalid(`larger than ${maxBytes} bytes`);
  if (typeof source !== "string" && !isUtf8(source)) throw invalid("not valid UTF-8");
  const text = typeof source === "string" ? source : Buffer.from(source).toString("utf8");
  const doc = parseDocument(text, {
    version: "1.2",
    schema: "core",
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
  });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw invalid(firstLine(problem.message));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw invalid(err instanceof Error ? firstLine(err.message) : "unreadable YAML");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalid("must be a mapping of fields (name, version, type, …)");
  const parsed = ManifestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((issue) => describeIssue(issue, value));
  const first = problems[0];
  throw invalid(problems.map((p) => p.text).join("; ") || "invalid", first?.field || undefined);
}

/** Whether the input has a value at `path` (zod does not report the input itself). */
function present(value: unknown, path: readonly PropertyKey[]): boolean {
  let node: unknown = value;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== undefined;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): { text: string; field: string } {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      text: `${where}unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}`,
      field: [...issue.path, issue.keys[0] ?? ""].join("."),
    };
  }
  const field = issue.path.map(String).join(".");
  const message = issue.code !== "custom" && !present(value, issue.path) ? "is required" : issue.message;
  return { text: field ? `${field}: ${message}` : message, field };
}

/**
 * The folder a target installs into, relative to the install base: `install_map[target]` with `{slug}`
 * replaced by the package's slug (the part after the vendor), or undefined when the manifest maps none.
 */
export function installDir(manifest: Manifest, target: Target): string | undefined {
  const template = manifest.install_map[target];
  if (template === undefined) return undefined;
  const slug = manifest.name.slice(manifest.name.indexOf("/") + 1);
  const dir = template.replaceAll("{slug}", slug);
  checkRelativePath(dir);
  return dir;
}

/** Reads `<dir>/mog.yaml` (a regular file, never a symlink) and validates it. */
export async function readManifest(
  dir: string,
  maxBytes = DEFAULT_LIMITS.maxManifestBytes,
): Promise<Manifest> {
  const file = join(dir, MANIFEST_FILE);
  const info = await lstat(file).catch(() => null);
  if (!info) throw new PackageError("LAYOUT_INVALID", `${MANIFEST_FILE} not found in ${dir}`);
  if (!info.isFile()) throw new PackageError("LAYOUT_INVALID", `${MANIFEST_FILE} is not a regular file`);
  if (info.size > maxBytes) throw invalid(`larger than ${maxBytes} bytes`);
  return parseManifest(await readFile(file), maxBytes);
}
