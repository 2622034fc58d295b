// Agent targets: which marker folder says a project uses an agent, where each package type installs by
// default, and which file holds the agent's project-level MCP servers.
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { installDir, type Manifest, type PackageType, TARGETS, type Target } from "@mogplex/pkgfmt";
import { MogError } from "./errors.js";

/** The folder whose presence in --dir means the project uses that agent (`generic` has none). */
export const MARKERS: Readonly<Record<Exclude<Target, "generic">, string>> = {
  "claude-code": ".claude",
  cursor: ".cursor",
  codex: ".codex",
  "gemini-cli": ".gemini",
  windsurf: ".windsurf",
};

/** Where a package installs when its manifest has no install_map entry for the target. */
const ROOTS: Readonly<Record<Target, string>> = { ...MARKERS, generic: ".mog" };
const TYPE_FOLDERS: Readonly<Record<PackageType, string>> = {
  skill: "skills",
  rule: "rules",
  mcp: "mcp",
  bundle: "bundles",
  template: "templates",
};

/** The project-level MCP config (JSON with a top-level `mcpServers` object) each agent reads, if any. */
export const MCP_CONFIGS: Readonly<Partial<Record<Target, string>>> = {
  "claude-code": ".mcp.json",
  cursor: ".cursor/mcp.json",
  "gemini-cli": ".gemini/settings.json",
  windsurf: ".windsurf/mcp_config.json",
};

export const slugOf = (name: string) => name.slice(name.indexOf("/") + 1);

export function defaultInstallDir(target: Target, type: PackageType, slug: string): string {
  return `${ROOTS[target]}/${TYPE_FOLDERS[type]}/${slug}`;
}

/** The install folder relative to --dir: the manifest's install_map, else the target's default. */
export function installPathFor(manifest: Manifest, target: Target): string {
  return installDir(manifest, target) ?? defaultInstallDir(target, manifest.type, slugOf(manifest.name));
}

export function parseTarget(raw: string): Target {
  if ((TARGETS as readonly string[]).includes(raw)) return raw as Target;
  throw new MogError("USAGE", `--target must be one of ${TARGETS.join(", ")}`);
}

/** The targets whose marker folder exists in `dir` (a real folder, not a symlink). */
export function detectTargets(dir: string): Target[] {
  return (Object.keys(MARKERS) as Array<keyof typeof MARKERS>).filter((t) => {
    try {
      return lstatSync(join(dir, MARKERS[t])).isDirectory();
    } catch {
      return false;
    }
  });
}

const markerList = () =>
  Object.values(MARKERS)
    .map((m) => `${m}/`)
    .join(", ");

/**
 * The target to install for: --target when given (it must be one the package lists), else the one marker
 * folder in `dir` the package supports. None, or more than one, is an error that says what to do.
 */
export function chooseTarget(manifest: Manifest, dir: string, wanted?: Target): Target {
  const supported = manifest.targets;
  if (wanted) {
    if (!supported.includes(wanted))
      throw new MogError(
        "TARGET_UNSUPPORTED",
        `${manifest.name} does not support the target ${wanted} (it supports ${supported.join(", ")})`,
      );
    return wanted;
  }
  const found = detectTargets(dir);
  if (found.length === 0)
    throw new MogError(
      "NO_TARGET",
      `no agent folder found in ${dir} (looked for ${markerList()}); create one or pass --target (${supported.join(", ")})`,
    );
  const usable = found.filter((t) => supported.includes(t));
  if (usable.length === 0)
    throw new MogError(
      "TARGET_UNSUPPORTED",
      `${manifest.name} supports ${supported.join(", ")}, but ${dir} only has folders for ${found.join(", ")}; pass --target to install anyway`,
    );
  if (usable.length > 1)
    throw new MogError(
      "TARGET_AMBIGUOUS",
      `${dir} has folders for several agents this package supports (${usable.join(", ")}): choose one with --target`,
    );
  return usable[0] as Target;
}
