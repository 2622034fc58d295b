// mog.lock.json in the project root (--dir): what mog installed there, written atomically (temp file + fsync +
// rename + fsync of the folder), so a crash leaves either the old or the new lockfile, never half of one.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_TYPES, type PackageType, TARGETS, type Target } from "@mogplex/pkgfmt";
import { MogError } from "./errors.js";

export const LOCK_FILE = "mog.lock.json";
export const LOCK_VERSION = 1;

export interface McpEntry {
  /** The agent's MCP config file, relative to --dir. */
  config: string;
  /** The key under `mcpServers`. */
  key: string;
}

export interface LockEntry {
  version: string;
  sha256: string;
  type: PackageType;
  target: Target;
  /** Relative to --dir, `/`-separated. */
  installPath: string;
  entitlementId: string | null;
  installedAt: string;
  /** Package path → SHA-256 (hex) of the file as installed. */
  files: Record<string, string>;
  /** `registry` (mog install vendor/slug, verified against the signed statement) or `file` (./x.zip). */
  source: "registry" | "file";
  /** The server a registry install came from. */
  registry?: string;
  mcp?: McpEntry;
}

export interface Lockfile {
  lockfileVersion: typeof LOCK_VERSION;
  /** Package name (`vendor/slug`) → what is installed. */
  packages: Record<string, LockEntry>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const HEX64 = /^[0-9a-f]{64}$/;

function validEntry(v: unknown): v is LockEntry {
  if (!isObject(v)) return false;
  return (
    typeof v.version === "string" &&
    typeof v.sha256 === "string" &&
    HEX64.test(v.sha256) &&
    (PACKAGE_TYPES as readonly unknown[]).includes(v.type) &&
    (TARGETS as readonly unknown[]).includes(v.target) &&
    typeof v.installPath === "string" &&
    (v.entitlementId === null || typeof v.entitlementId === "string") &&
    typeof v.installedAt === "string" &&
    isObject(v.files) &&
    Object.values(v.files).every((h) => typeof h === "string" && HEX64.test(h)) &&
    (v.source === "registry" || v.source === "file")
  );
}

export function lockPath(dir: string): string {
  return join(dir, LOCK_FILE);
}

/** The lockfile in `dir` (empty when there is none); a broken one is an error, never silently replaced. */
export function readLock(dir: string): Lockfile {
  const path = lockPath(dir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { lockfileVersion: LOCK_VERSION, packages: {} };
    throw new MogError("LOCKFILE_INVALID", `cannot read ${path} (${code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MogError("LOCKFILE_INVALID", `${path} is not valid JSON; fix it or remove it`);
  }
  if (!isObject(raw) || raw.lockfileVersion !== LOCK_VERSION || !isObject(raw.packages))
    throw new MogError("LOCKFILE_INVALID", `${path} is not a version ${LOCK_VERSION} mog lockfile`);
  for (const [name, entry] of Object.entries(raw.packages)) {
    if (!validEntry(entry))
      throw new MogError("LOCKFILE_INVALID", `${path}: the entry for ${name} is malformed`);
  }
  return raw as unknown as Lockfile;
}

/** Writes the lockfile atomically; any failure leaves the previous one (or none) in place and throws. */
export function writeLock(dir: string, lock: Lockfile): void {
  const path = lockPath(dir);
  const sorted: Lockfile = {
    lockfileVersion: LOCK_VERSION,
    packages: Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  const tmp = join(dir, `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      writeSync(fd, `${JSON.stringify(sorted, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new MogError("LOCKFILE_WRITE_FAILED", `cannot write ${path} (${code})`);
  }
  // The rename is durable once the folder is synced; a failure here no longer affects what's on disk.
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {}
}
