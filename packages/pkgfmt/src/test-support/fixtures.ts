// Test fixtures: a valid manifest, yazl-built archives, and a sandbox folder whose whole tree can be compared.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yazl from "yazl";
import type { RawEntry } from "./raw-zip.js";

export const SKILL_MANIFEST = [
  "name: acme/code-review",
  "version: 1.2.3",
  "type: skill",
  "description: Reviews a change the way our team does",
  "targets: [claude-code, cursor]",
  "install_map:",
  "  claude-code: .claude/skills/{slug}",
  "entrypoint: SKILL.md",
  "",
].join("\n");

export const MCP_MANIFEST = [
  "name: acme/tickets",
  "version: 0.3.0",
  "type: mcp",
  "description: Ticket tracker tools",
  "targets: [generic]",
  "mcp:",
  "  command: node",
  "  args: [server.js]",
  "",
].join("\n");

/** mog.yaml + README.md + SKILL.md: enough for a valid skill package. */
export function skillEntries(prefix = ""): RawEntry[] {
  return [
    { name: `${prefix}mog.yaml`, data: SKILL_MANIFEST },
    { name: `${prefix}README.md`, data: "# Code review\n" },
    { name: `${prefix}SKILL.md`, data: "Review the diff.\n" },
  ];
}

export interface YazlEntry {
  name: string;
  data: Buffer | string;
  mode?: number;
  compress?: boolean;
}

/** An archive written by yazl (the writer the project ships), for entries it agrees to write. */
export function yazlZip(entries: readonly YazlEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
  for (const e of entries) {
    const options: Partial<yazl.Options> = { compress: e.compress ?? true };
    if (e.mode !== undefined) options.mode = e.mode;
    zip.addBuffer(Buffer.from(e.data), e.name, options);
  }
  zip.end();
  return done;
}

export const SKILL_FILES: YazlEntry[] = [
  { name: "mog.yaml", data: SKILL_MANIFEST },
  { name: "README.md", data: "# Code review\n" },
  { name: "SKILL.md", data: "Review the diff.\n" },
];

/** Every path under `dir` with its type (f/d/l/other), sorted; symlinks are listed, never followed. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const info = lstatSync(join(dir, path));
      const kind = info.isSymbolicLink() ? "l" : info.isDirectory() ? "d" : info.isFile() ? "f" : "other";
      out.push(`${kind} ${path}`);
      if (kind === "d") visit(path);
    }
  };
  visit("");
  return out.sort();
}

/**
 * A fresh folder tree `root/outside/base/` with the destination `base/pkg` inside it, so a test can
 * snapshot everything around the destination before and after an extraction.
 */
export function sandbox(): { root: string; base: string; dest: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "pkgfmt-test-"));
  const base = join(root, "outside", "base");
  mkdirSync(base, { recursive: true });
  return {
    root,
    base,
    dest: join(base, "pkg"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
