// The scan queue (both databases): a release left queued is scanned after a restart, a dead replica's claim is
// taken over once it expires, two replicas never scan one release twice, a scan that could not run is `error`
// (never published), and a planted AWS key fails the release as `secret` without its text reaching any response,
// audit row, event or log line. Releases are judged by the real sandboxed scanner.
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { REGISTRY_BASE } from "@mogplex/contract";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../logger.js";
import { createSandboxProvider } from "../sandboxes/provider/index.js";
import type { Services } from "../services.js";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";
import { wire } from "../wiring.js";
import { createSandboxScanner, type ReleaseScanner } from "./scan/index.js";
import { makePackage, plantedAwsKey, upload } from "./test-support/packages.js";

const R = REGISTRY_BASE;
type Json = Record<string, unknown>;

let h: Harness;
let clock: FakeClock;
let sell: string;
let logs = "";
const extra: Services[] = [];

beforeAll(async () => {
  clock = new FakeClock();
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => {
    logs += chunk.toString("utf8");
  });
  h = await createHarness({
    clock,
    logger: createLogger("trace", sink),
    env: { MOGPLEX_RUN_START_LIMITS: "1000/1m" },
  });
  const u = await h.user();
  sell = (await h.pat(u, { scopes: ["read", "sell", "download", "purchase"] })).token;
  expect(
    (await h.json("POST", `${R}/vendors`, { token: sell, body: { slug: "acme", name: "Acme" } })).status,
  ).toBe(201);
}, 60_000);
afterAll(async () => {
  for (const s of extra) await s.close();
  await h?.close();
});

/** A second server process on the same database and data dir (a restart, or another replica). */
async function replica(scanner?: ReleaseScanner): Promise<Services> {
  const pgSchema =
    h.dialect === "postgres"
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(h.s.db.db)).rows[0]?.s
      : undefined;
  const s = await wire({ config: h.s.config, clock, logger: createLogger("silent"), pgSchema });
  if (scanner) s.registry.setScanner(scanner);
  extra.push(s);
  return s;
}

async function queue(name: string, version = "1.0.0", readme?: string): Promise<string> {
  const up = await upload(h, sell, await makePackage({ name, version, readme }));
  expect(up.status, up.text).toBe(202);
  return (up.body.data as Json).releaseId as string;
}

let scanners = 0;
/** The sandboxed scanner; `program` swaps the in-sandbox program (a missing one: the scan can't run). */
function sandboxScanner(program?: string): ReleaseScanner {
  return createSandboxScanner({
    provider: createSandboxProvider(h.s.config.engine),
    rootDir: join(h.dataDir, `test-scans-${++scanners}`),
    privateDirs: [h.dataDir],
    ...(program ? { program } : {}),
  });
}

/** Counts the scans it hands to `real`. */
function counting(real: ReleaseScanner): ReleaseScanner & { scans: number } {
  const counted = {
    scans: 0,
    scan: (path: string, o?: { signal?: AbortSignal }) => {
      counted.scans++;
      return real.scan(path, o);
    },
  };
  return counted;
}

const statusOf = async (id: string) =>
  (await h.s.db.db.selectFrom("registry_releases").selectAll().where("id", "=", id).executeTakeFirstOrThrow())
    .scan_status;

