// pack(dir): a folder to a deterministic .zip (sorted names, fixed times and modes), checked like any upload.
import { constants } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import yazl from "yazl";
import { PackageError, printable } from "./errors.js";
import { type PackageLimits, resolveLimits } from "./limits.js";
import { MANIFEST_FILE } from "./manifest.js";
import { checkRelativePath } from "./names.js";
import { inspect, type PackageInfo } from "./package.js";

/** Never packed: version-control data and Finder litter. */
export const PACK_IGNORED: readonly string[] = [".git", ".DS_Store"];
/** Stored rather than deflated: already compressed. */
const STORED = /\.(png|jpe?g|zip|gz|tgz|whl|jar)$/i;
/** Local-time constructor, so the DOS timestamp reads 1980-01-01 00:00 in every time zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

export interface PackResult {
  /** The .zip bytes. */
  archive: Buffer;
  /** What `inspect` reads from it: manifest, archive SHA-256, per-file hashes. */
  info: PackageInfo;
}

interface Found {
  path: string;
  abs: string;
  size: number;
}

async function walk(root: string, limits: PackageLimits): Promise<Found[]> {
  const found: Found[] = [];
  let total = 0;
  const visit = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(root, rel))) {
      if (PACK_IGNORED.includes(name)) continue;
      const path = rel ? `${rel}/${name}` : name;
      checkRelativePath(path);
      const abs = join(root, path);
      const info = await lstat(abs);
      if (info.isSymbolicLink())
        throw new PackageError("SYMLINK", `Symlink refused: ${printable(path)}`, { entry: path });
      if (info.isDirectory()) {
        await visit(path);
        continue;
      }
      if (!info.isFile())
        throw new PackageError("SPECIAL_FILE", `Not a regular file: ${printable(path)}`, { entry: path });
      if (info.size > limits.maxFileBytes)
        throw new PackageError(
          "FILE_TOO_LARGE",
          `File larger than ${limits.maxFileBytes} bytes: ${printable(path)}`,
          {
            entry: path,
          },
        );
      total += info.size;
      if (total > limits.maxTotalBytes)
        throw new PackageError("TOTAL_TOO_LARGE", `Package is larger than ${limits.maxTotalBytes} bytes`);
      found.push({ path, abs, size: info.size });
      if (found.length > limits.maxEntries)
        throw new PackageError("TOO_MANY_FILES", `Package has more than ${limits.maxEntries} files`);
    }
  };
  await visit("");
  // Byte order of the UTF-8 names: the same on every machine and locale.
  return found.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Reads a file that must still be the regular file `walk` saw (no symlink swapped in since). */
async function readRegular(file: Found): Promise<Buffer> {
  const handle = await open(file.abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size !== file.size)
      throw new PackageError("ARCHIVE_INVALID", `File changed while packing: ${printable(file.path)}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function collect(zip: yazl.ZipFile): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolvePromise(Buffer.concat(chunks)));
  });
}

/**
 * Packs `dir` (mog.yaml at its root) into a .zip with the files at the archive root, in byte order,
 * with fixed timestamps and modes, so the same files give the same bytes. Symlinks and special files
 * are refused; the result is then inspected with the same rules the registry applies.
 */
export async function pack(
  dir: string,
  options: { limits?: Partial<PackageLimits> } = {},
): Promise<PackResult> {
  const limits = resolveLimits(options.limits);
  const files = await walk(dir, limits);
  if (!files.some((f) => f.path === MANIFEST_FILE))
    throw new PackageError("LAYOUT_INVALID", `${MANIFEST_FILE} not found at the top of the folder`);
  const zip = new yazl.ZipFile();
  const output = collect(zip);
  for (const file of files) {
    zip.addBuffer(await readRegular(file), file.path, {
      mtime: FIXED_MTIME,
      mode: 0o100644,
      forceDosTimestamp: true,
      compress: !STORED.test(file.path),
    });
  }
  zip.end();
  const archive = await output;
  const info = await inspect(archive, { limits });
  return { archive, info };
}
