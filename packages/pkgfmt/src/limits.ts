// Size, count and ratio limits for one package; callers may tighten or loosen them per call.

export interface PackageLimits {
  /** Bytes of the .zip itself. */
  maxArchiveBytes: number;
  /** Inflated bytes of any one file. */
  maxFileBytes: number;
  /** Inflated bytes of all files together. */
  maxTotalBytes: number;
  /** Entries in the central directory (files and folders). */
  maxEntries: number;
  /**
   * Inflated ÷ compressed bytes, per entry and for the whole archive. Only judged once the inflated
   * bytes pass `ratioFloorBytes`, so a small, very repetitive text file is not a bomb.
   */
  maxRatio: number;
  ratioFloorBytes: number;
  /** Bytes of mog.yaml. */
  maxManifestBytes: number;
}

export const DEFAULT_LIMITS: Readonly<PackageLimits> = Object.freeze({
  maxArchiveBytes: 50 * 1024 * 1024,
  maxFileBytes: 20 * 1024 * 1024,
  maxTotalBytes: 200 * 1024 * 1024,
  maxEntries: 5_000,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
  maxManifestBytes: 64 * 1024,
});

export function resolveLimits(overrides: Partial<PackageLimits> | undefined): PackageLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new RangeError(`limit ${key} must be a positive integer`);
  }
  return limits;
}
