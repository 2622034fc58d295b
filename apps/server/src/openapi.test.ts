// The served OpenAPI document: 3.1 shape, one operation per route, and an error vocabulary that matches ERROR_STATUS.
import {
  buildOpenApi,
  ERROR_STATUS,
  type ErrorCode,
  PUBLIC_BASE,
  PUBLIC_ROUTES,
  REGISTRY_ROUTES,
  type RouteSpec,
  registryPath,
  SESSION_ROUTES,
  type SessionRouteSpec,
  WALLET_ROUTES,
} from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./test-support/harness.js";

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Json;
}
interface Response_ {
  description?: string;
  headers?: Record<string, Json>;
  content?: Record<string, { schema?: Json }>;
  "x-error-codes"?: string[];
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, Response_>;
  security?: Array<Record<string, string[]>>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: Json }> };
  "x-required-scope"?: string;
  "x-mogplex-auth"?: string;
  "x-mogplex-team"?: string;
  "x-mogplex-min-role"?: string;
  "x-mogplex-csrf"?: string;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const ROUTES = Object.entries(PUBLIC_ROUTES) as Array<[string, RouteSpec]>;
const SESSION = Object.entries(SESSION_ROUTES) as Array<[string, SessionRouteSpec]>;
// The wallet's public routes are registry routes (same base, same checks).
const REGISTRY = Object.entries({ ...REGISTRY_ROUTES, ...WALLET_ROUTES }) as Array<[string, RouteSpec]>;

let h: Harness;
let doc: Json;
let res: Response;

beforeAll(async () => {
  h = await createHarness();
  res = await h.request("GET", "/api/v1/openapi.json");
  doc = JSON.parse(await res.text()) as Json;
});
afterAll(async () => {
  await h?.close();
});

const paths = () => doc.paths as Record<string, Record<string, Operation>>;
const operations = (): Array<[string, string, Operation]> =>
  Object.entries(paths()).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]) => [p, m, op] as [string, string, Operation]),
  );
/** Every (status, code) pair the document lists under x-error-codes. */
const documentedCodes = () =>
  operations().flatMap(([p, m, op]) =>
    Object.entries(op.responses).flatMap(([status, r]) =>
      (r["x-error-codes"] ?? []).map((code) => ({
        where: `${m} ${p} ${status}`,
        status: Number(status),
        code,
      })),
    ),
  );

describe("GET /api/v1/openapi.json", () => {
  it("is served as JSON without authentication, with a request id", () => {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("is the document buildOpenApi() builds", () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });

  it("has the OpenAPI 3.1 top-level shape", () => {
    expect(doc.openapi).toBe("3.1.0");
    const info = doc.info as Json;
    expect(typeof info.title).toBe("string");
    expect(typeof info.version).toBe("string");
    expect(Object.keys(paths()).length).toBeGreaterThan(0);
    for (const p of Object.keys(paths())) expect(p.startsWith("/")).toBe(true);
    const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
    expect(schemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const ids = operations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every $ref points at a component that exists", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      if (!ref.startsWith("#/")) continue; // zod's local $defs refs are relative to their schema
      let node: unknown = doc;
      for (const part of ref.slice(2).split("/")) node = (node as Json | undefined)?.[part];
      expect(node, ref).toBeDefined();
    }
  });

  it("operations are well formed: responses, parameters and security", () => {
    for (const [p, m, op] of operations()) {
      const where = `${m} ${p}`;
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(typeof r.description, `${where} ${status}`).toBe("string");
      }
      for (const param of op.parameters ?? []) {
        expect(["path", "query", "header", "cookie"], where).toContain(param.in);
        expect(param.schema, `${where} ${param.name}`).toBeDefined();
        if (param.in === "path") expect(param.required, `${where} ${param.name}`).toBe(true);
      }
      const declared = (op.parameters ?? []).filter((x) => x.in === "path").map((x) => x.name);
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
      expect(declared.sort(), where).toEqual(inPath.sort());
    }
  });
});

