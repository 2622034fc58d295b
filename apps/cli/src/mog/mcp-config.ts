// The MCP config entry an `mcp` package adds to its agent's project config (.mcp.json, .cursor/mcp.json, …):
// merged under `mcpServers`, other entries kept as they are; written atomically; undone if the install fails.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Manifest, mcpLaunch, type Target } from "@mogplex/pkgfmt";
import { MogError } from "./errors.js";
import type { McpEntry } from "./lock.js";
import { MCP_CONFIGS, slugOf } from "./targets.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `--env K=V` values, checked against the names the package declares (values are never printed). */
export function parseEnv(pairs: readonly string[], declared: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new MogError("USAGE", "--env takes NAME=value");
    const name = pair.slice(0, eq);
    if (!declared.includes(name))
      throw new MogError(
        "USAGE",
        `--env ${name}: the package does not declare it (declared: ${declared.join(", ") || "none"})`,
      );
    env[name] = pair.slice(eq + 1);
  }
  return env;
}

/** The server entry: package-relative `./` paths in command and args made absolute to the installed files. */
export function serverEntry(
  manifest: Manifest,
  installAbs: string,
  files: readonly string[],
  env: Record<string, string>,
): Record<string, unknown> {
  const launch = mcpLaunch(manifest, installAbs, files);
  if (!launch) throw new MogError("MANIFEST_INVALID", `${manifest.name} declares no mcp command`);
  return {
    command: launch.command,
    args: launch.args,
    env: Object.fromEntries(launch.env.filter((n) => n in env).map((n) => [n, env[n]])),
  };
}

function readConfig(path: string): { text: string | null; data: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { text: null, data: {} };
    throw new MogError("MCP_CONFIG", `cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new MogError("MCP_CONFIG", `${path} is not valid JSON; fix it so mog can add its entry`);
  }
  if (!isObject(data) || (data.mcpServers !== undefined && !isObject(data.mcpServers)))
    throw new MogError("MCP_CONFIG", `${path} must be a JSON object whose mcpServers is an object`);
  return { text, data };
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw new MogError("MCP_CONFIG", `cannot write ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

export interface McpChange {
  entry: McpEntry;
  /** Puts the config file back exactly as it was. */
  undo(): void;
}

/** Sets `mcpServers[key]` in the target's config (or removes it with `server` null). Null when the target has none. */
export function setMcpServer(
  dir: string,
  target: Target,
  key: string,
  server: Record<string, unknown> | null,
): McpChange | null {
  const rel = MCP_CONFIGS[target];
  if (!rel) return null;
  const path = join(dir, rel);
  const before = readConfig(path);
  const servers = isObject(before.data.mcpServers) ? { ...before.data.mcpServers } : {};
  if (server) servers[key] = server;
  else delete servers[key];
  writeAtomic(path, `${JSON.stringify({ ...before.data, mcpServers: servers }, null, 2)}\n`);
  return {
    entry: { config: rel, key },
    undo: () => {
      if (before.text === null) rmSync(path, { force: true });
      else writeAtomic(path, before.text);
    },
  };
}

/** The env values an existing entry holds, so an update keeps what the user filled in. */
export function currentEnv(dir: string, target: Target, key: string): Record<string, string> {
  const rel = MCP_CONFIGS[target];
  if (!rel) return {};
  const servers = readConfig(join(dir, rel)).data.mcpServers;
  const entry = isObject(servers) ? servers[key] : undefined;
  const env = isObject(entry) && isObject(entry.env) ? entry.env : {};
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

export const mcpKey = (manifest: Manifest) => slugOf(manifest.name);
