// Zip bombs and size limits: refused on the bytes actually inflated, inflation stopped at the limit.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isPackageError, type PackageError } from "./errors.js";
import { extract } from "./extract.js";
import { inspect } from "./package.js";
import { listTree, MCP_MANIFEST, sandbox, skillEntries } from "./test-support/fixtures.js";
import { rawZip, zeroBomb } from "./test-support/raw-zip.js";

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

async function refusal(promise: Promise<unknown>): Promise<PackageError> {
  const err = await promise.then(
    () => new Error("expected a refusal"),
    (e: unknown) => e,
  );
  if (!isPackageError(err)) throw err;
  return err;
}

describe("zip bombs", () => {
  let bomb: { compressed: Buffer; crc32: number };
  beforeAll(() => {
    bomb = zeroBomb(GiB);
  });
  let cleanup = () => {};
  afterEach(() => cleanup());

  it("the test bomb really is 1 GiB of zeros in about 1 MiB", () => {
    expect(bomb.compressed.length).toBeLessThan(2 * MiB);
    expect(bomb.compressed.length).toBeGreaterThan(100 * 1024);
  });

  it("an honest 1 GiB header is refused before anything is inflated or written", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const archive = rawZip([
      ...skillEntries(),
      { name: "zeros.txt", compressed: bomb.compressed, uncompressedSize: GiB, crc32: bomb.crc32 },
    ]);
    const before = listTree(box.root);
    const err = await refusal(extract(archive, box.dest));
    expect(err.code).toBe("ZIP_BOMB");
    expect(err.message).toBe("Compression ratio over 100:1 (zip bomb): zeros.txt");
    expect(err.details.inflatedBytes).toBe(0);
    expect(listTree(box.root)).toEqual(before);
    expect(existsSync(box.dest)).toBe(false);
  });

  it("a header claiming 1,000 bytes stops inflation right after 1,000 bytes, not after 1 GiB", async () => {
    const box = sandbox();
    cleanup = box.cleanup;
    const archive = rawZip([
      ...skillEntries(),
      { name: "zeros.txt", compressed: bomb.compressed, uncompressedSize: 1000, crc32: bomb.crc32 },
    ]);
    const before = listTree(box.root);
    const started = process.cpuUsage();
    const err = await refusal(extract(archive, box.dest));
    const cpuMs = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1000;
    expect(err.code).toBe("SIZE_MISMATCH");
    expect(err.message).toBe("Entry inflates to more than its declared 1000 bytes: zeros.txt");
    expect(err.details.inflatedBytes).toBeLessThanOrEqual(1001);
    // Inflating the whole GiB costs seconds of CPU; stopping at the cap costs next to nothing.
    expect(cpuMs).toBeLessThan(1000);
    expect(listTree(box.root)).toEqual(before);
    expect(existsSync(box.dest)).toBe(false);
  });

  it("a header inside the file limit is still refused for its ratio (8 MiB of zeros in ~8 KiB)", async () => {
    const small = zeroBomb(8 * MiB);
    const archive = rawZip([
      ...skillEntries(),
      { name: "zeros.txt", compressed: small.compressed, uncompressedSize: 8 * MiB, crc32: small.crc32 },
    ]);
    const err = await refusal(inspect(archive));
    expect(err.code).toBe("ZIP_BOMB");
    expect(err.message).toBe("Compression ratio over 100:1 (zip bomb): zeros.txt");
  });

  it("the bomb builder makes a real deflate stream: with a generous ratio it inflates fully and hashes right", async () => {
    const small = zeroBomb(4 * MiB);
    // An mcp package: it may carry binary files, so only the limits judge the zeros.
    const archive = rawZip([
      { name: "mog.yaml", data: MCP_MANIFEST },
      { name: "README.md", data: "# Tickets\n" },
      { name: "zeros.bin", compressed: small.compressed, uncompressedSize: 4 * MiB, crc32: small.crc32 },
    ]);
    expect((await refusal(inspect(archive))).code).toBe("ZIP_BOMB");
    const info = await inspect(archive, { limits: { maxRatio: 10_000 } });
    const zeros = info.files.find((f) => f.path === "zeros.bin");
    expect(zeros?.size).toBe(4 * MiB);
    expect(zeros?.sha256).toBe(
      createHash("sha256")
        .update(Buffer.alloc(4 * MiB))
        .digest("hex"),
    );
  });
});

describe("size and count limits", () => {
  it("refuses more entries than maxEntries before reading them", async () => {
    const archive = rawZip([...skillEntries(), { name: "a.md", data: "a" }]);
    const err = await refusal(inspect(archive, { limits: { maxEntries: 3 } }));
    expect(err.code).toBe("TOO_MANY_FILES");
    expect(err.message).toBe("Package has 4 entries; the limit is 3");
  });

  it("refuses a file over maxFileBytes", async () => {
    const archive = rawZip([...skillEntries(), { name: "big.md", data: "y".repeat(5000) }]);
    const err = await refusal(inspect(archive, { limits: { maxFileBytes: 4096 } }));
    expect(err.code).toBe("FILE_TOO_LARGE");
    expect(err.message).toBe("File larger than 4096 bytes: big.md");
  });

  it("refuses a file over maxFileBytes even when its header lies about the size", async () => {
    const archive = rawZip([
      ...skillEntries(),
      { name: "big.md", data: "y".repeat(5000), uncompressedSize: 4000 },
    ]);
    const err = await refusal(inspect(archive, { limits: { maxFileBytes: 3000 } }));
    expect(err.code).toBe("FILE_TOO_LARGE");
  });

  it("refuses when all files together pass maxTotalBytes", async () => {
    const archive = rawZip([
      ...skillEntries(),
      { name: "a.md", data: "a".repeat(3000) },
      { name: "b.md", data: "b".repeat(3000) },
    ]);
    const err = await refusal(inspect(archive, { limits: { maxTotalBytes: 5000 } }));
    expect(err.code).toBe("TOTAL_TOO_LARGE");
    expect(err.message).toBe("Package inflates to more than 5000 bytes: b.md");
  });

  it("refuses an archive over maxArchiveBytes without opening it", async () => {
    const archive = rawZip(skillEntries());
    const err = await refusal(inspect(archive, { limits: { maxArchiveBytes: archive.length - 1 } }));
    expect(err.code).toBe("ARCHIVE_TOO_LARGE");
    expect(err.message).toBe(`Archive is ${archive.length} bytes; the limit is ${archive.length - 1}`);
  });

  it("refuses an oversized mog.yaml", async () => {
    const archive = rawZip([
      { name: "mog.yaml", data: `${"# padding\n".repeat(7000)}name: acme/x\n` },
      { name: "README.md", data: "x" },
    ]);
    const err = await refusal(inspect(archive));
    expect(err.code).toBe("MANIFEST_INVALID");
    expect(err.message).toBe("mog.yaml: larger than 65536 bytes");
  });
});
