// The commands that need no server: init, install ./x.zip, uninstall, list.
import type { Target } from "@mogplex/pkgfmt";
import type { MogCtx } from "./context.js";
import { scaffold } from "./init.js";
import { type Installed, installArchive } from "./install.js";
import { listInstalled, uninstall } from "./manage.js";
import { projectDir } from "./paths.js";
import type { Outcome } from "./run.js";
import { parseTarget } from "./targets.js";

export interface InstallFlags {
  target?: string;
  dir?: string;
  env?: string[];
  sha256?: string;
}

export function initCommand(
  dir: string | undefined,
  o: { name?: string; type?: string; description?: string },
): Outcome {
  const s = scaffold(dir ?? ".", o);
  return {
    data: s,
    lines: [
      `Created ${s.name} (${s.type}) in ${s.dir}: ${s.files.join(", ") || "nothing new"}`,
      "Edit mog.yaml and README.md, then `mog publish` the folder.",
    ],
  };
}

export function installedLines(r: Installed, how: string): string[] {
  const lines = [
    `Installed ${r.name}@${r.version} (${r.type}, ${r.files} files) for ${r.target} into ${r.installPath} ${how}`,
  ];
  if (r.replaced) lines.push(`(replaced ${r.replaced})`);
  if (r.mcp) lines.push(`Added MCP server "${r.mcp.key}" to ${r.mcp.config}`);
  if (r.mcpManual)
    lines.push(
      `${r.target}'s MCP config is not edited by mog; add this server: ${JSON.stringify(r.mcpManual)}`,
    );
  return lines;
}

export async function installFileCommand(ctx: MogCtx, file: string, o: InstallFlags): Promise<Outcome> {
  const dir = projectDir(o.dir);
  const target: Target | undefined = o.target ? parseTarget(o.target) : undefined;
  if (!o.sha256) ctx.io.err("mog: no --sha256 given: installing after the structural checks only");
  const r = await installArchive({
    archive: file,
    dir,
    target,
    env: o.env,
    sha256: o.sha256,
    entitlementId: null,
    source: "file",
  });
  return { data: r, lines: installedLines(r, o.sha256 ? "(SHA-256 verified)" : "") };
}

export function uninstallCommand(name: string, o: { dir?: string }): Outcome {
  const r = uninstall(projectDir(o.dir), name);
  const mcp = r.mcp ? `; removed MCP server "${r.mcp.key}" from ${r.mcp.config}` : "";
  return { data: r, lines: [`Removed ${r.name}@${r.version} from ${r.installPath}${mcp}`] };
}

export function listCommand(o: { dir?: string }): Outcome {
  const items = listInstalled(projectDir(o.dir));
  const lines = items.map(
    (p) => `${p.name}@${p.version}  ${p.type}  ${p.target}  ${p.installPath}  ${p.source}`,
  );
  return { data: { packages: items }, lines: lines.length ? lines : ["No packages installed here."] };
}
