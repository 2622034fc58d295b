// A priced listing the spend policy holds for approval: 402 with approvalUrl → exit 2 and the URL in the
// envelope; a 402 without one (no wallet) is an ordinary error, exit 1. Nothing is written either way.
import { afterEach, describe, expect, it } from "vitest";
import { type Box, box, listTree, mog, SKILL_FILES, yazlZip } from "./test-support/mog.js";
import { type FakeRegistry, fakeRegistry, newSigner, signedRelease } from "./test-support/registry.js";

let b: Box;
let reg: FakeRegistry;
afterEach(async () => {
  await reg?.close();
  b?.cleanup();
});

describe("mog install of a priced listing", () => {
  it("402 with an approvalUrl: exit 2, the URL in the envelope and on stderr, nothing written", async () => {
    b = box([".claude"]);
    const key = newSigner();
    const approvalUrl = "http://127.0.0.1:4100/approvals/apr_1";
    reg = await fakeRegistry({
      key,
      release: await signedRelease(await yazlZip(SKILL_FILES), key),
      refuseEntitlement: {
        status: 402,
        error: {
          code: "PAYMENT_REQUIRED",
          message: "This purchase needs an owner's approval",
          details: { approvalUrl },
        },
      },
    });
    const env = { ...b.env, MOG_API_URL: reg.url, MOG_TOKEN: `mog_${"a".repeat(32)}` };
    const before = listTree(b.project);
    const json = await mog(env, "install", "acme/code-review", "--dir", b.project, "--json");
    expect(json.code).toBe(2);
    expect(json.envelope).toMatchObject({
      ok: false,
      command: "install",
      error: { code: "APPROVAL_REQUIRED", details: { approvalUrl } },
    });
    const human = await mog(env, "install", "acme/code-review", "--dir", b.project);
    expect(human.code).toBe(2);
    expect(human.stderr.join("\n")).toContain(approvalUrl);
    expect(listTree(b.project)).toEqual(before);

    reg.state.refuseEntitlement = {
      status: 402,
      error: { code: "PAYMENT_REQUIRED", message: "This listing is priced and no wallet is configured" },
    };
    const plain = await mog(env, "install", "acme/code-review", "--dir", b.project, "--json");
    expect(plain.code).toBe(1);
    expect(plain.envelope.error).toMatchObject({ code: "PAYMENT_REQUIRED", status: 402 });
  });
});
