// Where the file tools' paths really point. They run on this machine, not in the sandbox, so a link in the
// working folder must never carry a write outside it — also a dangling one, which the write would create.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PathRefused, Paths } from "./paths.js";

const root = mkdtempSync(join(tmpdir(), "mogplex-paths-"));
const cwd = join(root, "work");
const outside = join(root, "outside");
mkdirSync(cwd);
mkdirSync(outside);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tool paths", () => {
  it("a dangling link to a file outside the folder is outside, where the write would land", () => {
    symlinkSync(join(outside, "not-yet.txt"), join(cwd, "notes.md"));
    const l = new Paths(cwd, []).locate("notes.md");
    expect(l.inside).toBe(false);
    expect(l.real).toBe(join(outside, "not-yet.txt"));
  });

  it("follows chains of links, relative ones and dangling folders", () => {
    symlinkSync("../outside/dir", join(cwd, "d"));
    symlinkSync("d/file.txt", join(cwd, "hop"));
    const l = new Paths(cwd, []).locate("hop");
    expect(l).toMatchObject({ inside: false, real: join(outside, "dir", "file.txt") });
    expect(new Paths(cwd, []).locate("d/deeper/x.txt").real).toBe(join(outside, "dir", "deeper", "x.txt"));
  });

  it("keeps a link that stays inside the folder inside, and refuses a loop", () => {
    mkdirSync(join(cwd, "src"));
    symlinkSync("src/new.ts", join(cwd, "alias.ts"));
    expect(new Paths(cwd, []).locate("alias.ts")).toMatchObject({
      inside: true,
      shown: join("src", "new.ts"),
    });
    symlinkSync("loop-b", join(cwd, "loop-a"));
    symlinkSync("loop-a", join(cwd, "loop-b"));
    expect(() => new Paths(cwd, []).locate("loop-a")).toThrow(PathRefused);
  });

  it("a dangling link into a hidden folder is refused", () => {
    const hidden = join(root, "home");
    mkdirSync(hidden);
    symlinkSync(join(hidden, "auth.json"), join(cwd, "creds"));
    expect(() => new Paths(cwd, [hidden]).locate("creds")).toThrow(PathRefused);
  });
});
