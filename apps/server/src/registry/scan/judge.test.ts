// The judge's own rules (in-process; scanner.test.ts runs it in bubblewrap): where secrets are looked for,
// what is only flagged, and that ordinary docs with placeholders pass.
import { describe, expect, it } from "vitest";
import { SKILL_FILES, yazlZip } from "../../../../../packages/pkgfmt/src/test-support/fixtures.js";
import { judgePackage } from "./judge.js";

const TOKEN = `ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`;
const mcp = (command: string, extra: Array<{ name: string; data: Buffer | string }> = []) =>
  yazlZip([
    {
      name: "mog.yaml",
      data: `name: acme/tool\nversion: 1.0.0\ntype: mcp\ndescription: x\ntargets: [generic]\nmcp:\n  command: ${command}\n  args: [server.js]\n`,
    },
    { name: "README.md", data: "# Tool\n" },
    { name: "server.js", data: "console.log('hi')\n" },
    { name: "run.sh", data: "#!/bin/sh\n" },
    ...extra,
  ]);
const skillWith = (readme: string) =>
  yazlZip(SKILL_FILES.map((f) => (f.name === "README.md" ? { ...f, data: readme } : f)));

describe("judgePackage", () => {
  it("fails a credential in code, in a binary and in a file name", async () => {
    const failed = { status: "failed", reason: "secret", code: "SECRET" };
    expect(
      await judgePackage(await mcp("node", [{ name: "lib/key.js", data: `const t = "${TOKEN}";\n` }])),
    ).toEqual(failed);
    const binary = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x00, 0x81]),
      Buffer.from(` ${TOKEN} `),
      Buffer.alloc(8),
    ]);
    expect(await judgePackage(await mcp("node", [{ name: "bin/tool.bin", data: binary }]))).toEqual(failed);
    expect(await judgePackage(await mcp("node", [{ name: `notes/${TOKEN}.txt`, data: "x\n" }]))).toEqual(
      failed,
    );
  });

  it("passes docs that only show where a key goes", async () => {
    const readme =
      "# Setup\n\nexport API_KEY=your-key-here\npassword: <your password>\n`OPENAI_API_KEY=...`\nBearer token auth.\n";
    expect((await judgePackage(await skillWith(readme))).status).toBe("passed");
  });

  it("flags what is only credential-shaped, and an mcp server started through a shell", async () => {
    const possible = { status: "flagged", reason: "secret", code: "POSSIBLE_SECRET" };
    // A format only our own patterns know (the preset has no Stripe rule).
    expect(await judgePackage(await skillWith("key: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n"))).toEqual(possible);
    const shell = { status: "flagged", reason: "manifest", code: "SHELL_COMMAND" };
    expect(await judgePackage(await mcp("sh"))).toEqual(shell);
    expect(await judgePackage(await mcp("env"))).toEqual(shell);
    expect((await judgePackage(await mcp("./run.sh"))).status).toBe("passed");
    expect((await judgePackage(await mcp("node"))).status).toBe("passed");
  });

  it("a certain secret outranks a flag found earlier", async () => {
    const readme = `id AKIAZ3MQWERTYUIOP4XK\n`;
    const outcome = await judgePackage(
      await yazlZip([
        ...SKILL_FILES.map((f) => (f.name === "README.md" ? { ...f, data: readme } : f)),
        { name: "zz.md", data: `token ${TOKEN}\n` },
      ]),
    );
    expect(outcome).toEqual({ status: "failed", reason: "secret", code: "SECRET" });
  });
});
