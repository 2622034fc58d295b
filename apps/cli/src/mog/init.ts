// `mog init`: a package folder pkgfmt accepts as is (mog.yaml, README.md, and a first file for the type).
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { MANIFEST_FILE, PACKAGE_TYPES, type PackageType, parseManifest, README_FILE } from "@mogplex/pkgfmt";
import { MogError } from "./errors.js";
import { slugOf } from "./targets.js";

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface InitOptions {
  name?: string;
  type?: string;
  description?: string;
}

export interface Scaffolded {
  dir: string;
  name: string;
  type: PackageType;
  files: string[];
}

function defaultName(dir: string): string {
  const slug = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `my-vendor/${SLUG.test(slug) ? slug : "my-package"}`;
}

const quote = (s: string) => JSON.stringify(s);

function firstFile(type: PackageType, name: string, description: string): [string, string] | null {
  const slug = slugOf(name);
  if (type === "skill")
    return [
      "SKILL.md",
      `---\nname: ${slug}\ndescription: ${quote(description)}\n---\n\n# ${slug}\n\nInstructions for the agent.\n`,
    ];
  if (type === "rule") return [`${slug}.md`, `# ${slug}\n\nRules the agent follows in this project.\n`];
  if (type === "mcp")
    return [
      "server.js",
      `// ${name}: the MCP server (stdio). mog.yaml's mcp section says how agents start it.\n`,
    ];
  return null;
}

function manifestText(name: string, type: PackageType, description: string): string {
  const lines = [
    `name: ${name}`,
    "version: 0.1.0",
    `type: ${type}`,
    `description: ${quote(description)}`,
    "targets: [claude-code, cursor, codex, gemini-cli, windsurf]",
    "license: MIT",
  ];
  if (type === "mcp") lines.push("mcp:", "  command: node", "  args: [./server.js]", "  env: []");
  return `${lines.join("\n")}\n`;
}

/** Writes the files into `dir` (created if missing); never overwrites an existing file. */
export function scaffold(rawDir: string, o: InitOptions): Scaffolded {
  const dir = resolve(rawDir);
  const type = (o.type ?? "skill") as PackageType;
  if (!PACKAGE_TYPES.includes(type))
    throw new MogError("USAGE", `--type must be one of ${PACKAGE_TYPES.join(", ")}`);
  const name = o.name ?? defaultName(dir);
  const description = o.description ?? `${slugOf(name)}: describe what this ${type} does`;
  const manifest = manifestText(name, type, description);
  // Fails on a bad --name or description before anything is written.
  parseManifest(manifest);
  const files: Array<[string, string]> = [
    [MANIFEST_FILE, manifest],
    [README_FILE, `# ${name}\n\n${description}\n`],
  ];
  const first = firstFile(type, name, description);
  if (first) files.push(first);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of files) {
    let fd: number;
    try {
      fd = openSync(join(dir, file), "wx", 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        if (written.length === 0 && file === MANIFEST_FILE)
          throw new MogError("USAGE", `${join(dir, file)} already exists; mog init does not overwrite it`);
        continue;
      }
      throw err;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    written.push(file);
  }
  return { dir, name, type, files: written };
}
