// An `mcp` registry package as a team's stdio MCP server (`admin add-mcp-server --package vendor/slug@version`):
// the release verified like `mog install` verifies it, unpacked once into `<data-dir>/mcp-packages/` with files
// 0444 (the declared `./command`, if any, 0555) and folders 0555, and its command taken from the manifest. The
// gateway's launcher binds a copy of that folder read-only into the server's sandbox (gateway/launch/mounts.ts).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { RUN_PACKAGE_SPEC } from "@mogplex/contract";
import { extract, mcpLaunch } from "@mogplex/pkgfmt";
import { badRequest } from "../failure.js";
import { PACKAGE_STORE } from "../gateway/launch/mounts.js";
import { sha256Hex } from "../security/random.js";
import { RunPackages, type RunPackagesDeps, splitSpec } from "./releases.js";

export interface McpPackage {
  /** The unpacked package folder (the connection's one mount). */
  dir: string;
  command: string;
  args: string[];
  /** Names of the variables the package declares (values come from the operator's --env). */
  env: string[];
  sha256: string;
}

/** Every regular file under `dir`, `/`-separated and relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p, base);
    return [relative(base, p).split(sep).join("/")];
  });
}

/** Read-only: files 0444 (`exec` ones 0555), then folders 0555 from the deepest up. */
function makeReadOnly(dir: string, exec: ReadonlySet<string>, base = dir): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) makeReadOnly(p, exec, base);
    else chmodSync(p, exec.has(p) ? 0o555 : 0o444);
  }
  chmodSync(dir, 0o555);
}

/** Verifies `spec` for `teamId` and unpacks it into the store (once: an existing copy must match the signed files). */
export async function unpackMcpPackage(
  d: RunPackagesDeps & { dataDir: string },
  teamId: string,
  spec: string,
): Promise<McpPackage> {
  if (!RUN_PACKAGE_SPEC.test(spec))
    throw badRequest(`--package ${spec}: name a package as vendor/slug@version, with an exact version`);
  const packages = new RunPackages(d);
  const release = await packages.forTeam(teamId, spec);
  if (release.type !== "mcp")
    throw badRequest(`--package ${spec} is a ${release.type} package; only mcp packages run as MCP servers`);
  const v = await packages.verified(release).catch((err: Error) => {
    throw badRequest(`--package ${spec} was not installed: ${err.message}`);
  });
  const { name, version } = splitSpec(spec);
  const dir = join(
    d.dataDir,
    PACKAGE_STORE,
    ...name.split("/"),
    `${version}-${v.statement.sha256.slice(0, 16)}`,
  );
  const files = v.info.files.map((f) => f.path);
  const launch = mcpLaunch(v.info.manifest, dir, files);
  if (!launch) throw badRequest(`--package ${spec} declares no mcp command`);
  if (existsSync(dir)) {
    const signed = v.statement.files;
    const onDisk = statSync(dir).isDirectory() ? filesUnder(dir) : undefined;
    const same =
      onDisk !== undefined &&
      onDisk.length === Object.keys(signed).length &&
      onDisk.every((f) => signed[f] === sha256Hex(readFileSync(join(dir, f))));
    if (!same)
      throw badRequest(
        `the unpacked copy of ${spec} at ${dir} differs from the signed release; remove it and run the command again`,
      );
  } else {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    await extract(v.bytes, dir, { expectedSha256: v.statement.sha256 });
    makeReadOnly(dir, new Set([launch.command]));
  }
  return { dir, ...launch, sha256: v.statement.sha256 };
}
