// Builds the OpenAPI 3.1 document from the route table, so docs and behaviour can't drift apart.
import { z } from "zod";
import { ErrorBody, okEnvelope } from "./envelope.js";
import { ERROR_STATUS, type ErrorCode } from "./errors.js";
import { REGISTRY_ROUTES, registryPath } from "./registry-routes.js";
import { PUBLIC_BASE, PUBLIC_ROUTES, type RouteSpec } from "./routes.js";
import { SESSION_ROUTES } from "./session-routes.js";
import type { SessionRouteSpec } from "./session-spec.js";
import { WALLET_ROUTES } from "./wallet-routes.js";

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
  delete out.$schema;
  return out;
}

function errorResponses(codes: readonly ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Json = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: Json = {};
    if (status === 401) headers["WWW-Authenticate"] = { schema: { type: "string" } };
    if (status === 429 || status === 503) headers["Retry-After"] = { schema: { type: "integer" } };
    out[String(status)] = {
      description: list.join(" | "),
      "x-error-codes": list,
      headers,
      content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorBody" } } },
    };
  }
  return out;
}

/** What an operation is built from: a public route, or a session route mapped by sessionOperation. */
type OpSpec = Pick<
  RouteSpec,
  | "path"
  | "summary"
  | "scope"
  | "query"
  | "body"
  | "idempotent"
  | "successStatus"
  | "errors"
  | "stream"
  | "rawBody"
  | "binary"
> & { auth: RouteSpec["auth"]; response: z.ZodType | null; enveloped: boolean };

function operation(name: string, r: OpSpec): Json {
  const parameters: Json[] = [];
  for (const m of r.path.matchAll(/\{(\w+)\}/g)) {
    parameters.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
  }
  if (r.query instanceof z.ZodObject) {
    for (const [name, field] of Object.entries(r.query.shape as Record<string, z.ZodType>)) {
      // limit arrives as a string and is checked by hand; documented as the integer it stands for.
      const s =
        name === "limit"
          ? { type: "integer", minimum: 1, maximum: 200, default: 100 }
          : schema(field, "input");
      const description = field.description;
      parameters.push({ name, in: "query", schema: s, ...(description ? { description } : {}) });
    }
  }
  if (r.idempotent) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: true,
      schema: { type: "string", maxLength: 200 },
    });
  }
  if (r.stream) parameters.push({ name: "Last-Event-ID", in: "header", schema: { type: "string" } });
  const success = r.successStatus ?? 200;
  const body = r.response
    ? schema(r.enveloped ? okEnvelope(r.response) : r.response, "output")
    : { type: "object" };
  const content = r.stream
    ? { "text/event-stream": { schema: body } }
    : r.binary
      ? { [r.binary]: { schema: { type: "string", format: "binary" } } }
      : { "application/json": { schema: body } };
  const op: Json = {
    operationId: name,
    summary: r.summary,
    parameters,
    responses: { [String(success)]: { description: "OK", content }, ...errorResponses(r.errors) },
  };
  if (r.scope) op["x-required-scope"] = r.scope;
  if (r.auth === "pat") op.security = [{ bearer: [] }];
  if (r.auth === "session") op.security = [{ session: [] }];
  if (r.body)
    op.requestBody = { required: true, content: { "application/json": { schema: schema(r.body, "input") } } };
  if (r.rawBody)
    op.requestBody = {
      required: true,
      content: { [r.rawBody]: { schema: { type: "string", format: "binary" } } },
    };
  if (r.auth === "none") op.security = [];
  return op;
}

export function buildOpenApi(version = "0.1.0"): Json {
  const paths: Record<string, Json> = {};
  for (const [name, r] of Object.entries(PUBLIC_ROUTES) as Array<[string, RouteSpec]>) {
    const p = `${PUBLIC_BASE}${r.path}`;
    paths[p] = { ...(paths[p] ?? {}), [r.method]: operation(name, { ...r, enveloped: true }) };
  }
  // The wallet's public routes live under the registry's base too.
  for (const [name, r] of Object.entries({ ...REGISTRY_ROUTES, ...WALLET_ROUTES }) as Array<
    [string, RouteSpec]
  >) {
    const p = registryPath(r);
    const op = operation(name, { ...r, enveloped: true });
    if (r.limit) op["x-mogplex-rate-tier"] = r.limit;
    paths[p] = { ...(paths[p] ?? {}), [r.method]: op };
  }
  for (const [name, r] of Object.entries(SESSION_ROUTES) as Array<[string, SessionRouteSpec]>) {
    paths[r.path] = { ...(paths[r.path] ?? {}), [r.method]: sessionOperation(name, r) };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Mogplex public API", version },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "Personal access token mog_…" },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "mogplex.session_token",
          description:
            "The web app's session cookie (__Secure- prefixed over https); session routes refuse PATs",
        },
      },
      schemas: { ErrorBody: schema(ErrorBody, "output") },
    },
    paths,
  };
}

/**
 * A session route (the web app's backend), marked session-only: `x-mogplex-auth` (session, or none before
 * sign-in), where its team comes from, the minimum role and the Origin rule on mutations.
 */
function sessionOperation(name: string, r: SessionRouteSpec): Json {
  const op = operation(name, {
    ...r,
    auth: r.auth === "session" ? "session" : "none",
    response: r.response ?? null,
    enveloped: false,
  });
  const parameters = op.parameters as Json[];
  if (r.team === "header") {
    parameters.push({
      name: "X-Mogplex-Team",
      in: "header",
      schema: { type: "string", maxLength: 64 },
      description: "the team to act in (id or slug); default: the user's first team",
    });
    if (r.stream) parameters.push({ name: "team", in: "query", schema: { type: "string", maxLength: 64 } });
  }
  if (r.auth === "none") op.security = [];
  op["x-mogplex-auth"] = r.auth;
  op["x-mogplex-team"] = r.team;
  if (r.role) op["x-mogplex-min-role"] = r.role;
  op["x-mogplex-csrf"] = r.csrf;
  return op;
}
