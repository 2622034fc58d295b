// Start-up stays light: `mogplex --help` loads neither the server package nor the API client, and headless
// commands never load the server package (checked by logging every module the binary resolves).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cleanEnv, cleanup, ensureBuilt, tempDir } from "./support.js";

let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = tempDir("mogplex-load-");
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.LOAD_LOG, r.url + "\\n");
  return r;
}
`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
  );
});
afterAll(cleanup);

function loaded(args: string[], name: string): string[] {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, "");
  const env = cleanEnv(dir, { LOAD_LOG: log, MOGPLEX_HOME: join(dir, name) });
  const r = spawnSync(process.execPath, ["--import", join(dir, "register.mjs"), BIN, ...args], {
    env,
    encoding: "utf8",
  });
  expect(r.status, r.stderr).not.toBeNull();
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

const fromServer = (urls: string[]) => urls.filter((u) => u.includes("/apps/server/"));
const fromClient = (urls: string[]) =>
  urls.filter((u) => u.includes("/packages/client/") || u.includes("/zod/"));

describe("lazy loading", { timeout: 60_000 }, () => {
  it("--help loads neither the server package nor the API client", () => {
    const urls = loaded(["--help"], "help");
    expect(urls.some((u) => u.includes("commander"))).toBe(true);
    expect(fromServer(urls)).toEqual([]);
    expect(fromClient(urls)).toEqual([]);
  });

  it("a headless command loads the client but never the server package", () => {
    const urls = loaded(["repos", "list"], "repos");
    expect(urls.some((u) => u.includes("/packages/client/"))).toBe(true);
    expect(fromServer(urls)).toEqual([]);
  });
});
