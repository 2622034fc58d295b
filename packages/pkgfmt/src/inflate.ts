// Inflates one entry under every size limit at once, judged on the bytes zlib actually produces.
import { crc32, inflateRawSync } from "node:zlib";
import { PackageError, type PackageErrorCode, printable } from "./errors.js";
import type { PackageLimits } from "./limits.js";
import type { ZipEntry } from "./zip.js";

/** Running totals over one archive. */
export interface InflateBudget {
  archiveBytes: number;
  inflatedSoFar: number;
}

interface Cap {
  bytes: number;
  code: PackageErrorCode;
  message: string;
}

function capsFor(entry: ZipEntry, limits: PackageLimits, budget: InflateBudget): Cap[] {
  const archiveRatioCap = Math.max(limits.ratioFloorBytes, limits.maxRatio * budget.archiveBytes);
  return [
    {
      bytes: entry.uncompressedSize,
      code: "SIZE_MISMATCH",
      message: `Entry inflates to more than its declared ${entry.uncompressedSize} bytes`,
    },
    {
      bytes: Math.max(limits.ratioFloorBytes, limits.maxRatio * entry.compressedSize),
      code: "ZIP_BOMB",
      message: `Compression ratio over ${limits.maxRatio}:1 (zip bomb)`,
    },
    {
      bytes: archiveRatioCap - budget.inflatedSoFar,
      code: "ZIP_BOMB",
      message: `Package inflates to over ${limits.maxRatio} times its archive size (zip bomb)`,
    },
    {
      bytes: limits.maxFileBytes,
      code: "FILE_TOO_LARGE",
      message: `File larger than ${limits.maxFileBytes} bytes`,
    },
    {
      bytes: limits.maxTotalBytes - budget.inflatedSoFar,
      code: "TOTAL_TOO_LARGE",
      message: `Package inflates to more than ${limits.maxTotalBytes} bytes`,
    },
  ];
}

function refuse(cap: Cap, name: string, inflatedBytes: number): PackageError {
  const shown = printable(name);
  return new PackageError(cap.code, `${cap.message}: ${shown}`, { entry: shown, inflatedBytes });
}

/** Header claims are refused early when they are already over a limit (cheap, before any inflation). */
export function checkDeclaredSizes(
  entries: readonly ZipEntry[],
  limits: PackageLimits,
  archiveBytes: number,
): void {
  const budget: InflateBudget = { archiveBytes, inflatedSoFar: 0 };
  for (const entry of entries) {
    for (const cap of capsFor(entry, limits, budget).slice(1)) {
      if (entry.uncompressedSize > cap.bytes) throw refuse(cap, entry.name, 0);
    }
    budget.inflatedSoFar += entry.uncompressedSize;
  }
}

/**
 * The entry's bytes. zlib stops as soon as its output passes the tightest cap (declared size, file,
 * total and ratio limits), so a lying header or a bomb costs at most one output chunk past the cap.
 * Then the size must match the header exactly and the CRC-32 must agree.
 */
export function inflateEntry(
  archive: Buffer,
  entry: ZipEntry,
  limits: PackageLimits,
  budget: InflateBudget,
): Buffer {
  const compressed = archive.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  const caps = capsFor(entry, limits, budget);
  const tightest = caps.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  let data: Buffer;
  if (entry.compressionMethod === 0) {
    data = compressed;
  } else {
    try {
      data = inflateRawSync(compressed, { maxOutputLength: Math.max(1, tightest.bytes) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
        throw refuse(tightest, entry.name, tightest.bytes + 1);
      throw new PackageError("ARCHIVE_INVALID", `Entry data is corrupt: ${printable(entry.name)}`, {
        entry: printable(entry.name),
      });
    }
  }
  const over = caps.find((cap) => data.length > cap.bytes);
  if (over) throw refuse(over, entry.name, data.length);
  if (data.length !== entry.uncompressedSize) {
    throw new PackageError(
      "SIZE_MISMATCH",
      `Entry inflates to ${data.length} bytes but declares ${entry.uncompressedSize}: ${printable(entry.name)}`,
      { entry: printable(entry.name), inflatedBytes: data.length },
    );
  }
  if (crc32(data) !== entry.crc32)
    throw new PackageError("CRC_MISMATCH", `CRC-32 mismatch: ${printable(entry.name)}`, {
      entry: printable(entry.name),
    });
  budget.inflatedSoFar += data.length;
  return data;
}
