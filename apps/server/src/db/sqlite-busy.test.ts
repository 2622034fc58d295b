// Embedded SQLite: a write that is still locked out after busy_timeout (another process — `mogplex admin`, a
// backup — holds the write lock) answers 503 + Retry-After and the process carries on; the next write succeeds.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";
import { openSqliteFile } from "./connect.js";

const BASE = "http://127.0.0.1:4100";
let dataDir: string;
let s: Services;
let app: ReturnType<typeof createApp>;
let token: string;
let repoId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "mogplex-busy-"));
  const config = loadConfig({
    MOGPLEX_DATA_DIR: dataDir,
    MOGPLEX_PUBLIC_URL: BASE,
    MOGPLEX_LOG_LEVEL: "silent",
    MOGPLEX_WORKER_CONCURRENCY: "0",
  });
  s = await wire({ config, logger: createLogger("silent") });
  app = createApp(s);
  const user = await s.identity.createUser(
    { email: "busy@example.test", name: "Busy", password: `pw-${randomBytes(12).toString("hex")}` },
    { slug: "busy", role: "owner" },
    { actorType: "system", actorId: null },
  );
  token = (
    await s.tokens.create(user.userId, user.teamId, { name: "t" }, { actorType: "system", actorId: null })
  ).token;
  repoId = (
    await s.repos.add(
      { teamId: user.teamId, fullName: "acme/busy", sourceUrl: "https://example.invalid/busy.git" },
      { actorType: "system", actorId: null },
    )
  ).id;
});

afterAll(async () => {
  await s?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const startRun = (key: string) =>
  Promise.resolve(
    app.request(`${BASE}/api/v1/mogplex/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify({ repoId, prompt: "hello" }),
    }),
  );

describe("SQLite write lock held elsewhere past busy_timeout", () => {
  it("answers 503 + Retry-After in the envelope, then succeeds once the lock is released", async () => {
    const other = openSqliteFile(join(dataDir, "mogplex.db"));
    try {
      other.exec("begin immediate");
      const res = await startRun("busy-1");
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({
        ok: false,
        error: { code: "SERVICE_UNAVAILABLE", message: expect.stringMatching(/database/i) },
      });
      // Reads are not blocked by a writer (WAL): the server still answers them meanwhile.
      const list = await app.request(`${BASE}/api/v1/mogplex/repos`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(list.status).toBe(200);
    } finally {
      other.exec("rollback");
      other.close();
    }
    expect((await startRun("busy-2")).status).toBe(202);
    expect((await app.request(`${BASE}/readyz`)).status).toBe(200);
  }, 20_000);
});
