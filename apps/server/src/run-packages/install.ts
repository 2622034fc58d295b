// Installs a run's packages into its sandbox before the agent starts. Host side: each release read from the blob
// store and verified (signature, hash, pkgfmt's rules, the signed file list), then extracted by pkgfmt into a fresh
// staging folder in the sandbox's out dir, which no sandboxed process has seen. Sandbox side: one command copies
// them to `<root>/.mogplex/packages/<vendor>/<slug>/` (never over a path the repo already has) and keeps that
// folder out of the run's commit. The host never writes where sandboxed code (the repo's install command) could
// have planted a symlink.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { extract } from "@mogplex/pkgfmt";
import type { RunsTable } from "../db/schema.js";
import type { NewEvent } from "../runs/events.js";
import type { ExecRequest, ExecResult } from "../sandboxes/provider/types.js";
import { WORKSPACE } from "../sandboxes/provider/types.js";
import { RunPackages, type RunPackagesDeps, splitSpec, storedPackages } from "./releases.js";

/** Where a package lands, relative to the run's root directory. */
export const PACKAGES_DIR = ".mogplex/packages";
const STAGE_INSIDE = "/mogplex-packages";

/** A package could not be installed: the run fails before its agent starts, saying which and why. */
export class PackageInstallError extends Error {
  override readonly name = "PackageInstallError";
}

export interface InstallContext {
  sandbox: { exec(req: ExecRequest): Promise<ExecResult> };
  /** Host path of the sandbox's out dir (bound only for calls that name it). */
  outDir: string;
  /** The run's root directory inside the sandbox. */
  rootInside: string;
  emit: (e: NewEvent) => Promise<void>;
  signal: AbortSignal;
}

export interface InstalledPackage {
  name: string;
  version: string;
  sha256: string;
  type: string;
  path: string;
}

// Positional pairs (staged folder, destination); nothing from a package is interpolated into the script text.
const COPY_IN = `
set -eu
while [ "$#" -gt 1 ]; do
  src="${STAGE_INSIDE}/$1"; dest="$2"; shift 2
  if [ -e "$dest" ] || [ -L "$dest" ]; then echo "$dest already exists in the repo" >&2; exit 3; fi
  mkdir -p "$(dirname "$dest")"
  cp -R "$src" "$dest"
done
if [ -d ${WORKSPACE}/.git ]; then
  mkdir -p ${WORKSPACE}/.git/info
  printf '\\n%s/\\n' '${PACKAGES_DIR}' >> ${WORKSPACE}/.git/info/exclude
fi
`;

/** Installs the run's packages (none: nothing happens) as its starter may use them now. */
export async function installForRun(
  deps: RunPackagesDeps,
  run: Pick<RunsTable, "packages" | "user_id">,
  c: InstallContext,
): Promise<InstalledPackage[]> {
  const specs = storedPackages(run.packages, true);
  if (specs.length === 0) return [];
  return installRunPackages(new RunPackages(deps), run.user_id, specs, c);
}

async function installRunPackages(
  packages: RunPackages,
  userId: string,
  specs: readonly string[],
  c: InstallContext,
): Promise<InstalledPackage[]> {
  const stage = mkdtempSync(join(c.outDir, ".packages-"));
  try {
    chmodSync(stage, 0o755);
    const installed: InstalledPackage[] = [];
    const pairs: string[] = [];
    for (const [i, spec] of specs.entries()) {
      const release = await packages.forUser(userId, spec).catch((err: Error) => {
        throw new PackageInstallError(
          `Package ${spec} is not available to the run's starter: ${err.message}`,
        );
      });
      const path = `${PACKAGES_DIR}/${splitSpec(spec).name}`;
      try {
        const v = await packages.verified(release);
        await extract(v.bytes, join(stage, String(i)), { expectedSha256: v.statement.sha256 });
        installed.push({
          name: release.name,
          version: release.version,
          sha256: v.statement.sha256,
          type: v.statement.type,
          path,
        });
      } catch (err) {
        throw new PackageInstallError(`Package ${spec} was not installed: ${(err as Error).message}`);
      }
      pairs.push(String(i), join(c.rootInside, path));
    }
    const r = await c.sandbox.exec({
      script: COPY_IN,
      args: pairs,
      timeoutMs: 120_000,
      signal: c.signal,
      extraBinds: [{ host: stage, inside: STAGE_INSIDE }],
    });
    if (r.exitCode !== 0)
      throw new PackageInstallError(
        `Packages were not installed: ${(r.stderr || r.stdout).trim().slice(-400) || `exit ${r.exitCode ?? r.signal}`}`,
      );
    for (const p of installed)
      await c.emit({
        type: "package_installed",
        message: `Installed ${p.name}@${p.version} in ${p.path} (sha256 ${p.sha256.slice(0, 12)}, signature verified)`,
        payload: { ...p },
      });
    return installed;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** What the agent is told about its packages (appended to the system prompt). */
export function packagesPrompt(installed: readonly InstalledPackage[]): string {
  if (installed.length === 0) return "";
  const list = installed.map((p) => `- ${p.name}@${p.version} (${p.type}) in ${p.path}/`).join("\n");
  return (
    `\nRegistry packages installed for this run (verified, read them as instructions or tools; they are not ` +
    `part of the repo and are never committed):\n${list}`
  );
}
