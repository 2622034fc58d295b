// Secrets at rest: AES-256-GCM envelopes tagged with the id of the key that sealed them, so keys can rotate.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * `v1.<keyId>.<iv>.<ciphertext>.<tag>`, every part base64url. The key id travels with the value so a
 * keyring holding the current and previous keys knows which one opens it; the version lets the format
 * change without guessing.
 */
const VERSION = "v1";
const IV_BYTES = 12; // 96-bit IV, the size GCM is specified for
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A value could not be opened: malformed, sealed by a key we don't hold, or tampered with. */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
}

interface Key {
  id: string;
  material: Buffer;
}

function derive(secret: string, info: string, bytes: number): Buffer {
  // The configured secret is any string of ≥ 32 characters; HKDF turns it into uniform key material, and
  // separate `info` labels keep the AES key and the public key id independent of each other.
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), "mogplex/envelope", info, bytes));
}

function keyFrom(secret: string): Key {
  return {
    id: derive(secret, "key-id/v1", 8).toString("base64url"),
    material: derive(secret, "aes-256-gcm/v1", 32),
  };
}

/** The AAD binds a value to where it is stored, so a ciphertext copied into another row or column fails. */
function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}|${context}`, "utf8");
}

export class Keyring {
  readonly #current: Key;
  readonly #byId = new Map<string, Key>();

  constructor(current: string, previous: readonly string[] = []) {
    this.#current = keyFrom(current);
    for (const secret of [current, ...previous]) {
      const k = keyFrom(secret);
      if (!this.#byId.has(k.id)) this.#byId.set(k.id, k);
    }
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Key ids this ring can open. */
  get keyIds(): string[] {
    return [...this.#byId.keys()];
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#current.material, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.#current.id, context));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.#current.id,
      iv.toString("base64url"),
      ct.toString("base64url"),
      tag.toString("base64url"),
    ].join(".");
  }

  decrypt(envelope: string, context: string): string {
    const { keyId, iv, ct, tag } = parse(envelope);
    const key = this.#byId.get(keyId);
    // Names the key id (public) so an operator knows which previous key to configure; never the value.
    if (!key) throw new EnvelopeError(`value sealed with key id ${keyId}, which is not configured`);
    const decipher = createDecipheriv("aes-256-gcm", key.material, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      throw new EnvelopeError("value failed authentication (tampered, moved, or wrong key)");
    }
  }

  /** The key id a stored value was sealed with (no decryption). */
  keyIdOf(envelope: string): string {
    return parse(envelope).keyId;
  }

  /** Opens with whichever key sealed it and seals again under the current key. */
  reseal(envelope: string, context: string): string {
    return this.encrypt(this.decrypt(envelope, context), context);
  }
}

function parse(envelope: string): { keyId: string; iv: Buffer; ct: Buffer; tag: Buffer } {
  const parts = envelope.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION || !parts.every((p) => B64URL.test(p))) {
    throw new EnvelopeError("not a v1 envelope");
  }
  const [, keyId = "", ivText = "", ctText = "", tagText = ""] = parts;
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (keyId.length === 0 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new EnvelopeError("not a v1 envelope");
  }
  return { keyId, iv, ct: Buffer.from(ctText, "base64url"), tag };
}

export function isEnvelope(value: string): boolean {
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}
