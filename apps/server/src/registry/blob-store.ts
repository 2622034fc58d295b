// Where release archives live: content-addressed by SHA-256, behind a seam so an object store can follow.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

export interface BlobStore {
  /** Stores the bytes under their SHA-256 (hex) and returns it; storing the same bytes again is a no-op. */
  put(bytes: Uint8Array): Promise<string>;
  /** The stored bytes, exactly as they are now (a blob altered at rest is returned altered: clients verify). */
  get(sha256: string): Promise<Buffer | null>;
  /** A local file holding the blob for the duration of `use` (the scanner reads a path). */
  withFile<T>(sha256: string, use: (path: string) => Promise<T>): Promise<T>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** `<data-dir>/blobs/<sha256>`: folder 0700, files 0600, written to a temp name, fsynced and renamed. */
export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(sha256: string): string {
    if (!HEX64.test(sha256)) throw new Error("blob id must be a hex SHA-256");
    return join(this.dir, sha256);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.path(sha256);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (await stat(target).catch(() => null)) return sha256;
    const tmp = join(this.dir, `.${sha256}.${randomBytes(6).toString("hex")}.tmp`);
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return sha256;
  }

  async get(sha256: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async withFile<T>(sha256: string, use: (path: string) => Promise<T>): Promise<T> {
    const p = this.path(sha256);
    if (!(await stat(p).catch(() => null))) throw new Error(`blob ${sha256} is missing`);
    return use(p);
  }
}
