// `mog` end to end against a real `mogplex serve` (SQLite): vendor create → publish (sandboxed scan) → search
// → install (entitlement, signed URL, signature, hashes) → lockfile → update; a blob altered on disk after
// publish makes `mog install` abort with the integrity error and write nothing; a planted key fails the scan.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plantedAwsKey } from "../../../server/src/registry/test-support/packages.js";
import { type Fixture, signIn, startFixture } from "../e2e/cli-support.js";
import { cleanup, ensureBuilt, ROOT, tempDir } from "../e2e/support.js";
import { listTree } from "./test-support/mog.js";

const MOG = join(ROOT, "apps/cli/dist/bin/mog.js");
let f: Fixture;
let env: Record<string, string>;
let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the envelope's data is walked freely by the assertions
  envelope: any;
}

function mog(...args: string[]): Run {
  let code = 0;
  let stdout = "";
  let stderr = "";
  try {
    stdout = execFileSync(process.execPath, [MOG, ...args], {
      env,
      cwd: work,
      encoding: "utf8",
      stdio: "pipe",
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    code = e.status;
    stdout = e.stdout;
    stderr = e.stderr;
  }
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let envelope: unknown;
  try {
    envelope = JSON.parse(last);
  } catch {
    envelope = undefined;
  }
  return { code, stdout, stderr, envelope };
}

function findBlob(dir: string, sha: string): string {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findBlob(p, sha);
      if (found) return found;
    } else if (entry.name.includes(sha)) return p;
  }
  return "";
}

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, ".claude"), { recursive: true });
  return dir;
}

beforeAll(async () => {
  ensureBuilt();
  f = await startFixture();
  work = tempDir("mog-e2e-");
  const token = await f.admin(
    "create-token",
    "--email",
    f.email,
    "--name",
    "mog",
    "--scopes",
    "read,download,purchase,sell",
  );
  env = {
    PATH: process.env.PATH ?? "",
    HOME: work,
    XDG_CONFIG_HOME: join(work, "config"),
    MOG_API_URL: f.url,
    MOG_TOKEN: token,
  };
}, 120_000);
afterAll(async () => {
  await f?.stop();
  cleanup();
});

