// Test harness: the real services over a temp SQLite file, or (MOGPLEX_TEST_DB=postgres) a fresh PostgreSQL
// schema plus Redis, exactly as main.ts wires them. Requests go through app.request, no mocks of our own code.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Role, Scope } from "@mogplex/contract";
import { Redis } from "ioredis";
import pg from "pg";
import { createApp } from "../app.js";
import type { Clock } from "../clock.js";
import { loadConfig } from "../config.js";
import { type RateLimitStore, RedisRateLimitStore } from "../limits/index.js";
import { createLogger, type Logger } from "../logger.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";

export const BASE = "http://127.0.0.1:4100";
const NODE_MODULES = fileURLToPath(new URL("../../../../node_modules", import.meta.url));
export const ORIGIN = BASE;
export const testDialect = (): "sqlite" | "postgres" =>
  process.env.MOGPLEX_TEST_DB === "postgres" ? "postgres" : "sqlite";
const PG_URL = () => process.env.MOGPLEX_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = () => process.env.MOGPLEX_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A clock tests can move; starts at the real time so dates look normal. */
export class FakeClock implements Clock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: Clock;
  limiter?: RateLimitStore;
  /** Where the services log (default: nowhere). */
  logger?: Logger;
}

export interface TestUser {
  userId: string;
  teamId: string;
  email: string;
  password: string;
  team: string;
}

export interface RequestOptions {
  token?: string;
  cookie?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  origin?: string | null;
}

export interface Harness {
  s: Services;
  app: ReturnType<typeof createApp>;
  dialect: "sqlite" | "postgres";
  dataDir: string;
  request(method: string, path: string, o?: RequestOptions): Promise<Response>;
  json<T = Record<string, unknown>>(
    method: string,
    path: string,
    o?: RequestOptions,
  ): Promise<{ status: number; body: T; res: Response }>;
  user(opts?: { team?: string; role?: Role; email?: string }): Promise<TestUser>;
  signIn(u: { email: string; password: string }): Promise<string>;
  pat(
    u: TestUser,
    opts?: { scopes?: Scope[]; expiresInDays?: number; name?: string },
  ): Promise<{ id: string; token: string }>;
  repo(teamId: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;
export const uniq = (p = "x") =>
  `${p}${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(3).toString("hex")}`;

export async function createHarness(o: HarnessOptions = {}): Promise<Harness> {
  const dialect = testDialect();
  const dataDir = mkdtempSync(join(tmpdir(), "mogplex-test-"));
  const env: Record<string, string> = {
    MOGPLEX_DATA_DIR: dataDir,
    MOGPLEX_PUBLIC_URL: BASE,
    MOGPLEX_LOG_LEVEL: "silent",
    MOGPLEX_IP_RATE_LIMIT: "100000/60s",
    MOGPLEX_SIGNIN_RATE_LIMIT: "100000/60s",
    MOGPLEX_TOKEN_CREATE_RATE_LIMIT: "100000/60s",
    MOGPLEX_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_SIGNING_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_AUTH_SECRET: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_SIGNING_KEY: randomBytes(32).toString("base64url"),
    MOGPLEX_REGISTRY_URL_SECRET: randomBytes(32).toString("base64url"),
    // stdio MCP servers run sandboxed; the test servers (server-everything) are installed here.
    MOGPLEX_MCP_STDIO_MOUNTS: NODE_MODULES,
    ...o.env,
  };
  let schema: string | undefined;
  let redis: Redis | undefined;
  let limiter = o.limiter;
  if (dialect === "postgres") {
    schema = uniq("t_");
    const admin = new pg.Client({ connectionString: PG_URL() });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    env.DATABASE_URL = PG_URL();
    env.REDIS_URL = REDIS_URL();
    if (!limiter) {
      redis = new Redis(REDIS_URL(), { maxRetriesPerRequest: 1 });
      limiter = new RedisRateLimitStore({ redis, prefix: `${uniq("test:")}:` });
    }
  }
  const config = loadConfig(env);
  const s = await wire({
    config,
    clock: o.clock,
    logger: o.logger ?? createLogger("silent"),
    limiter,
    pgSchema: schema,
  });
  const app = createApp(s);

  const request = (method: string, path: string, r: RequestOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...r.headers };
    if (r.token !== undefined) headers.authorization = `Bearer ${r.token}`;
    if (r.cookie) headers.cookie = r.cookie;
    if (r.origin !== null && method !== "GET" && headers.origin === undefined)
      headers.origin = r.origin ?? ORIGIN;
    let body: string | undefined = r.rawBody;
    if (r.body !== undefined) {
      body = JSON.stringify(r.body);
      headers["content-type"] ??= "application/json";
    }
    return Promise.resolve(app.request(`${BASE}${path}`, { method, headers, body }));
  };

  const h: Harness = {
    s,
    app,
    dialect,
    dataDir,
    request,
    async json(method, path, r) {
      const res = await request(method, path, r);
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as never, res };
    },
    async user(u = {}) {
      const email = u.email ?? `${uniq("u")}@example.test`;
      const password = `pw-${randomBytes(12).toString("hex")}`;
      const team = u.team ?? uniq("team-").toLowerCase().slice(0, 30);
      const r = await s.identity.createUser(
        { email, name: "Test User", password },
        { slug: team, role: u.role ?? "owner" },
        {
          actorType: "system",
          actorId: null,
        },
      );
      return { ...r, email, password, team };
    },
    async signIn(u) {
      const res = await request("POST", "/api/auth/sign-in/email", {
        body: { email: u.email, password: u.password },
      });
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
      return res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
    },
    async pat(u, p = {}) {
      const created = await s.tokens.create(
        u.userId,
        u.teamId,
        { name: p.name ?? "test", scopes: p.scopes, expiresInDays: p.expiresInDays },
        { actorType: "user", actorId: u.userId },
      );
      return { id: created.id, token: created.token };
    },
    async repo(teamId, name) {
      const r = await s.repos.add(
        { teamId, fullName: name ?? `acme/${uniq("r")}`, sourceUrl: "https://example.invalid/r.git" },
        { actorType: "system", actorId: null },
      );
      return r.id;
    },
    async close() {
      await s.close();
      redis?.disconnect();
      if (schema) {
        const admin = new pg.Client({ connectionString: PG_URL() });
        await admin.connect();
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
