// Connections, MCP server configs and gateway keys: request and response shapes shared by server, CLI and web.
import { z } from "zod";
import { Id, IpAllowlist, IsoDate } from "./common.js";

/**
 * A server name becomes the `<server>__` prefix of every tool it exposes through the gateway, so it is
 * short, ASCII and never contains the `__` separator itself (the split stays unambiguous).
 */
export const SERVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31}$/;
export const ServerName = z
  .string()
  .regex(SERVER_NAME, "name must be 1-32 letters, digits, '-' or single '_' (no '__'), starting alnum");

/** Headers the gateway itself owns on an upstream request; a configured value would break framing or sessions. */
export const RESERVED_HEADERS = [
  "host",
  "content-length",
  "content-type",
  "connection",
  "transfer-encoding",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
];

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "header names must be HTTP tokens of 1-100 characters")
  .refine((n) => !RESERVED_HEADERS.includes(n.toLowerCase()), "that header is set by the gateway itself");
// CR and LF would split the header (injection), NUL truncates it in some stacks.
const HeaderValue = z
  .string()
  .max(8192)
  .refine((v) => !/[\r\n]/.test(v) && !v.includes("\0"), "header values must be one line");
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "env names must look like NAME_1");
const EnvValue = z
  .string()
  .max(32_768)
  .refine((v) => !v.includes("\0"), "env values must not contain NUL");
const Headers = z
  .record(HeaderName, HeaderValue)
  .refine((h) => Object.keys(h).length <= 50, "at most 50 headers");
const Env = z
  .record(EnvName, EnvValue)
  .refine((e) => Object.keys(e).length <= 100, "at most 100 env entries");

const HttpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === "";
    } catch {
      return false;
    }
  }, "url must be http(s) without user:password@ (put credentials in headers, which are encrypted)");

/** A host name or `*.suffix` a sandboxed process may reach through its egress proxy (no IPs, no ports). */
export const EGRESS_HOST =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;
const EgressHosts = z
  .array(z.string().max(253).regex(EGRESS_HOST, "egress hosts are host names or *.suffix patterns"))
  .max(50);

const NoNul = z.string().refine((v) => !v.includes("\0"), "must not contain NUL");

/** Host paths a stdio server's sandbox sees read-only (the server checks they exist and are allowed). */
const Mounts = z
  .array(
    NoNul.pipe(z.string().min(1).max(1024).startsWith("/", "mounts are absolute paths (they start with /)")),
  )
  .max(20, "at most 20 mounts");

export const CONNECTION_KINDS = ["rest", "mcp_server"] as const;
/** HTTP methods a run's `http_request` may use on a rest connection (none named: GET and HEAD only). */
export const REST_CONNECTION_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export const MCP_TRANSPORTS = ["stdio", "http", "sse"] as const;
export const CONNECTION_STATUSES = ["ok", "failing", "untested", "disabled"] as const;

const ConnectionFields = {
  name: ServerName,
  repoId: Id.nullable().optional(),
  url: HttpUrl.optional(),
  transport: z.enum(["http", "sse"]).optional(),
  command: NoNul.pipe(z.string().min(1).max(1024)).optional(),
  args: z
    .array(NoNul.pipe(z.string().max(4096)))
    .max(64)
    .optional(),
  headers: Headers.optional(),
  env: Env.optional(),
  /** stdio servers only: hosts reachable from the server's sandbox (HTTPS via the egress proxy); none = offline. */
  egressHosts: EgressHosts.optional(),
  /** stdio servers only: extra host paths visible read-only inside the server's sandbox, at the same path. */
  mounts: Mounts.optional(),
  enabled: z.boolean().optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** rest only: the methods runs may use through it (default GET and HEAD). */
  methods: z
    .array(z.enum(REST_CONNECTION_METHODS, { error: `methods are ${REST_CONNECTION_METHODS.join(", ")}` }))
    .min(1, "methods must not be empty")
    .max(6)
    .optional(),
};

export const CreateConnectionRequest = z
  .object({ kind: z.enum(CONNECTION_KINDS), ...ConnectionFields })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message });
    if (v.kind === "rest") {
      if (!v.url) issue("a rest connection needs a url");
      if (v.command || v.args || v.env || v.egressHosts || v.mounts)
        issue("a rest connection takes a url and headers only");
      if (v.transport) issue("transport applies to MCP servers only");
      return;
    }
    if (v.methods) issue("methods apply to rest connections only");
    if (Boolean(v.url) === Boolean(v.command)) issue("an MCP server needs exactly one of url or command");
    if (v.command && (v.headers || v.transport)) issue("a stdio MCP server takes command, args and env");
    if (v.url && (v.args || v.env || v.egressHosts || v.mounts))
      issue("an HTTP MCP server takes url and headers");
  });
