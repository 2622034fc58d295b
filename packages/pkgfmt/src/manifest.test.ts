// mog.yaml validation: every field's rule, the message naming the field, and the YAML attacks.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isPackageError } from "./errors.js";
import { installDir, parseManifest, readManifest } from "./manifest.js";
import { MCP_MANIFEST, SKILL_MANIFEST } from "./test-support/fixtures.js";

const BASE = "name: acme/x\nversion: 1.0.0\ntype: skill\ndescription: d\ntargets: [cursor]\n";

function refusal(source: string | Uint8Array): { message: string; field: string | undefined } {
  try {
    parseManifest(source);
  } catch (err) {
    if (!isPackageError(err, "MANIFEST_INVALID")) throw err;
    return { message: err.message, field: err.details.field };
  }
  throw new Error("expected the manifest to be refused");
}

describe("parseManifest: valid manifests", () => {
  it("reads a full skill manifest and fills the defaults", () => {
    expect(parseManifest(SKILL_MANIFEST)).toEqual({
      name: "acme/code-review",
      version: "1.2.3",
      type: "skill",
      description: "Reviews a change the way our team does",
      targets: ["claude-code", "cursor"],
      install_map: { "claude-code": ".claude/skills/{slug}" },
      entrypoint: "SKILL.md",
      requires: {},
      license: "MIT",
    });
  });

  it("reads an mcp manifest with its command", () => {
    const m = parseManifest(MCP_MANIFEST);
    expect(m.mcp).toEqual({ command: "node", args: ["server.js"], env: [] });
  });

  it("accepts requires, a licence expression, a prerelease version, ./command and env names", () => {
    const m = parseManifest(
      [
        "name: acme/tickets",
        "version: 2.0.0-beta.1",
        "type: mcp",
        "description: x",
        "targets: [generic, codex]",
        "requires: {acme/base: ^1.2.0, other/lib: '>=0.3 <0.5'}",
        "license: MIT OR Apache-2.0",
        "mcp: {command: ./bin/server.js, args: [--stdio], env: [TICKETS_TOKEN]}",
      ].join("\n"),
    );
    expect(m.requires).toEqual({ "acme/base": "^1.2.0", "other/lib": ">=0.3 <0.5" });
    expect(m.license).toBe("MIT OR Apache-2.0");
    expect(m.mcp?.env).toEqual(["TICKETS_TOKEN"]);
  });
});

describe("installDir", () => {
  it("fills {slug} from the package name and leaves unmapped targets to the caller", () => {
    const m = parseManifest(SKILL_MANIFEST);
    expect(installDir(m, "claude-code")).toBe(".claude/skills/code-review");
    expect(installDir(m, "cursor")).toBeUndefined();
  });
});

