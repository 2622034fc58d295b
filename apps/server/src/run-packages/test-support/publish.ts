// Publishing real packages for run-package tests: a vendor team with a `sell` token, packages packed by pkgfmt,
// uploaded through the app and judged by the real sandboxed scanner.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REGISTRY_BASE } from "@mogplex/contract";
import { pack } from "@mogplex/pkgfmt";
import { expect } from "vitest";
import { upload } from "../../registry/test-support/packages.js";
import type { Harness, TestUser } from "../../test-support/harness.js";

export interface Vendor {
  user: TestUser;
  sell: string;
  slug: string;
}

export async function vendor(h: Harness, slug: string): Promise<Vendor> {
  const user = await h.user();
  const sell = (await h.pat(user, { scopes: ["read", "download", "purchase", "sell"] })).token;
  const v = await h.json("POST", `${REGISTRY_BASE}/vendors`, { token: sell, body: { slug, name: slug } });
  expect(v.status).toBe(201);
  return { user, sell, slug };
}

/** A zip of `mog.yaml` (from `manifest` lines) and `files` (README.md added when missing). */
export async function packFiles(manifest: string[], files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "mogplex-runpkg-"));
  try {
    writeFileSync(join(dir, "mog.yaml"), `${manifest.join("\n")}\n`);
    const all = { "README.md": "# A package\n", ...files };
    for (const [path, text] of Object.entries(all)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return (await pack(dir)).archive;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A skill package holding SKILL.md with `text`. */
export function skill(name: string, version: string, text: string): Promise<Buffer> {
  return packFiles(
    [`name: ${name}`, `version: ${version}`, "type: skill", "description: A guide", "targets: [claude-code]"],
    { "SKILL.md": text },
  );
}

/** Uploads `zip` as the vendor and, unless `scan` is false, runs the scan queue once; returns the release id. */
export async function publish(
  h: Harness,
  v: Vendor,
  zip: Buffer,
  o: { query?: string; scan?: boolean; expectStatus?: string } = {},
): Promise<string> {
  const up = await upload(h, v.sell, zip, o.query ?? "");
  expect(up.status, up.text).toBe(202);
  const id = (up.body.data as { releaseId: string }).releaseId;
  if (o.scan === false) return id;
  await h.s.registry.scans.runOnce();
  const row = await h.s.db.db
    .selectFrom("registry_releases")
    .select("scan_status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  expect(row.scan_status).toBe(o.expectStatus ?? "passed");
  return id;
}