describe("the route table in the document", () => {
  it.each(ROUTES)("%s is present with its method, path params, scope and responses", (name, spec) => {
    const op = paths()[PUBLIC_BASE + spec.path]?.[spec.method];
    expect(op, name).toBeDefined();
    if (!op) return;
    expect(op.operationId).toBe(name);
    expect(op["x-required-scope"]).toBe(spec.scope);
    if (spec.auth === "pat") expect(op.security).toEqual([{ bearer: [] }]);
    const pathParams = (op.parameters ?? []).filter((x) => x.in === "path").map((x) => x.name);
    expect(pathParams).toEqual([...spec.path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]));
    const success = op.responses[String(spec.successStatus ?? 200)];
    expect(success?.content?.[spec.stream ? "text/event-stream" : "application/json"]?.schema).toBeDefined();
    if (spec.body) {
      expect(op.requestBody?.required).toBe(true);
      expect(op.requestBody?.content["application/json"]?.schema).toBeDefined();
    } else {
      expect(op.requestBody).toBeUndefined();
    }
    const idem = (op.parameters ?? []).find((x) => x.in === "header" && x.name === "Idempotency-Key");
    if (spec.idempotent) expect(idem).toMatchObject({ required: true, schema: { maxLength: 200 } });
    else expect(idem).toBeUndefined();
    for (const code of spec.errors) {
      expect(op.responses[String(ERROR_STATUS[code])]?.["x-error-codes"], `${name} ${code}`).toContain(code);
    }
  });

  it("documents every query filter the list routes accept, with enums where the server checks one", () => {
    const query = (name: keyof typeof PUBLIC_ROUTES) => {
      const spec = PUBLIC_ROUTES[name];
      const op = paths()[PUBLIC_BASE + spec.path]?.[spec.method];
      return Object.fromEntries(
        (op?.parameters ?? []).filter((x) => x.in === "query").map((x) => [x.name, x as unknown as Json]),
      );
    };
    expect(Object.keys(query("listRepos")).sort()).toEqual(["cursor", "limit", "q"]);
    expect(Object.keys(query("listRuns")).sort()).toEqual(["cursor", "limit", "repoId", "status"]);
    expect(Object.keys(query("listRunEvents")).sort()).toEqual(["after", "limit"]);
    expect(Object.keys(query("listSandboxes")).sort()).toEqual(["cursor", "limit", "repoId", "status"]);
    expect(Object.keys(query("listMcpServers")).sort()).toEqual(["cursor", "limit", "repoId"]);
    expect(query("getRun")).toEqual({});
    expect(query("listRuns").limit).toMatchObject({ schema: { type: "integer", minimum: 1, maximum: 200 } });
    expect(query("listRuns").status).toMatchObject({
      schema: { enum: expect.arrayContaining(["pending", "running", "success", "failed", "cancelled"]) },
    });
  });

  it("the server rejects a filter value the document rules out", async () => {
    const u = await h.user();
    const { token } = await h.pat(u);
    const bad = await h.json("GET", `${PUBLIC_BASE}/runs?status=bogus`, { token });
    expect(bad.status).toBe(400);
    const fine = await h.json("GET", `${PUBLIC_BASE}/runs?status=running&limit=5`, { token });
    expect(fine.status).toBe(200);
  });

  it("every public-API operation requires a scope, and every GET requires read", () => {
    for (const [name, spec] of ROUTES) {
      if (spec.auth !== "pat") continue;
      expect(spec.scope, name).toBeDefined();
      if (spec.method === "get") expect(spec.scope, name).toBe("read");
    }
  });

  it("lists no operation that is not in PUBLIC_ROUTES or SESSION_ROUTES", () => {
    const known = new Set([
      ...ROUTES.map(([, s]) => `${s.method} ${PUBLIC_BASE}${s.path}`),
      ...SESSION.map(([, s]) => `${s.method} ${s.path}`),
      ...REGISTRY.map(([, s]) => `${s.method} ${registryPath(s)}`),
    ]);
    for (const [p, m] of operations()) expect(known, `${m} ${p}`).toContain(`${m} ${p}`);
    expect(operations().length).toBe(ROUTES.length + SESSION.length + REGISTRY.length);
  });
});

describe("the registry routes in the document", () => {
  it.each(REGISTRY)("%s is present with its scope, security, bodies and responses", (name, spec) => {
    const op = paths()[registryPath(spec)]?.[spec.method];
    expect(op, name).toBeDefined();
    if (!op) return;
    expect(op.operationId).toBe(name);
    expect(op["x-required-scope"]).toBe(spec.scope);
    expect(op.security).toEqual(spec.auth === "pat" ? [{ bearer: [] }] : []);
    if (spec.auth === "pat" && spec.method === "get") expect(spec.scope).toBe("read");
    const success = op.responses[String(spec.successStatus ?? 200)]?.content;
    if (spec.binary) expect(success?.[spec.binary]?.schema).toEqual({ type: "string", format: "binary" });
    else expect(success?.["application/json"]?.schema).toBeDefined();
    if (spec.rawBody)
      expect(op.requestBody?.content[spec.rawBody]?.schema).toEqual({ type: "string", format: "binary" });
    else expect(Boolean(op.requestBody)).toBe(Boolean(spec.body));
    expect((op as unknown as Json)["x-mogplex-rate-tier"]).toBe(spec.limit);
    for (const code of spec.errors) {
      expect(op.responses[String(ERROR_STATUS[code])]?.["x-error-codes"], `${name} ${code}`).toContain(code);
    }
  });

  it("the upload is in the upload tier; acquiring documents 402; the key is served at the well-known path", () => {
    expect(REGISTRY_ROUTES.uploadRelease.limit).toBe("upload");
    expect(paths()["/api/v1/registry/entitlements"]?.post?.responses["402"]?.["x-error-codes"]).toEqual([
      "PAYMENT_REQUIRED",
    ]);
    expect(paths()["/.well-known/mogplex-registry-key"]?.get?.operationId).toBe("getRegistryKey");
  });
});

