// Builds the OpenAPI 3.1 document from the route table, so docs and behaviour can't drift apart.
import { z } from "zod";
import { ErrorBody, okEnvelope } from "./envelope.js";
import { ERROR_STATUS, type ErrorCode } from "./errors.js";
import { PUBLIC_BASE, PUBLIC_ROUTES, type RouteSpec } from "./routes.js";

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

function operation(name: string, r: RouteSpec): Json {
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
  const content = r.stream
    ? { "text/event-stream": { schema: schema(r.response, "output") } }
    : { "application/json": { schema: schema(okEnvelope(r.response), "output") } };
  const op: Json = {
    operationId: name,
    summary: r.summary,
    parameters,
    responses: { [String(success)]: { description: "OK", content }, ...errorResponses(r.errors) },
  };
  if (r.scope) op["x-required-scope"] = r.scope;
  if (r.auth === "pat") op.security = [{ bearer: [] }];
  if (r.body)
    op.requestBody = { required: true, content: { "application/json": { schema: schema(r.body, "input") } } };
  return op;
}

export function buildOpenApi(version = "0.1.0"): Json {
  const paths: Record<string, Json> = {};
  for (const [name, r] of Object.entries(PUBLIC_ROUTES) as Array<[string, RouteSpec]>) {
    const p = `${PUBLIC_BASE}${r.path}`;
    paths[p] = { ...(paths[p] ?? {}), [r.method]: operation(name, r) };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Mogplex public API", version },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "Personal access token mog_…" },
      },
      schemas: { ErrorBody: schema(ErrorBody, "output") },
    },
    paths,
  };
}
