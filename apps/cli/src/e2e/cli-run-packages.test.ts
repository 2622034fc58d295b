// End to end against a real `mogplex serve`: `mogplex run --package` sends the run's registry packages; a package
// published on that server starts the run, one that is not is the server's 400 naming it (exit 1), and a name
// without an exact version is a usage error (exit 2) before any request; `mogplex runs get` shows the packages.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REGISTRY_BASE } from "@mogplex/contract";
import { pack } from "@mogplex/pkgfmt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientEnv, type Fixture, startFixture } from "./cli-support.js";
import { cleanup, ensureBuilt, runCli } from "./support.js";

let f: Fixture;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env });

async function publishGuide(seller: string): Promise<void> {
  const call = (path: string, init: RequestInit) =>
    fetch(`${f.url}${REGISTRY_BASE}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${seller}`, ...(init.headers as Record<string, string>) },
    });
  const vendor = await call("/vendors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ slug: "acme", name: "Acme" }),
  });
  expect(vendor.status).toBe(201);
  const dir = mkdtempSync(join(tmpdir(), "mogplex-cli-pkg-"));
  writeFileSync(
    join(dir, "mog.yaml"),
    "name: acme/guide\nversion: 1.0.0\ntype: skill\ndescription: A guide\ntargets: [claude-code]\n",
  );
  writeFileSync(join(dir, "README.md"), "# Guide\n");
  const { archive } = await pack(dir);
  rmSync(dir, { recursive: true, force: true });
  const up = await call("/releases", {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: archive,
  });
  expect(up.status).toBe(202);
  const { releaseId } = ((await up.json()) as { data: { releaseId: string } }).data;
  // The server's scan loop judges it in its sandbox.
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await call(`/releases/${releaseId}`, { method: "GET" });
    const status = ((await r.json()) as { data: { scanStatus: string } }).data.scanStatus;
    if (status === "passed") return;
    if (!["queued", "scanning"].includes(status) || Date.now() > until) throw new Error(`scan: ${status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  env = clientEnv(f.url, { MOGPLEX_API_KEY: f.token });
  const seller = await f.admin(
    "create-token",
    "--email",
    f.email,
    "--name",
    "seller",
    "--scopes",
    "read,sell",
  );
  await publishGuide(seller);
}, 120_000);
afterAll(async () => {
  await f?.stop();
  cleanup();
});

describe("mogplex run --package", { timeout: 120_000 }, () => {
  it("starts a run with a published package; refuses one the server does not have, naming it", async () => {
    const ok = await cli("run", "--repo", f.repoId, "follow the guide", "--package", "acme/guide@1.0.0");
    expect(ok.code, ok.stderr).toBe(0);
    const id = /^started run (\S+) \(pending\)$/m.exec(ok.stdout)?.[1];
    expect(id, ok.stdout).toBeDefined();
    // `runs get` shows them, in its lines and in --json.
    const got = await cli("runs", "get", id as string);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^packages acme\/guide@1\.0\.0$/m);
    const json = await cli("runs", "get", id as string, "--json");
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, packages: ["acme/guide@1.0.0"] });

    const refused = await cli("run", "--repo", f.repoId, "x", "--package", "acme/guide@2.0.0");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "packages: acme/guide@2.0.0: no published release of that package and version on this server",
    );

    const malformed = await cli("run", "--repo", f.repoId, "x", "--package", "acme/guide");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("--package acme/guide: name a package as vendor/slug@version");
  });
});