describe("the session routes in the document", () => {
  it("declares the session cookie as a security scheme", () => {
    const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
    expect(schemes.session).toMatchObject({ type: "apiKey", in: "cookie", name: "mogplex.session_token" });
  });

  it.each(SESSION)("%s is marked session-only with its team source, role and Origin rule", (name, spec) => {
    const op = paths()[spec.path]?.[spec.method];
    expect(op, name).toBeDefined();
    if (!op) return;
    expect(op.operationId).toBe(name);
    expect(op["x-mogplex-auth"]).toBe(spec.auth);
    expect(op.security).toEqual(spec.auth === "session" ? [{ session: [] }] : []);
    expect(op["x-mogplex-team"]).toBe(spec.team);
    expect(op["x-mogplex-min-role"]).toBe(spec.role);
    expect(op["x-mogplex-csrf"]).toBe(spec.method === "get" ? "none" : "origin");
    const header = (op.parameters ?? []).find((x) => x.in === "header" && x.name === "X-Mogplex-Team");
    expect(Boolean(header)).toBe(spec.team === "header");
    // A raw upload (a zip) is documented as its own content type, like the public upload.
    const raw = (spec as { rawBody?: string }).rawBody;
    expect(Boolean(op.requestBody)).toBe(Boolean(spec.body) || Boolean(raw));
    if (raw) expect(op.requestBody?.content[raw]?.schema).toEqual({ type: "string", format: "binary" });
    for (const code of spec.errors) {
      expect(op.responses[String(ERROR_STATUS[code])]?.["x-error-codes"], `${name} ${code}`).toContain(code);
    }
  });
});

describe("the error vocabulary", () => {
  it("every code in ERROR_STATUS is documented somewhere, under its own status", () => {
    const found = documentedCodes();
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(
        found.some((f) => f.code === code && f.status === status),
        `${code} documented under ${status}`,
      ).toBe(true);
    }
  });

  it("no code appears under a different status, and no unknown code appears", () => {
    for (const f of documentedCodes()) {
      expect(Object.keys(ERROR_STATUS), f.where).toContain(f.code);
      expect(ERROR_STATUS[f.code as ErrorCode], `${f.code} at ${f.where}`).toBe(f.status);
    }
  });

  it("error responses use the ErrorBody envelope schema", () => {
    const errorBody = ((doc.components as Json).schemas as Json).ErrorBody as Json;
    expect(errorBody).toMatchObject({ type: "object", required: expect.arrayContaining(["ok", "error"]) });
    for (const f of documentedCodes()) {
      const [m, p, status] = f.where.split(" ") as [string, string, string];
      const content = paths()[p]?.[m]?.responses[status]?.content;
      expect(content?.["application/json"]?.schema, f.where).toEqual({
        $ref: "#/components/schemas/ErrorBody",
      });
    }
  });

  it("401 responses document WWW-Authenticate; 429 and 503 document Retry-After", () => {
    let checked = 0;
    for (const [p, m, op] of operations()) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (status === "401") expect(r.headers?.["WWW-Authenticate"], `${m} ${p}`).toBeDefined();
        if (status === "429" || status === "503") {
          expect(r.headers?.["Retry-After"], `${m} ${p} ${status}`).toMatchObject({
            schema: { type: "integer" },
          });
        }
        if (["401", "429", "503"].includes(status)) checked++;
      }
    }
    // Every authenticated route can answer all three; a session route reachable before sign-in, 429 and 503.
    const authed = [...ROUTES, ...REGISTRY].filter(([, s]) => s.auth === "pat").length;
    const sessions = SESSION.filter(([, s]) => s.auth === "session").length;
    const open = SESSION.length - sessions + REGISTRY.filter(([, s]) => s.auth === "none").length;
    expect(checked).toBe((authed + sessions) * 3 + open * 2);
  });
});
