// Registry test fixtures: a real package zip (pkgfmt's pack), uploads through the app, and a planted AWS key.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REGISTRY_BASE } from "@mogplex/contract";
import { pack } from "@mogplex/pkgfmt";
import { BASE, type Harness } from "../../test-support/harness.js";

export async function makePackage(o: {
  name: string;
  version?: string;
  readme?: string;
  description?: string;
}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "mogplex-pkg-"));
  try {
    writeFileSync(
      join(dir, "mog.yaml"),
      [
        `name: ${o.name}`,
        `version: ${o.version ?? "1.0.0"}`,
        "type: skill",
        `description: ${o.description ?? "Reviews code"}`,
        "targets: [claude-code, cursor]",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "README.md"), o.readme ?? "# A skill\n\nIt reviews code.\n");
    writeFileSync(join(dir, "SKILL.md"), "Review the diff carefully.\n");
    return (await pack(dir)).archive;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function upload(
  h: Harness,
  token: string,
  zip: Uint8Array,
  query = "",
  type = "application/zip",
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await h.app.request(`${BASE}${REGISTRY_BASE}/releases${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": type },
    body: zip,
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

/** An AWS access key id and its secret, random each run (so nothing else in the test run contains them). */
export function plantedAwsKey(): { id: string; secret: string } {
  const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const id = `AKIA${Array.from(randomBytes(16), (b) => alnum[b % 32]).join("")}`;
  const secret = randomBytes(30).toString("base64").replace(/[+/]/g, "x");
  return { id, secret };
}
