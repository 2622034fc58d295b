// Operator commands for connections and the gateway: add an MCP server, mint a gateway key, rotate the encryption key.
import { isAbsolute, resolve } from "node:path";
import { CreateConnectionRequest, CreateGatewayKeyRequest } from "@mogplex/contract";
import type { AuditContext } from "../audit/store.js";
import { type ConfigOverrides, loadConfig } from "../config.js";
import { RotationError, rotateSealedValues } from "../connections/rotate.js";
import { Failure } from "../failure.js";
import { validationMessage } from "../http/validate.js";
import { unpackMcpPackage } from "../run-packages/mcp.js";
import type { Services } from "../services.js";
import { wire } from "../wiring.js";
import { AdminError, commaList } from "./commands.js";

const ADMIN_CTX: AuditContext = { actorType: "system", actorId: null, authSource: "admin-cli" };

async function withServices<T>(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  fn: (s: Services) => Promise<T>,
): Promise<T> {
  const services = await wire({ config: loadConfig(env, o) });
  try {
    return await fn(services);
  } catch (err) {
    if (err instanceof Failure || err instanceof RotationError) throw new AdminError(err.message);
    throw err;
  } finally {
    await services.close();
  }
}

/** `K=V` pairs (repeatable flags) → a map; the value may itself contain `=`. */
export function parsePairs(flag: string, pairs: readonly string[] = []): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new AdminError(`${flag} expects NAME=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export async function addMcpServer(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: {
    team: string;
    name: string;
    url?: string;
    command?: string;
    arg?: string[];
    header?: string[];
    env?: string[];
    egressHost?: string[];
    /** Host paths its sandbox sees read-only (repeatable); checked like the command and its arguments. */
    mount?: string[];
    repo?: string;
    transport?: string;
    timeoutMs?: string;
    /** `vendor/slug@version` of an mcp registry package: verified, unpacked read-only, its command used. */
    package?: string;
  },
): Promise<string> {
  if (a.timeoutMs !== undefined && !/^\d+$/.test(a.timeoutMs))
    throw new AdminError("--timeout-ms must be a number");
  if (a.package !== undefined) return addMcpPackage(env, o, { ...a, package: a.package });
  for (const m of a.mount ?? []) {
    if (!isAbsolute(m))
      throw new AdminError(
        `--mount ${m} is not an absolute path; give the full path, e.g. --mount ${resolve(m)}`,
      );
  }
  const parsed = CreateConnectionRequest.safeParse({
    kind: "mcp_server",
    name: a.name,
    url: a.url,
    command: a.command,
    args: a.arg?.length ? a.arg : undefined,
    headers: parsePairs("--header", a.header),
    env: parsePairs("--env", a.env),
    egressHosts: a.egressHost?.length ? a.egressHost : undefined,
    mounts: a.mount?.length ? a.mount : undefined,
    repoId: a.repo,
    transport: a.transport,
    timeoutMs: a.timeoutMs === undefined ? undefined : Number(a.timeoutMs),
  });
  if (!parsed.success) throw new AdminError(validationMessage(parsed.error));
  return withServices(env, o, async (s) => {
    const team = await s.teams.findBySlug(a.team);
    if (!team) throw new AdminError(`no team with slug ${a.team}`);
    // Paths are named as the operator typed them; a relative one is explained against this directory.
    const created = await s.connections.create(team.id, null, parsed.data, ADMIN_CTX, {
      flag: "--mount",
      cwd: process.cwd(),
    });
    return created.id;
  });
}

/** `--package`: an mcp registry package, verified like `mog install` and unpacked read-only, as a stdio server. */
async function addMcpPackage(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: Parameters<typeof addMcpServer>[2] & { package: string },
): Promise<string> {
  if (a.url || a.command || a.arg?.length || a.mount?.length || a.header?.length || a.transport)
    throw new AdminError(
      "--package takes the command, its arguments and the mount from the package: drop --url, --command, --arg, --mount, --header and --transport",
    );
  return withServices(env, o, async (s) => {
    const team = await s.teams.findBySlug(a.team);
    if (!team) throw new AdminError(`no team with slug ${a.team}`);
    const deps = { db: s.db.db, registry: s.registry, dataDir: s.config.dataDir };
    const pkg = await unpackMcpPackage(deps, team.id, a.package);
    const parsed = CreateConnectionRequest.safeParse({
      kind: "mcp_server",
      name: a.name,
      command: pkg.command,
      args: pkg.args.length ? pkg.args : undefined,
      env: parsePairs("--env", a.env),
      egressHosts: a.egressHost?.length ? a.egressHost : undefined,
      mounts: [pkg.dir],
      repoId: a.repo,
      timeoutMs: a.timeoutMs === undefined ? undefined : Number(a.timeoutMs),
    });
    if (!parsed.success) throw new AdminError(validationMessage(parsed.error));
    const created = await s.connections.create(team.id, null, parsed.data, ADMIN_CTX, {
      flag: "--mount",
      cwd: process.cwd(),
      packages: true,
    });
    return created.id;
  });
}

export async function createGatewayKey(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: {
    email: string;
    name: string;
    servers?: string;
    tools?: string;
    team?: string;
    expiresInDays?: string;
    rateLimitRps?: string;
    ipAllowlist?: string;
  },
): Promise<string> {
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new AdminError(`${flag} must be a positive integer`);
    return Number(v);
  };
  const parsed = CreateGatewayKeyRequest.safeParse({
    name: a.name,
    servers: a.servers === "all" ? "all" : commaList(a.servers),
    tools: commaList(a.tools),
    expiresInDays: num("--expires-in-days", a.expiresInDays),
    rateLimitRps: num("--rate-limit-rps", a.rateLimitRps),
    ipAllowlist: commaList(a.ipAllowlist),
  });
  if (!parsed.success) throw new AdminError(validationMessage(parsed.error));
  return withServices(env, o, async (s) => {
    const user = await s.identity.findUserByEmail(a.email);
    if (!user) throw new AdminError(`no user with email ${a.email}`);
    const teamId = await s.identity.activeTeam(user.id, a.team);
    if (!teamId)
      throw new AdminError(
        a.team ? `${a.email} is not a member of team ${a.team}` : `${a.email} is not a member of any team`,
      );
    return (await s.gateway.keys.create(user.id, teamId, parsed.data, ADMIN_CTX)).key;
  });
}

/**
 * Re-seals every stored credential under MOGPLEX_ENCRYPTION_KEY, opening old values with the keys in
 * MOGPLEX_ENCRYPTION_KEY_PREVIOUS. Without --apply nothing is written; either way every value is round-tripped.
 */
export async function rotateEncryptionKey(
  env: NodeJS.ProcessEnv,
  o: ConfigOverrides,
  a: { apply?: boolean },
): Promise<string> {
  return withServices(env, o, async (s) => {
    const r = await rotateSealedValues(s.db.db, s.db.dialect, s.keyring, s.audit, ADMIN_CTX, {
      apply: a.apply === true,
    });
    const found = Object.entries(r.byKeyId)
      .map(([id, n]) => `${n} under ${id}${id === r.currentKeyId ? " (current)" : ""}`)
      .join(", ");
    const head = `current key ${r.currentKeyId}; sealed values: ${found || "none"}; ${r.verified} verified by round trip`;
    if (!r.applied) {
      return `${head}\ndry run: ${r.resealed} value(s) would be re-sealed; run again with --apply to write them`;
    }
    return `${head}\nre-sealed ${r.resealed} value(s) under ${r.currentKeyId}; previous keys can be removed once every replica runs with the new key`;
  });
}