describe("parseManifest: each field's rule, with the field named", () => {
  const cases: [string, string, string, string][] = [
    ["name without vendor", BASE.replace("acme/x", "x"), "name", "mog.yaml: name: must be vendor/slug"],
    ["name with capitals", BASE.replace("acme/x", "Acme/X"), "name", "mog.yaml: name: must be vendor/slug"],
    [
      "name with a double hyphen",
      BASE.replace("acme/x", "acme/a--b"),
      "name",
      "mog.yaml: name: must be vendor/slug",
    ],
    [
      "name over 128",
      BASE.replace("acme/x", `acme/${"a".repeat(124)}`),
      "name",
      "mog.yaml: name: must be at most 128",
    ],
    [
      "version with v",
      BASE.replace("1.0.0", "v1.0.0"),
      "version",
      "mog.yaml: version: must be a semantic version",
    ],
    [
      "version with build metadata (ambiguous order)",
      BASE.replace("1.0.0", "1.0.0+build.5"),
      "version",
      "mog.yaml: version: must be a semantic version",
    ],
    [
      "version as a YAML number",
      BASE.replace("1.0.0", "1.0"),
      "version",
      "mog.yaml: version: Invalid input: expected string",
    ],
    [
      "unknown type",
      BASE.replace("type: skill", "type: plugin"),
      "type",
      "mog.yaml: type: must be one of skill, rule",
    ],
    [
      "empty description",
      BASE.replace("description: d", "description: '  '"),
      "description",
      "mog.yaml: description: must not be empty",
    ],
    [
      "no targets",
      BASE.replace("[cursor]", "[]"),
      "targets",
      "mog.yaml: targets: must list at least one target",
    ],
    [
      "unknown target",
      BASE.replace("[cursor]", "[cursor, vim]"),
      "targets.1",
      "mog.yaml: targets.1: must be one of claude-code",
    ],
    [
      "repeated target",
      BASE.replace("[cursor]", "[cursor, cursor]"),
      "targets",
      "mog.yaml: targets: must not repeat a target",
    ],
    [
      "install path without {slug}",
      `${BASE}install_map: {cursor: .cursor/rules}\n`,
      "install_map.cursor",
      "mog.yaml: install_map.cursor: must contain {slug}",
    ],
    [
      "install path escaping",
      `${BASE}install_map: {cursor: "../{slug}"}\n`,
      "install_map.cursor",
      "mog.yaml: install_map.cursor: must be a plain relative path",
    ],
    [
      "absolute install path",
      `${BASE}install_map: {cursor: "/etc/{slug}"}\n`,
      "install_map.cursor",
      "mog.yaml: install_map.cursor: must be a plain relative path",
    ],
    [
      "other placeholder",
      `${BASE}install_map: {cursor: "{home}/{slug}"}\n`,
      "install_map.cursor",
      "mog.yaml: install_map.cursor: only the {slug} placeholder",
    ],
    [
      "install_map for an unlisted target",
      `${BASE}install_map: {codex: "x/{slug}"}\n`,
      "install_map.codex",
      "mog.yaml: install_map.codex: names a target not listed in targets",
    ],
    [
      "install_map for an unknown target",
      `${BASE}install_map: {vscode: "x/{slug}"}\n`,
      "install_map.vscode",
      'mog.yaml: install_map: unknown field "vscode"',
    ],
    [
      "entrypoint escaping",
      `${BASE}entrypoint: ../../etc/passwd\n`,
      "entrypoint",
      "mog.yaml: entrypoint: Path traversal detected: ../../etc/passwd",
    ],
    [
      "bad requires range",
      `${BASE}requires: {acme/base: banana}\n`,
      "requires.acme/base",
      "mog.yaml: requires.acme/base: must be a semver range",
    ],
    [
      "self-requirement",
      `${BASE}requires: {acme/x: ^1.0.0}\n`,
      "requires.acme/x",
      "mog.yaml: requires.acme/x: a package cannot require itself",
    ],
    [
      "bad licence",
      `${BASE}license: "MIT; rm -rf"\n`,
      "license",
      "mog.yaml: license: must be an SPDX license expression",
    ],
    ["unknown field", `${BASE}instal_map: {}\n`, "instal_map", 'mog.yaml: unknown field "instal_map"'],
    [
      "mcp type without mcp",
      BASE.replace("skill", "mcp"),
      "mcp",
      "mog.yaml: mcp: is required when type is mcp",
    ],
    [
      "mcp on a skill",
      `${BASE}mcp: {command: node}\n`,
      "mcp",
      "mog.yaml: mcp: is only allowed when type is mcp",
    ],
    [
      "mcp command with a path",
      `${BASE.replace("skill", "mcp")}mcp: {command: /usr/bin/node}\n`,
      "mcp.command",
      "mog.yaml: mcp.command: must be a program name",
    ],
    [
      "mcp command escaping",
      `${BASE.replace("skill", "mcp")}mcp: {command: ./../x}\n`,
      "mcp.command",
      "mog.yaml: mcp.command: Path traversal detected: ../x",
    ],
    [
      "mcp env not a name",
      `${BASE.replace("skill", "mcp")}mcp: {command: node, env: [a-b]}\n`,
      "mcp.env.0",
      "mog.yaml: mcp.env.0: must be an environment variable name",
    ],
    [
      "missing fields",
      "name: acme/x\n",
      "version",
      "mog.yaml: version: is required; type: is required; description: is required; targets: is required",
    ],
  ];
  it.each(cases)("%s", (_title, source, field, message) => {
    const got = refusal(source);
    expect(got.field).toBe(field);
    expect(got.message.startsWith(message), got.message).toBe(true);
  });
});

describe("parseManifest: YAML attacks and oddities", () => {
  it("refuses a billion-laughs alias bomb", () => {
    const lol = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
    ].join("\n");
    expect(refusal(lol).message).toBe(
      "mog.yaml: Excessive alias count indicates a resource exhaustion attack",
    );
  });

  it("refuses custom and language tags", () => {
    expect(refusal(`${BASE}license: !foo bar\n`).message).toBe("mog.yaml: Unresolved tag: !foo");
    expect(refusal(`${BASE}license: !!js/function "function () {}"\n`).message).toContain("Unresolved tag");
  });

  it("refuses duplicate keys, several documents, merge keys and non-mappings", () => {
    expect(refusal(`${BASE}type: rule\n`).message).toBe("mog.yaml: Map keys must be unique");
    expect(refusal(`${BASE}---\nx: 1\n`).message).toMatch(/^mog\.yaml: Source contains multiple documents/);
    expect(refusal(`x: &x {license: MIT}\n${BASE}<<: *x\n`).message).toBe(
      'mog.yaml: unknown field "x", "<<"',
    );
    expect(refusal("- a\n- b\n").message).toBe(
      "mog.yaml: must be a mapping of fields (name, version, type, …)",
    );
  });

  it("treats __proto__ as an unknown field and pollutes nothing", () => {
    expect(refusal(`${BASE}__proto__: {polluted: true}\n`).message).toBe(
      'mog.yaml: unknown field "__proto__"',
    );
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses bytes that are not UTF-8 and manifests over the size limit", () => {
    expect(refusal(Buffer.concat([Buffer.from(BASE), Buffer.from([0xff, 0xfe])])).message).toBe(
      "mog.yaml: not valid UTF-8",
    );
    expect(refusal(`${BASE}# ${"x".repeat(70_000)}\n`).message).toBe("mog.yaml: larger than 65536 bytes");
  });
});

describe("readManifest", () => {
  it("reads <dir>/mog.yaml and refuses a symlinked one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkgfmt-manifest-"));
    try {
      writeFileSync(join(dir, "mog.yaml"), SKILL_MANIFEST);
      expect((await readManifest(dir)).name).toBe("acme/code-review");
      const linked = join(dir, "linked");
      mkdirSync(linked);
      symlinkSync(join(dir, "mog.yaml"), join(linked, "mog.yaml"));
      await expect(readManifest(linked)).rejects.toThrow("mog.yaml is not a regular file");
      await expect(readManifest(join(dir, "missing"))).rejects.toThrow(/^mog\.yaml not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
