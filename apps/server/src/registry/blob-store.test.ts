// The file blob store: content-addressed, owner-only, written whole or not at all, and ids checked.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileBlobStore } from "./blob-store.js";

const root = mkdtempSync(join(tmpdir(), "mogplex-blobs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("FileBlobStore", () => {
  it("stores bytes under their SHA-256, 0600 in a 0700 folder, with no temp file left", async () => {
    const dir = join(root, "blobs");
    const store = new FileBlobStore(dir);
    const bytes = Buffer.from("PK\u0003\u0004 a zip, pretend");
    const id = await store.put(bytes);
    expect(id).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, id)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([id]);
    expect(await store.put(bytes)).toBe(id);
    expect(readdirSync(dir)).toEqual([id]);
    expect(await store.get(id)).toEqual(bytes);
    expect(await store.withFile(id, async (p) => p)).toBe(join(dir, id));
  });

  it("a missing blob is null; an id that is not a SHA-256 is refused before touching the disk", async () => {
    const store = new FileBlobStore(join(root, "other"));
    expect(await store.get("0".repeat(64))).toBeNull();
    await expect(store.get("../secrets.json")).rejects.toThrow("hex SHA-256");
    await expect(store.withFile("0".repeat(64), async () => 1)).rejects.toThrow("missing");
  });
});