describe("mog against a real server", { timeout: 240_000 }, () => {
  let sha256 = "";

  it("vendor create → publish → passed → search → install → lockfile", () => {
    const vendor = mog("vendor", "create", "acme", "Acme Inc", "--json");
    expect(vendor.code, vendor.stdout + vendor.stderr).toBe(0);
    expect(vendor.envelope.data).toMatchObject({ slug: "acme", name: "Acme Inc" });

    expect(mog("init", "pkg", "--name", "acme/code-review", "--description", "Reviews code").code).toBe(0);
    const published = mog("publish", "pkg", "--json");
    expect(published.code, published.stdout + published.stderr).toBe(0);
    expect(published.envelope).toMatchObject({
      ok: true,
      command: "publish",
      data: { name: "acme/code-review", version: "0.1.0", scanStatus: "passed" },
    });
    expect(typeof published.envelope.data.releaseId).toBe("string");

    const found = mog("search", "code", "--json");
    expect(found.envelope.data.packages.map((p: { name: string }) => p.name)).toContain("acme/code-review");

    const dir = project("one");
    const installed = mog("install", "acme/code-review", "--dir", dir, "--json");
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    expect(installed.envelope.data).toMatchObject({
      installPath: ".claude/skills/code-review",
      target: "claude-code",
    });
    const lock = JSON.parse(readFileSync(join(dir, "mog.lock.json"), "utf8"));
    const entry = lock.packages["acme/code-review"];
    expect(entry).toMatchObject({ version: "0.1.0", type: "skill", source: "registry", registry: f.url });
    expect(entry.entitlementId).toEqual(expect.any(String));
    expect(Object.keys(entry.files).sort()).toEqual(["README.md", "SKILL.md", "mog.yaml"]);
    expect(readFileSync(join(dir, ".claude/skills/code-review/SKILL.md"), "utf8")).toContain("code-review");
    sha256 = entry.sha256;
    // The key was pinned on first use, 0600.
    expect(statSync(join(work, "config/mog/registry-keys.json")).mode & 0o777).toBe(0o600);
  });

  it("mog update moves an install to the newly published version", () => {
    const manifest = join(work, "pkg/mog.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace("version: 0.1.0", "version: 0.2.0"));
    expect(mog("publish", "pkg", "--json").envelope.data).toMatchObject({
      version: "0.2.0",
      scanStatus: "passed",
    });
    const dir = join(work, "one");
    const updated = mog("update", "--dir", dir, "--json");
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    expect(updated.envelope.data.packages).toEqual([
      { name: "acme/code-review", from: "0.1.0", to: "0.2.0", status: "updated" },
    ]);
    expect(
      JSON.parse(readFileSync(join(dir, "mog.lock.json"), "utf8")).packages["acme/code-review"].version,
    ).toBe("0.2.0");
  });

  it("a blob altered on disk after publish: install aborts with the integrity error and writes nothing", () => {
    const blob = findBlob(join(f.dataDir, "blobs"), sha256);
    expect(blob).not.toBe("");
    const bytes = readFileSync(blob);
    // Same length, one byte flipped inside the archive (the server serves what it stored).
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    const dir = project("two");
    const before = listTree(dir);
    const r = mog("install", "acme/code-review@0.1.0", "--dir", dir, "--json");
    expect(r.code).toBe(1);
    expect(r.envelope).toMatchObject({
      ok: false,
      command: "install",
      error: { code: "INTEGRITY_MISMATCH" },
    });
    expect(r.envelope.error.message).toContain("integrity");
    expect(listTree(dir)).toEqual(before);
  });

  it("a planted AWS key: not published (failed, category secret), exit 1, and the key is in no output", () => {
    const dir = join(work, "leaky");
    expect(mog("init", dir, "--name", "acme/leaky").code).toBe(0);
    const key = plantedAwsKey();
    writeFileSync(
      join(dir, "README.md"),
      `# Leaky\n\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\n`,
    );
    const r = mog("publish", dir, "--json");
    expect(r.code).toBe(1);
    expect(r.envelope.error).toMatchObject({
      code: "SCAN_FAILED",
      details: { name: "acme/leaky", scanStatus: "failed", reason: "secret" },
    });
    for (const part of [key.id, key.secret]) expect(r.stdout + r.stderr).not.toContain(part);
  });

  it("auth --status names the server and the token's scopes; a bad token is refused", () => {
    const status = mog("auth", "--status", "--json");
    expect(status.envelope.data).toMatchObject({ signedIn: true, server: f.url, via: "MOG_TOKEN" });
    expect(status.envelope.data.scopes).toEqual(
      expect.arrayContaining(["read", "download", "purchase", "sell"]),
    );
    const saved = env.MOG_TOKEN;
    env.MOG_TOKEN = `mog_${"Z".repeat(32)}`;
    const bad = mog("search", "--json");
    env.MOG_TOKEN = saved as string;
    expect(bad.code).toBe(1);
    expect(bad.envelope.error.status).toBe(401);
  });

  it("mog auth: device sign-in approved in the browser → a token with the registry scopes, 0600; --logout", async () => {
    const { MOG_TOKEN: _, ...noToken } = env;
    const child = spawn(process.execPath, [MOG, "auth", "--json"], {
      env: noToken,
      cwd: work,
      stdio: "pipe",
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let code: string | undefined;
    for (let i = 0; i < 400 && !code; i++) {
      code = /enter the code: (\S+)/.exec(err)?.[1];
      if (!code) await new Promise((r) => setTimeout(r, 25));
    }
    expect(code, err).toBeDefined();
    const cookie = await signIn(f.url, f.email);
    const approved = await fetch(`${f.url}/api/cli-auth/device/approve`, {
      method: "POST",
      headers: { cookie, origin: f.url, "content-type": "application/json" },
      body: JSON.stringify({ userCode: code }),
    });
    expect(approved.status).toBe(200);
    expect(await exited).toBe(0);
    const envelope = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
    expect(envelope).toMatchObject({
      ok: true,
      command: "auth",
      data: { signedIn: true, server: f.url, method: "device" },
    });
    // The team has a vendor (created above), so the token can publish too.
    expect(envelope.data.scopes).toEqual(["read", "download", "purchase", "sell"]);
    const stored = join(work, "config/mog/auth.json");
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(out + err).not.toContain(JSON.parse(readFileSync(stored, "utf8")).mogplex.token);

    const saved = env;
    env = noToken;
    try {
      expect(mog("auth", "--status", "--json").envelope.data).toMatchObject({ signedIn: true, via: "login" });
      expect(mog("search", "code", "--json").code).toBe(0);
      expect(mog("auth", "--logout", "--json").envelope.data).toMatchObject({ signedOut: true });
      expect(mog("search", "code", "--json").envelope.error.code).toBe("UNAUTHENTICATED");
    } finally {
      env = saved;
    }
  });
});
