// What the scan sandbox sees of the host besides the system directories: node, the built scan program and the
// modules it imports, all read-only at their host paths. Nothing of the data dir, ever.
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SandboxView } from "../../gateway/launch/visibility.js";
import { exposesPrivate, within } from "../../security/host-paths.js";

/** apps/server, from both src/registry/scan (tests) and dist/registry/scan (the build). */
export const SERVER_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const DIST = join(SERVER_ROOT, "dist");
/** The in-sandbox program as tsc builds it. */
export const DEFAULT_PROGRAM = join(DIST, "registry", "scan", "sandbox-main.js");

export interface ScanBinds {
  /** The node binary as the sandbox sees it. */
  node: string;
  program: string;
  /** Host paths bound read-only at the same path inside. */
  paths: string[];
}

export class ScanSetupError extends Error {
  override readonly name = "ScanSetupError";
}

function packageDir(file: string): string {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "package.json"))) return d;
  }
  throw new ScanSetupError(`no package.json above ${file}`);
}

/** Every node_modules folder module resolution would look in, from the server package up. */
function nodeModulesDirs(): string[] {
  const out: string[] = [];
  for (let d = SERVER_ROOT; ; d = dirname(d)) {
    const nm = join(d, "node_modules");
    if (existsSync(nm)) out.push(realpathSync(nm));
    if (d === dirname(d)) return out;
  }
}

/**
 * The binds for `program` (default: the built sandbox-main.js). Workspace packages are symlinks in node_modules,
 * so the folder @mogplex/pkgfmt resolves to is bound too. Refuses a bind that is or holds a private directory.
 */
export function scanBinds(program: string, privateDirs: readonly string[]): ScanBinds {
  if (!existsSync(program)) {
    throw new ScanSetupError(
      `the scan program ${program} is missing; build the server first (npx tsc -b from the repository root)`,
    );
  }
  const paths: string[] = within(program, DIST)
    ? [DIST, join(SERVER_ROOT, "package.json")]
    : [dirname(realpathSync(program))];
  paths.push(...nodeModulesDirs());
  const pkgfmt = packageDir(createRequire(join(SERVER_ROOT, "package.json")).resolve("@mogplex/pkgfmt"));
  if (!paths.some((p) => within(pkgfmt, p))) paths.push(pkgfmt);

  let node = process.execPath;
  const seen = new SandboxView([]).see(node);
  if (!(seen.kind === "visible" && seen.exists)) {
    // Not under the system directories (nvm, a tarball install): its install prefix is bound instead.
    node = realpathSync(node);
    paths.push(dirname(dirname(node)));
  }
  for (const p of paths) {
    if (exposesPrivate(p, privateDirs))
      throw new ScanSetupError(`${p} would expose the server's private directories to the scan sandbox`);
  }
  return { node, program, paths: [...new Set(paths)] };
}
