// The registry's two keys: Ed25519 for release statements, HMAC-SHA256 for download URLs.
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  timingSafeEqual,
} from "node:crypto";
import type { RegistryKey } from "@mogplex/contract";

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export class StatementSigner {
  private readonly privateKey: KeyObject;
  readonly publicKeyRaw: Buffer;
  /** First 16 hex characters of SHA-256 of the raw public key. */
  readonly keyId: string;

  constructor(seedBase64: string) {
    const seed = Buffer.from(seedBase64, "base64");
    if (seed.length !== 32) throw new Error("the registry signing key must be a 32-byte Ed25519 seed");
    this.privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    });
    const spki = createPublicKey(this.privateKey).export({ format: "der", type: "spki" });
    this.publicKeyRaw = spki.subarray(spki.length - 32);
    this.keyId = createHash("sha256").update(this.publicKeyRaw).digest("hex").slice(0, 16);
  }

  /** Base64 Ed25519 signature over the UTF-8 bytes of `statement`. */
  sign(statement: string): string {
    return sign(null, Buffer.from(statement, "utf8"), this.privateKey).toString("base64");
  }

  publicKey(): RegistryKey {
    return { keyId: this.keyId, algorithm: "Ed25519", publicKey: this.publicKeyRaw.toString("base64") };
  }
}

/** HMAC-SHA256 over `releaseId.expires`, hex; compared in constant time. */
export class UrlSigner {
  constructor(private readonly secret: string) {}

  sign(releaseId: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`${releaseId}.${expires}`).digest("hex");
  }

  /** True when `sig` is the signature of (releaseId, expires); says nothing about expiry. */
  verify(releaseId: string, expires: number, sig: string): boolean {
    if (!/^[0-9a-f]{64}$/.test(sig)) return false;
    const expected = Buffer.from(this.sign(releaseId, expires), "hex");
    return timingSafeEqual(expected, Buffer.from(sig, "hex"));
  }
}