describe("scan queue", () => {
  it("a release left queued is scanned by the next server that starts", async () => {
    const id = await queue("acme/restart");
    expect(await statusOf(id)).toBe("queued");
    const next = await replica();
    next.registry.scans.start();
    await vi.waitFor(async () => expect(await statusOf(id)).toBe("passed"), {
      timeout: 20_000,
      interval: 50,
    });
    await next.registry.scans.stop();
  });

  it("a dead replica's claim is taken over only once it expires", async () => {
    const id = await queue("acme/takeover");
    await h.s.db.db
      .updateTable("registry_releases")
      .set({ scan_status: "scanning", scan_owner: "dead-replica", scan_expires_at: clock.now() + 60_000 })
      .where("id", "=", id)
      .execute();
    expect(await h.s.registry.scans.runOnce()).toBe(0);
    expect(await statusOf(id)).toBe("scanning");
    clock.advance(60_001);
    expect(await h.s.registry.scans.runOnce()).toBe(1);
    expect(await statusOf(id)).toBe("passed");
  });

  it("stopping hands a scan in flight back to the queue", async () => {
    const id = await queue("acme/handback");
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const hanging: ReleaseScanner = {
      scan: (_p, o) =>
        new Promise((_resolve, reject) => {
          started();
          o?.signal?.addEventListener("abort", () => reject(new Error("aborted")));
        }),
    };
    const other = await replica(hanging);
    const pass = other.registry.scans.runOnce();
    await running;
    expect(await statusOf(id)).toBe("scanning");
    await other.registry.scans.stop();
    expect(await pass).toBe(0);
    const row = await h.s.db.db
      .selectFrom("registry_releases")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ scan_status: "queued", scan_owner: null });
    expect(await h.s.registry.scans.runOnce()).toBe(1);
    expect(await statusOf(id)).toBe("passed");
  });

  it("two replicas scanning at once scan each release exactly once", async () => {
    const ids = [await queue("acme/multi-a"), await queue("acme/multi-b"), await queue("acme/multi-c")];
    // One scanner behind both (sandbox names are unique per process and scanner, as with two real processes).
    const real = sandboxScanner();
    const a = counting(real);
    const b = counting(real);
    h.s.registry.setScanner(a);
    const other = await replica(b);
    const [x, y] = await Promise.all([h.s.registry.scans.runOnce(), other.registry.scans.runOnce()]);
    expect(x + y).toBe(3);
    expect(a.scans + b.scans).toBe(3);
    for (const id of ids) expect(await statusOf(id)).toBe("passed");
  });

  it("a scan that could not run is error, with no reason, and never published", async () => {
    const broken = counting(sandboxScanner(join(h.dataDir, "no-such-program.js")));
    h.s.registry.setScanner(broken);
    const id = await queue("acme/broken");
    await h.s.registry.scans.runOnce();
    expect(broken.scans).toBe(1);
    h.s.registry.setScanner(sandboxScanner());
    const rel = await h.json<Json>("GET", `${R}/releases/${id}`, { token: sell });
    expect(rel.body.data).toMatchObject({
      scanStatus: "error",
      reason: null,
      sha256: null,
      publishedAt: null,
    });
    const detail = await h.json<Json>("GET", `${R}/packages/acme/broken`, { token: sell });
    expect((detail.body.data as Json).latestVersion).toBeNull();
  });
});

describe("a planted AWS key", () => {
  it("fails the release as secret, and the key is in no response, audit row, event or log line", async () => {
    const key = plantedAwsKey();
    const readme = `# Setup\n\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\n`;
    const bodies: string[] = [];
    const up = await upload(h, sell, await makePackage({ name: "acme/leaky", readme }));
    bodies.push(up.text);
    expect(up.status).toBe(202);
    const id = (up.body.data as Json).releaseId as string;
    await h.s.registry.scans.runOnce();
    const rel = await h.request("GET", `${R}/releases/${id}`, { token: sell });
    const relText = await rel.text();
    bodies.push(relText);
    expect(JSON.parse(relText).data).toMatchObject({ scanStatus: "failed", reason: "secret", sha256: null });
    for (const path of [`${R}/packages/acme/leaky`, `${R}/packages?q=leaky`, `${R}/entitlements`]) {
      bodies.push(await (await h.request("GET", path, { token: sell })).text());
    }
    const dl = await h.request("POST", `${R}/downloads`, { token: sell, body: { name: "acme/leaky" } });
    bodies.push(await dl.text());

    const audit = await h.s.db.db.selectFrom("audit_events").selectAll().execute();
    const events = await h.s.db.db.selectFrom("run_events").selectAll().execute();
    const releases = await h.s.db.db.selectFrom("registry_releases").selectAll().execute();
    const scanned = audit.find((a) => a.action === "registry.release.scanned" && a.target_id === id);
    expect(JSON.parse(scanned?.payload as string)).toMatchObject({ status: "failed", reason: "secret" });
    const everything = [
      ...bodies,
      JSON.stringify(audit),
      JSON.stringify(events),
      JSON.stringify(releases),
      logs,
    ];
    expect(logs.length).toBeGreaterThan(0);
    for (const text of everything) {
      expect(text).not.toContain(key.id);
      expect(text).not.toContain(key.secret);
    }
  });
});
