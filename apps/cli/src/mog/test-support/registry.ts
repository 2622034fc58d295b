// A stand-in registry for unit tests of the install chain: the four routes `mog install vendor/slug` calls
// (entitlement, download, blob, well-known key), answering what a test sets, signed with a local Ed25519 key.
// The real server is exercised end to end in src/e2e/mog.test.ts.
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { releaseStatement } from "@mogplex/contract";
import { inspect } from "@mogplex/pkgfmt";

export interface Signer {
  privateKey: KeyObject;
  publicKey: string;
  keyId: string;
}

export function newSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  return {
    privateKey,
    publicKey: raw.toString("base64"),
    keyId: createHash("sha256").update(raw).digest("hex").slice(0, 16),
  };
}

export interface Served {
  zip: Buffer;
  statement: string;
  signature: string;
  keyId: string;
  sha256: string;
  name: string;
  version: string;
}

/** A release of `zip` as the registry would sign it (`signer` signs, `keyOf` names the key in it). */
export async function signedRelease(zip: Buffer, signer: Signer): Promise<Served> {
  const info = await inspect(zip);
  const statement = releaseStatement({
    name: info.manifest.name,
    version: info.manifest.version,
    type: info.manifest.type,
    sha256: info.archiveSha256,
    files: Object.fromEntries(info.files.map((f) => [f.path, f.sha256])),
    publishedAt: "2026-01-01T00:00:00.000Z",
    keyId: signer.keyId,
  });
  return {
    zip,
    statement,
    signature: sign(null, Buffer.from(statement), signer.privateKey).toString("base64"),
    keyId: signer.keyId,
    sha256: info.archiveSha256,
    name: info.manifest.name,
    version: info.manifest.version,
  };
}

export interface FakeRegistry {
  url: string;
  /** What the next calls answer; change between calls. */
  state: {
    key: Signer;
    release: Served;
    refuseEntitlement?: { status: number; error: Record<string, unknown> };
  };
  close(): Promise<void>;
}

export async function fakeRegistry(state: FakeRegistry["state"]): Promise<FakeRegistry> {
  const ok = (data: unknown) => JSON.stringify({ ok: true, data });
  let base = "";
  const server: Server = createServer((req, res) => {
    const r = state.release;
    const url = new URL(req.url ?? "/", base);
    res.setHeader("content-type", "application/json");
    if (url.pathname === "/.well-known/mogplex-registry-key")
      return res.end(ok({ keyId: state.key.keyId, algorithm: "Ed25519", publicKey: state.key.publicKey }));
    if (url.pathname === "/api/v1/registry/entitlements") {
      if (state.refuseEntitlement) {
        res.statusCode = state.refuseEntitlement.status;
        return res.end(JSON.stringify({ ok: false, error: state.refuseEntitlement.error }));
      }
      res.statusCode = 201;
      return res.end(
        ok({ entitlementId: "ent_1", name: r.name, status: "active", createdAt: "2026-01-01T00:00:00.000Z" }),
      );
    }
    if (url.pathname === "/api/v1/registry/downloads") {
      res.statusCode = 201;
      const release = {
        releaseId: "rel_1",
        name: r.name,
        version: r.version,
        sha256: r.sha256,
        type: "skill",
        statement: r.statement,
        signature: r.signature,
        keyId: r.keyId,
      };
      return res.end(
        ok({
          url: `${base}/api/v1/registry/blobs/rel_1?expires=1&sig=ab`,
          expiresAt: "2026-01-01T00:05:00.000Z",
          release,
        }),
      );
    }
    if (url.pathname === "/api/v1/registry/blobs/rel_1") {
      res.setHeader("content-type", "application/zip");
      return res.end(r.zip);
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ ok: false, error: { code: "NOT_FOUND", message: "Not found" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    state,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