export type CreateConnectionRequest = z.infer<typeof CreateConnectionRequest>;

/** Partial update: `headers` / `env` replace the whole map when given. The kind and transport family stay. */
export const UpdateConnectionRequest = z
  .object({
    name: ConnectionFields.name.optional(),
    url: ConnectionFields.url,
    transport: ConnectionFields.transport,
    command: ConnectionFields.command,
    args: ConnectionFields.args,
    headers: ConnectionFields.headers,
    env: ConnectionFields.env,
    egressHosts: ConnectionFields.egressHosts,
    mounts: ConnectionFields.mounts,
    enabled: ConnectionFields.enabled,
    timeoutMs: ConnectionFields.timeoutMs.nullable(),
    methods: ConnectionFields.methods,
  })
  .strict();
export type UpdateConnectionRequest = z.infer<typeof UpdateConnectionRequest>;

/** A connection as listed in settings: names of headers and env entries, never their values. */
export const ConnectionSummary = z.object({
  id: z.string(),
  teamId: z.string(),
  repoId: z.string().nullable(),
  scope: z.enum(["team", "repo"]),
  kind: z.enum(CONNECTION_KINDS),
  name: z.string(),
  transport: z.enum(MCP_TRANSPORTS).nullable(),
  url: z.string().nullable(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  headerNames: z.array(z.string()),
  envNames: z.array(z.string()),
  egressHosts: z.array(z.string()),
  mounts: z.array(z.string()),
  /** rest: the methods runs may use through it; null for MCP servers. */
  methods: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  /**
   * MCP servers: `failing` until the next successful start after a failure (`lastError` says what went wrong),
   * `ok` once one started, `untested` before any start since it was registered or changed; REST: `untested`.
   */
  status: z.enum(CONNECTION_STATUSES),
  lastError: z.object({ at: IsoDate, message: z.string() }).nullable(),
  timeoutMs: z.number().nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type ConnectionSummary = z.infer<typeof ConnectionSummary>;

/** The resolved MCP config served to a PAT caller: includes decrypted headers and env (treat as a .env). */
export const McpServerConfig = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(["team", "repo"]),
  repoId: z.string().nullable(),
  transport: z.enum(MCP_TRANSPORTS),
  url: z.string().nullable(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  headers: z.record(z.string(), z.string()),
  env: z.record(z.string(), z.string()),
  egressHosts: z.array(z.string()),
  mounts: z.array(z.string()),
  timeoutMs: z.number().nullable(),
});
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/** `<server>__<tool>` as the gateway names it. */
export const GatewayToolName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31}__\S{1,160}$/, "tools must be named <server>__<tool>");

export const CreateGatewayKeyRequest = z
  .object({
    name: z.string().trim().min(1, "name must be 1-100 characters").max(100, "name must be 1-100 characters"),
    servers: z
      .union([z.literal("all"), z.array(ServerName).min(1, "servers must not be empty").max(100)])
      .optional(),
    tools: z.array(GatewayToolName).min(1, "tools must not be empty").max(500).optional(),
    expiresInDays: z
      .number({ error: "expiresInDays must be a positive integer" })
      .int("expiresInDays must be a positive integer")
      .positive("expiresInDays must be a positive integer")
      .max(3650, "expiresInDays must be at most 3650")
      .optional(),
    rateLimitRps: z.number().int().min(1).max(100_000).optional(),
    ipAllowlist: IpAllowlist.optional(),
  })
  .strict();
export type CreateGatewayKeyRequest = z.infer<typeof CreateGatewayKeyRequest>;

export const GatewayKeySummary = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  userId: z.string(),
  servers: z.union([z.literal("all"), z.array(z.string())]),
  tools: z.array(z.string()).nullable(),
  rateLimitRps: z.number(),
  ipAllowlist: z.array(z.string()).nullable(),
  createdAt: IsoDate,
  lastUsedAt: IsoDate.nullable(),
  expiresAt: IsoDate.nullable(),
  rotatedAt: IsoDate.nullable(),
});
export type GatewayKeySummary = z.infer<typeof GatewayKeySummary>;

/** The key itself appears exactly once: in the answer to create or rotate. */
export const CreatedGatewayKey = GatewayKeySummary.extend({ key: z.string() });
export type CreatedGatewayKey = z.infer<typeof CreatedGatewayKey>;
