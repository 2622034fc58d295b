// The release statement checks every installer shares (mog install, the server's run and MCP packages): a
// statement signed by the key and naming the release passes; another key, a changed byte, a non-canonical form or
// a different name, version or hash is a signature failure; a file list that differs is an integrity failure.
import { generateKeyPairSync, sign } from "node:crypto";
import { canonicalJson as contractCanonical } from "@mogplex/contract";
import { describe, expect, it } from "vitest";
import type { PackageInfo } from "./package.js";
import {
  canonicalJson,
  checkSignedFiles,
  ReleaseVerificationError,
  verifyReleaseStatement,
} from "./release.js";

const H = (c: string) => c.repeat(64);

function signer() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = (publicKey.export({ format: "jwk" }) as { x: string }).x;
  const key = { keyId: "k1", publicKey: Buffer.from(raw, "base64url").toString("base64") };
  return { key, sign: (s: string) => sign(null, Buffer.from(s), privateKey).toString("base64") };
}

const fields = {
  v: 1,
  name: "acme/guide",
  version: "1.0.0",
  type: "skill",
  sha256: H("a"),
  publishedAt: "2026-01-01T00:00:00.000Z",
  keyId: "k1",
  files: { "README.md": H("b"), "mog.yaml": H("c") },
};

function release(s: ReturnType<typeof signer>, statement = canonicalJson(fields)) {
  return {
    name: "acme/guide",
    version: "1.0.0",
    sha256: H("a"),
    type: "skill",
    statement,
    signature: s.sign(statement),
  };
}

const failure = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ReleaseVerificationError) return `${err.kind}: ${err.message}`;
    throw err;
  }
  return "passed";
};

describe("release statements", () => {
  it("canonical JSON is the contract's, key for key", () => {
    const v = { b: [3, { z: null, a: "é\n" }], a: { d: 1.5, c: true }, u: undefined };
    expect(canonicalJson(v)).toBe(contractCanonical(v));
    expect(canonicalJson(fields)).toBe(contractCanonical(fields));
  });

  it("accepts a statement signed by the key naming the release; refuses every change", () => {
    const s = signer();
    expect(verifyReleaseStatement(release(s), s.key, { name: "acme/guide", version: "1.0.0" }).files).toEqual(
      fields.files,
    );
    const other = signer();
    expect(failure(() => verifyReleaseStatement(release(other), s.key, { name: "acme/guide" }))).toMatch(
      /^signature: .*not signed by the registry key k1/,
    );
    const r = release(s);
    const flipped = { ...r, statement: r.statement.replace("1.0.0", "1.0.1") };
    expect(failure(() => verifyReleaseStatement(flipped, s.key, { name: "acme/guide" }))).toMatch(
      /^signature: /,
    );
    const spaced = JSON.stringify(fields, null, 1);
    expect(
      failure(() => verifyReleaseStatement(release(s, spaced), s.key, { name: "acme/guide" })),
    ).toContain("not canonical JSON");
    expect(failure(() => verifyReleaseStatement(r, s.key, { name: "acme/other" }))).toContain(
      "name is acme/guide, not acme/other",
    );
    expect(
      failure(() => verifyReleaseStatement({ ...r, sha256: H("d") }, s.key, { name: "acme/guide" })),
    ).toContain("sha256 is");
  });

  it("the archive's files must be exactly the signed ones", () => {
    const info = (files: Record<string, string>) =>
      ({
        manifest: { name: "acme/guide", version: "1.0.0" },
        files: Object.entries(files).map(([path, sha256]) => ({ path, sha256, size: 1 })),
      }) as unknown as PackageInfo;
    const signed = { name: "acme/guide", version: "1.0.0", files: fields.files };
    expect(failure(() => checkSignedFiles(info(fields.files), signed))).toBe("passed");
    expect(failure(() => checkSignedFiles(info({ ...fields.files, "x.md": H("e") }), signed))).toContain(
      "integrity: Package integrity check failed: x.md is in the archive but not in the signed release",
    );
    expect(failure(() => checkSignedFiles(info({ "README.md": H("b") }), signed))).toContain(
      "mog.yaml is in the signed release but not in the archive",
    );
    expect(failure(() => checkSignedFiles(info({ ...fields.files, "README.md": H("f") }), signed))).toContain(
      "README.md has SHA-256",
    );
  });
});
