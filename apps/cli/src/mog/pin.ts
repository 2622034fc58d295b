// The registry's Ed25519 key, pinned on first use per server in <config>/registry-keys.json (0600), and the
// release statement check: a statement is trusted only when its signature verifies with the pinned key and
// it says exactly what the download answer claims. A changed key is refused until `mog auth --repin`.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistryKey, SignedRelease } from "@mogplex/contract";
import { type ReleaseStatement, verifyReleaseStatement } from "@mogplex/pkgfmt";
import { writePrivateJson } from "../credentials/private-file.js";
import type { MogCtx } from "./context.js";
import { fromReleaseError, MogError } from "./errors.js";
import type { RegistryApi } from "./registry-api.js";

export const PINS_FILE = "registry-keys.json";

export interface Pin {
  keyId: string;
  publicKey: string;
  pinnedAt: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** keyId = the first 16 hex digits of SHA-256 of the raw 32-byte key; anything else is refused. */
export function checkKey(key: RegistryKey): Pin {
  const raw = Buffer.from(key.publicKey, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== key.publicKey)
    throw new MogError("REGISTRY_KEY_INVALID", "the registry's public key is not 32 bytes of base64");
  const id = createHash("sha256").update(raw).digest("hex").slice(0, 16);
  if (id !== key.keyId)
    throw new MogError("REGISTRY_KEY_INVALID", `the registry's key id ${key.keyId} does not match its key`);
  return { keyId: key.keyId, publicKey: key.publicKey, pinnedAt: new Date().toISOString() };
}

export class PinStore {
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, PINS_FILE);
  }

  read(): Record<string, Pin> {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new MogError("CONFIG", `cannot read ${this.path}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new MogError(
        "CONFIG",
        `${this.path} is not valid JSON; fix it or re-pin with \`mog auth --repin\``,
      );
    }
    if (!isObject(raw)) throw new MogError("CONFIG", `${this.path} must hold a JSON object`);
    return raw as Record<string, Pin>;
  }

  set(server: string, pin: Pin): void {
    writePrivateJson(this.path, { ...this.read(), [server]: pin });
  }
}

/** Fetches the server's key and pins it, replacing any pin (the explicit `mog auth --repin`). */
export async function repin(ctx: MogCtx, api: RegistryApi): Promise<{ pin: Pin; previous: Pin | null }> {
  const store = new PinStore(ctx.home);
  const previous = store.read()[api.base] ?? null;
  const pin = checkKey(await api.call("getRegistryKey"));
  store.set(api.base, pin);
  return { pin, previous };
}

/**
 * The key to verify a statement signed with `keyId`: the pinned one; on first use the server's (pinned now,
 * said on stderr). A server whose key differs from the pin is refused.
 */
export async function trustedKey(ctx: MogCtx, api: RegistryApi, keyId: string): Promise<Pin> {
  const store = new PinStore(ctx.home);
  const pinned = store.read()[api.base];
  if (pinned?.keyId === keyId) return pinned;
  const current = checkKey(await api.call("getRegistryKey"));
  if (!pinned) {
    store.set(api.base, current);
    ctx.io.err(`mog: pinned the registry key ${current.keyId} of ${api.base} (first use) in ${store.path}`);
    return current;
  }
  if (current.keyId !== pinned.keyId)
    throw new MogError(
      "REGISTRY_KEY_CHANGED",
      `the registry signing key of ${api.base} changed (pinned ${pinned.keyId}, now ${current.keyId}): refusing, because the signature cannot be trusted. If the operator rotated the key, re-pin it explicitly with \`mog auth --repin\``,
    );
  return pinned;
}

/** Verifies the signature with `pin`, then that the statement is well-formed and names this release. */
export function verifyStatement(
  release: SignedRelease,
  pin: Pin,
  wanted: { name: string; version?: string },
): ReleaseStatement {
  try {
    return verifyReleaseStatement(release, pin, wanted);
  } catch (err) {
    throw fromReleaseError(err);
  }
}
