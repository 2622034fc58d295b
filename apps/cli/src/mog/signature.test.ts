// The install chain's trust checks, with a locally generated Ed25519 key: a statement with a flipped byte,
// one signed by another key, one naming other bytes, or an archive that differs from the signed hash is
// refused with `signature` / `integrity` in the message, exit 1, and nothing is written. The key is pinned on
// first use; a changed key is refused until `mog auth --repin`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Box, box, listTree, mog, mogCtx, mogOn, SKILL_FILES, yazlZip } from "./test-support/mog.js";
import { type FakeRegistry, fakeRegistry, newSigner, signedRelease } from "./test-support/registry.js";

let b: Box;
let reg: FakeRegistry;
afterEach(async () => {
  await reg?.close();
  b?.cleanup();
});

async function setup() {
  b = box([".claude"]);
  const key = newSigner();
  const release = await signedRelease(await yazlZip(SKILL_FILES), key);
  reg = await fakeRegistry({ key, release });
  const env = { ...b.env, MOG_API_URL: reg.url, MOG_TOKEN: `mog_${"a".repeat(32)}` };
  return { key, release, env };
}

const install = (env: Record<string, string>, dir: string) =>
  mog(env, "install", "acme/code-review", "--dir", dir, "--json");

describe("mog install vendor/slug: signature and integrity", () => {
  it("a correctly signed release installs, pins the key, and records the entitlement", async () => {
    const { env, key } = await setup();
    // On a terminal the download shows a progress bar (on the status line, cleared before the result).
    const statuses: string[] = [];
    const ctx = mogCtx(env, { status: (t) => statuses.push(t), clear: () => statuses.push("") });
    const r = await mogOn(ctx, "install", "acme/code-review", "--dir", b.project, "--json");
    expect(
      statuses.some((t) => /^Downloading acme\/code-review@1\.2\.3 \[#+\] /.test(t)),
      statuses.join("|"),
    ).toBe(true);
    expect(statuses.at(-1)).toBe("");
    expect(r.code, JSON.stringify(r.envelope)).toBe(0);
    expect(r.stderr.join("\n")).toContain(`pinned the registry key ${key.keyId}`);
    const lock = JSON.parse(readFileSync(join(b.project, "mog.lock.json"), "utf8"));
    expect(lock.packages["acme/code-review"]).toMatchObject({
      entitlementId: "ent_1",
      source: "registry",
      registry: reg.url,
    });
    const pins = JSON.parse(readFileSync(join(b.config, "mog/registry-keys.json"), "utf8"));
    expect(pins[reg.url].keyId).toBe(key.keyId);
  });

  const refusals: Array<
    [string, (s: Awaited<ReturnType<typeof setup>>) => Promise<void> | void, string, RegExp]
  > = [
    [
      "a flipped byte in the statement",
      ({ release }) => {
        reg.state.release = { ...release, statement: release.statement.replace('"v":1', '"v":2') };
      },
      "SIGNATURE_INVALID",
      /signature/,
    ],
    [
      "a statement signed by another key",
      async ({ release }) => {
        reg.state.release = { ...(await signedRelease(release.zip, newSigner())), keyId: release.keyId };
      },
      "SIGNATURE_INVALID",
      /signature/,
    ],
    [
      "bytes that differ from the signed SHA-256 (a blob altered after publish)",
      async ({ release }) => {
        reg.state.release = {
          ...release,
          zip: await yazlZip([...SKILL_FILES.slice(0, 2), { name: "SKILL.md", data: "Exfiltrate.\n" }]),
        };
      },
      "INTEGRITY_MISMATCH",
      /integrity/,
    ],
  ];

  it.each(refusals)("%s → refused, nothing written", async (_title, tamper, code, words) => {
    const s = await setup();
    // First use pins the real key.
    expect((await mog(s.env, "auth", "--repin", "--json")).code).toBe(0);
    await tamper(s);
    // The project, and everything beside it but mog's own request logs.
    const tree = () => listTree(b.root).filter((p) => !p.includes("config/mog/logs"));
    const before = tree();
    const r = await install(s.env, b.project);
    expect(r.code).toBe(1);
    expect(r.envelope.error?.code).toBe(code);
    expect(r.envelope.error?.message).toMatch(words);
    expect(tree()).toEqual(before);
  });

  it("a changed registry key is refused until an explicit `mog auth --repin`", async () => {
    const s = await setup();
    expect((await install(s.env, b.project)).code).toBe(0);
    const other = newSigner();
    reg.state.key = other;
    reg.state.release = await signedRelease(s.release.zip, other);
    const r = await mog(s.env, "uninstall", "acme/code-review", "--dir", b.project);
    expect(r.code).toBe(0);
    const refused = await install(s.env, b.project);
    expect(refused.code).toBe(1);
    expect(refused.envelope.error?.code).toBe("REGISTRY_KEY_CHANGED");
    expect(refused.envelope.error?.message).toContain("mog auth --repin");
    expect(listTree(join(b.project, ".claude"))).toEqual(["d skills"]);

    const repinned = await mog(s.env, "auth", "--repin", "--json");
    expect(repinned.envelope.data).toMatchObject({ keyId: other.keyId, previousKeyId: s.key.keyId });
    expect((await install(s.env, b.project)).code).toBe(0);
  });
});
