// Loads an archive's bytes once (size-capped) and checks them against an expected SHA-256 before any use.
import { createHash, timingSafeEqual } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { PackageError } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";

/** The archive's bytes, or a path to a .zip file. */
export type ArchiveInput = Uint8Array | string;

export interface LoadedArchive {
  bytes: Buffer;
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function tooLarge(size: number, max: number): PackageError {
  return new PackageError("ARCHIVE_TOO_LARGE", `Archive is ${size} bytes; the limit is ${max}`);
}

/**
 * Reads the whole archive into memory (it is size-capped) so the bytes that were hashed are exactly the
 * bytes that get extracted: a file swapped on disk after the check cannot slip in.
 */
export async function loadArchive(
  input: ArchiveInput,
  maxBytes = DEFAULT_LIMITS.maxArchiveBytes,
): Promise<LoadedArchive> {
  let bytes: Buffer;
  if (typeof input === "string") {
    // O_NONBLOCK: a FIFO put where the archive should be must not hang the open; fstat then refuses it.
    const handle = await open(input, constants.O_RDONLY | constants.O_NONBLOCK).catch(
      (err: NodeJS.ErrnoException) => {
        throw new PackageError("ARCHIVE_INVALID", `Cannot open archive (${err.code ?? err.message})`);
      },
    );
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new PackageError("ARCHIVE_INVALID", "Archive is not a regular file");
      if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
      // Read one byte past the size seen: a file that grew meanwhile is refused, not cut.
      bytes = Buffer.allocUnsafe(info.size + 1);
      let read = 0;
      for (;;) {
        const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
        if (read > info.size) throw tooLarge(read, maxBytes);
      }
      bytes = bytes.subarray(0, read);
    } finally {
      await handle.close();
    }
  } else {
    if (input.byteLength > maxBytes) throw tooLarge(input.byteLength, maxBytes);
    bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Refuses unless the archive's SHA-256 is `expected` (hex); nothing is written either way. */
export function checkIntegrity(archive: LoadedArchive, expected: string): void {
  const want = expected.toLowerCase();
  if (!SHA256_HEX.test(want))
    throw new PackageError(
      "INTEGRITY_MISMATCH",
      "Package integrity check failed: the expected SHA-256 is not 64 hex digits",
    );
  if (!timingSafeEqual(Buffer.from(archive.sha256, "hex"), Buffer.from(want, "hex")))
    throw new PackageError(
      "INTEGRITY_MISMATCH",
      `Package integrity check failed: SHA-256 ${archive.sha256} does not match the expected ${want}`,
    );
}

/**
 * `verify(archive, expectedSha256)`: loads the bytes once, refuses on a mismatch (message contains
 * "integrity"), and returns the verified bytes so the caller extracts exactly what was checked.
 */
export async function verify(
  input: ArchiveInput,
  expectedSha256: string,
  maxBytes?: number,
): Promise<LoadedArchive> {
  const archive = await loadArchive(input, maxBytes);
  checkIntegrity(archive, expectedSha256);
  return archive;
}
