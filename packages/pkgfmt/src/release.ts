// A registry release's signed statement and the checks every installer runs on it (mog install on a laptop, the
// server installing a run's packages or an MCP package): the Ed25519 signature against the registry key, the
// statement's fields against what was asked for, and the archive's files against the signed list.
import { createPublicKey, verify } from "node:crypto";
import { join } from "node:path";
import type { Manifest } from "./manifest.js";
import type { PackageInfo } from "./package.js";

/** The fields of a release statement as the registry signs them (canonical JSON). */
export interface ReleaseStatement {
  v: 1;
  name: string;
  version: string;
  type: string;
  sha256: string;
  files: Record<string, string>;
  publishedAt: string;
  keyId: string;
}

/** What a download answer (or the registry's own release row) claims about a release. */
export interface SignedReleaseClaim {
  name: string;
  version: string;
  sha256: string;
  type: string;
  statement: string;
  signature: string;
}

/** `signature`: the statement is not signed by the key or says something else; `integrity`: the bytes differ. */
export class ReleaseVerificationError extends Error {
  override readonly name = "ReleaseVerificationError";
  constructor(
    readonly kind: "signature" | "integrity",
    /** What failed, without the leading "… verification failed". */
    readonly why: string,
  ) {
    super(
      kind === "signature"
        ? `Release signature verification failed: ${why}`
        : `Package integrity check failed: ${why}`,
    );
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
/**
 * JSON with object keys sorted at every level and no whitespace: the form the registry signs (the same function as
 * @mogplex/contract's canonicalJson, kept here so pkgfmt, which the scanner's sandbox loads, needs nothing else).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const signature = (why: string) => new ReleaseVerificationError("signature", why);
const integrity = (why: string) => new ReleaseVerificationError("integrity", why);

/**
 * Verifies the statement's signature with the registry key (`publicKey`: base64 of the raw 32 bytes), then that
 * it is well-formed canonical JSON naming exactly this release (and `wanted`). Throws ReleaseVerificationError.
 */
export function verifyReleaseStatement(
  release: SignedReleaseClaim,
  key: { keyId: string; publicKey: string },
  wanted: { name: string; version?: string },
): ReleaseStatement {
  const pub = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(key.publicKey, "base64").toString("base64url") },
    format: "jwk",
  });
  const sig = Buffer.from(release.signature, "base64");
  if (sig.length !== 64 || !verify(null, Buffer.from(release.statement, "utf8"), pub, sig))
    throw signature(
      `the release statement of ${release.name}@${release.version} is not signed by the registry key ${key.keyId}`,
    );
  let s: unknown;
  try {
    s = JSON.parse(release.statement);
  } catch {
    throw signature("the signed statement is not JSON");
  }
  if (!isObject(s) || canonicalJson(s) !== release.statement)
    throw signature("the signed statement is not canonical JSON");
  const files = s.files;
  const ok =
    s.v === 1 &&
    typeof s.name === "string" &&
    typeof s.version === "string" &&
    typeof s.type === "string" &&
    typeof s.sha256 === "string" &&
    HEX64.test(s.sha256) &&
    typeof s.publishedAt === "string" &&
    isObject(files) &&
    Object.values(files).every((h) => typeof h === "string" && HEX64.test(h));
  if (!ok) throw signature("the signed statement is missing fields");
  const st = s as unknown as ReleaseStatement;
  const mismatch = (what: string, signed: string, claimed: string) =>
    signature(`the signed statement's ${what} is ${signed}, not ${claimed}`);
  if (st.keyId !== key.keyId) throw mismatch("key id", st.keyId, key.keyId);
  if (st.name !== wanted.name) throw mismatch("name", st.name, wanted.name);
  if (st.name !== release.name) throw mismatch("name", st.name, release.name);
  if (wanted.version && st.version !== wanted.version) throw mismatch("version", st.version, wanted.version);
  if (st.version !== release.version) throw mismatch("version", st.version, release.version);
  if (st.sha256 !== release.sha256) throw mismatch("sha256", st.sha256, release.sha256);
  if (st.type !== release.type) throw mismatch("type", st.type, release.type);
  return st;
}

/** The signed file list must be exactly the archive's files, hash for hash (and name and version). */
export function checkSignedFiles(
  info: PackageInfo,
  signed: { name: string; version: string; files: Record<string, string> },
): void {
  const { name, version } = info.manifest;
  if (name !== signed.name || version !== signed.version)
    throw integrity(
      `the archive holds ${name}@${version}, the signed release is ${signed.name}@${signed.version}`,
    );
  const expected = new Map(Object.entries(signed.files));
  for (const f of info.files) {
    const want = expected.get(f.path);
    if (want === undefined) throw integrity(`${f.path} is in the archive but not in the signed release`);
    if (want !== f.sha256)
      throw integrity(`${f.path} has SHA-256 ${f.sha256}, the signed release says ${want}`);
    expected.delete(f.path);
  }
  const missing = [...expected.keys()][0];
  if (missing !== undefined) throw integrity(`${missing} is in the signed release but not in the archive`);
}

/**
 * How an installed `mcp` package starts: its `mcp.command` and `mcp.args` with every `./file` naming a file of the
 * package turned into that file's path under `installDir` (anything else, like `node`, is left as written).
 */
export function mcpLaunch(
  manifest: Pick<Manifest, "name" | "mcp">,
  installDir: string,
  files: readonly string[],
): { command: string; args: string[]; env: string[] } | null {
  const mcp = manifest.mcp;
  if (!mcp) return null;
  const local = (arg: string) =>
    arg.startsWith("./") && files.includes(arg.slice(2)) ? join(installDir, arg.slice(2)) : arg;
  return { command: local(mcp.command), args: mcp.args.map(local), env: [...mcp.env] };
}
