// Structure rules, read from the source files: failures stay out of the HTTP layer, dependencies point one
// way, shared vocabulary is defined once, files stay small (docs/architecture.md, "Layers").
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(SRC, "../../..");
const CODE = /\.(ts|tsx|mts|mjs|js|cjs)$/;
const TEST = /\.test\.(ts|tsx)$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (CODE.test(name)) out.push(p);
  }
  return out;
}

const rel = (p: string) => relative(REPO, p).split(sep).join("/");
const serverFiles = walk(SRC);
const repoFiles = [...walk(join(REPO, "apps")), ...walk(join(REPO, "packages"))];

/** Relative module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm))
    if (m[1]) specs.push(m[1]);
  return specs;
}
const target = (file: string, spec: string) => resolve(dirname(file), spec).replace(/\.js$/, ".ts");

/**
 * The HTTP edge: files under http/ or web/, the preview hosts' own app and upgrade handler
 * (sandboxes/preview-host/), and files named *routes.ts, endpoint.ts, app.ts, serve.ts.
 */
function isEdge(file: string): boolean {
  const r = relative(SRC, file).split(sep);
  const name = basename(file);
  return (
    r[0] === "http" ||
    r[0] === "web" ||
    (r[0] === "sandboxes" && r[1] === "preview-host") ||
    /routes\.ts$/.test(name) ||
    ["endpoint.ts", "app.ts", "serve.ts"].includes(name)
  );
}

describe("boundaries", () => {
  it("no non-test file outside the HTTP edge imports http/errors or http/types", () => {
    const httpTypes = [join(SRC, "http", "errors.ts"), join(SRC, "http", "types.ts")];
    const bad = serverFiles
      .filter((f) => !TEST.test(f) && !isEdge(f))
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => httpTypes.includes(target(f, s)))
          .map((s) => `${rel(f)} imports ${s}`),
      );
    expect(bad).toEqual([]);
  });

  it("sandboxes/, config and admin/ (their tests too) never import the engine", () => {
    const engine = join(SRC, "engine") + sep;
    const guarded = serverFiles.filter((f) => {
      const top = relative(SRC, f).split(sep)[0];
      return top === "sandboxes" || top === "admin" || top === "config" || top === "config.ts";
    });
    expect(guarded.length).toBeGreaterThan(5);
    const bad = guarded.flatMap((f) =>
      importsOf(f)
        .filter((s) => target(f, s).startsWith(engine))
        .map((s) => `${rel(f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it("the kernel (config, db, security, limits, sanitize, audit, failure, clock, logger) imports only the kernel", () => {
    const KERNEL = ["config", "db", "security", "limits", "sanitize", "audit"];
    const FILES = ["config.ts", "failure.ts", "clock.ts", "logger.ts"];
    const inKernel = (p: string) => {
      const [top = "", ...rest] = relative(SRC, p).split(sep);
      return rest.length === 0 ? FILES.includes(top) : KERNEL.includes(top);
    };
    const kernel = serverFiles.filter(
      (f) => inKernel(f) && !TEST.test(f) && !isEdge(f) && !f.includes("test-support"),
    );
    expect(kernel.length).toBeGreaterThan(20);
    const bad = kernel.flatMap((f) =>
      importsOf(f)
        .filter((s) => !inKernel(target(f, s)))
        .map((s) => `${rel(f)} imports ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it("the engine imports neither admin/ nor the wiring", () => {
    const banned = [join(SRC, "admin") + sep, join(SRC, "wiring.ts"), join(SRC, "serve.ts")];
    const bad = serverFiles
      .filter((f) => relative(SRC, f).startsWith(`engine${sep}`) && !TEST.test(f))
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => banned.some((b) => target(f, s).startsWith(b)))
          .map((s) => `${rel(f)} imports ${s}`),
      );
    expect(bad).toEqual([]);
  });

  it("`type Role =` is written once in apps/ and packages/ (everything else re-exports it)", () => {
    const self = fileURLToPath(import.meta.url);
    const hits = repoFiles
      .filter((f) => f !== self && /\btype\s+Role\s*=/.test(readFileSync(f, "utf8")))
      .map(rel);
    expect(hits).toEqual(["packages/contract/src/principals.ts"]);
    // Nor spelled out as a union under another name.
    const unions = repoFiles
      .filter(
        (f) =>
          f !== self &&
          /"owner"\s*\|\s*"admin"\s*\|\s*"member"\s*\|\s*"viewer"/.test(readFileSync(f, "utf8")),
      )
      .map(rel);
    expect(unions).toEqual([]);
  });

  it("no non-test code file in apps/ or packages/ is over 400 lines", () => {
    expect(repoFiles.length).toBeGreaterThan(100);
    const long = repoFiles
      .filter((f) => !TEST.test(f))
      .map((f) => ({ file: rel(f), lines: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((x) => x.lines > 400);
    expect(long).toEqual([]);
  });
});
