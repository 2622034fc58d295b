// Packages in runs, end to end (both databases): releases published through the app and the real sandboxed
// scanner, a run naming them, the engine verifying and installing them before the scripted model's agent reads
// one; refusals at creation (unknown, unpublished, private, priced, malformed) and verification failures (a blob
// altered at rest, a statement altered in the database) failing the run before its agent starts.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Run } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addRepo, allEvents, bareRemote, gitIn, untilTerminal } from "../engine/test-support/engine.js";
import { type RunFixture, startRunFixture } from "../engine/test-support/run-fixture.js";
import { API, dataOf, type Env, errorOf, startRun } from "../runs/test-support/api.js";
import { publish, skill, type Vendor, vendor } from "./test-support/publish.js";

const SENTINEL = "pkg-guide-sentinel-3b7e";
let f: RunFixture;
let acme: Vendor;
let hidden: Vendor;
let ids: Record<string, string>;

beforeAll(async () => {
  f = await startRunFixture();
  acme = await vendor(f.h, "acme");
  hidden = await vendor(f.h, "hidden");
  ids = {
    guide: await publish(f.h, acme, await skill("acme/guide", "1.0.0", `Always say ${SENTINEL}.\n`)),
    tampered: await publish(f.h, acme, await skill("acme/tampered", "1.0.0", "Tamper me.\n")),
    resigned: await publish(f.h, acme, await skill("acme/resigned", "1.0.0", "Statement me.\n")),
    priced: await publish(f.h, acme, await skill("acme/priced", "1.0.0", "Pay me.\n"), {
      query: "?priceCents=500",
    }),
    secret: await publish(f.h, hidden, await skill("hidden/secret", "1.0.0", "Team only.\n"), {
      query: "?visibility=team",
    }),
  };
  // Uploaded, never scanned: not published.
  ids.queued = await publish(f.h, acme, await skill("acme/queued", "1.0.0", "Wait.\n"), { scan: false });
}, 120_000);

afterAll(async () => {
  await f?.close();
});

const blobPath = async (releaseId: string) => {
  const r = await f.h.s.db.db
    .selectFrom("registry_releases")
    .select("blob_sha256")
    .where("id", "=", releaseId)
    .executeTakeFirstOrThrow();
  return join(f.h.dataDir, "blobs", r.blob_sha256);
};

describe("packages in runs", () => {
  it("installs a published package before the agent starts; the agent reads it; it is not committed", async () => {
    f.model.on("PKG-READ", [
      { toolCalls: [{ name: "read_file", args: { path: ".mogplex/packages/acme/guide/SKILL.md" } }] },
      { toolCalls: [{ name: "write_file", args: { path: "notes.txt", content: "read the guide\n" } }] },
      { text: "done" },
    ]);
    const r = await startRun(f.h, f.a.token, {
      repoId: f.a.repoId,
      prompt: "PKG-READ",
      packages: ["acme/guide@1.0.0"],
    });
    expect(r.status).toBe(202);
    const created = dataOf(r.body).run;
    expect(created.packages).toEqual(["acme/guide@1.0.0"]);
    const run = await untilTerminal(f.h, f.a.user.teamId, created.id, 60_000);
    expect(run.status, run.error ?? "").toBe("success");
    // The run resource shows them: GET /runs/{id} and the runs list.
    const got = await f.h.json<Env<{ run: Run }>>("GET", `${API}/runs/${run.id}`, { token: f.a.token });
    expect(dataOf(got.body).run.packages).toEqual(["acme/guide@1.0.0"]);
    const list = await f.h.json<Env<{ runs: Run[] }>>("GET", `${API}/runs?limit=100`, { token: f.a.token });
    const listed = dataOf(list.body).runs;
    expect(listed.find((x) => x.id === run.id)?.packages).toEqual(["acme/guide@1.0.0"]);
    expect(listed.filter((x) => x.id !== run.id).every((x) => Array.isArray(x.packages))).toBe(true);

    const events = await allEvents(f.h, run.id);
    const installed = events.filter((e) => e.type === "package_installed");
    expect(installed).toHaveLength(1);
    const digest = createHash("sha256")
      .update(readFileSync(await blobPath(ids.guide as string)))
      .digest("hex");
    expect(installed[0]?.payload).toMatchObject({
      name: "acme/guide",
      version: "1.0.0",
      type: "skill",
      path: ".mogplex/packages/acme/guide",
      sha256: digest,
    });
    // Installed before the agent's first model call.
    const firstModel = events.findIndex((e) => e.type === "model_call");
    expect(events.indexOf(installed[0] as (typeof events)[number])).toBeLessThan(firstModel);
    const read = events.find((e) => e.type === "tool_finished" && e.toolName === "read_file");
    expect(JSON.stringify(read?.payload)).toContain(SENTINEL);
    const reqs = f.model.requests.filter((q) => JSON.stringify(q.messages).includes("PKG-READ"));
    expect(JSON.stringify(reqs[0]?.messages[0])).toContain(
      "acme/guide@1.0.0 (skill) in .mogplex/packages/acme/guide/",
    );
    expect(JSON.stringify(reqs[1]?.messages)).toContain(SENTINEL);

    // The agent's work is pushed; the installed package is not part of it.
    const files = gitIn(f.remote, "ls-tree", "-r", "--name-only", run.branch.working ?? "");
    expect(files.split("\n")).toContain("notes.txt");
    expect(files).not.toContain(".mogplex");
    const audit = await f.h.s.db.db
      .selectFrom("audit_events")
      .select("payload")
      .where("target_id", "=", run.id)
      .where("action", "=", "run.created")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.payload)).toMatchObject({ packages: ["acme/guide@1.0.0"] });
  }, 90_000);

  it("refuses at creation what the starter can't install: unknown, unpublished, private, priced, malformed", async () => {
    const before = (await f.h.s.db.db.selectFrom("runs").select("id").execute()).length;
    const unavailable = "no published release of that package and version on this server that you can read";
    const cases: Array<[string[], string]> = [
      [["acme/nope@1.0.0"], `packages: acme/nope@1.0.0: ${unavailable}`],
      [["acme/guide@9.9.9"], `packages: acme/guide@9.9.9: ${unavailable}`],
      [["acme/queued@1.0.0"], `packages: acme/queued@1.0.0: ${unavailable}`],
      // A private vendor's listing reads exactly like a missing one to a non-member.
      [["hidden/secret@1.0.0"], `packages: hidden/secret@1.0.0: ${unavailable}`],
      [
        ["acme/priced@1.0.0"],
        "packages: acme/priced@1.0.0: acme/priced is a priced listing you have not acquired",
      ],
      [["acme/guide@1.0.0", "acme/guide@1.0.1"], "packages: acme/guide@1.0.1: name acme/guide once"],
      [["acme/guide"], "packages must be named vendor/slug@version"],
      [["acme/guide@^1.0.0"], "packages must be named vendor/slug@version"],
      [["../x@1.0.0"], "packages must be named vendor/slug@version"],
      [Array.from({ length: 11 }, (_, i) => `acme/p${i}@1.0.0`), "packages must list at most 10 entries"],
    ];
    for (const [packages, message] of cases) {
      const r = await startRun(f.h, f.a.token, { repoId: f.a.repoId, prompt: "PKG-REFUSED", packages });
      expect(r.status, packages.join(" ")).toBe(400);
      expect(errorOf(r.body).message).toContain(message);
    }
    expect((await f.h.s.db.db.selectFrom("runs").select("id").execute()).length).toBe(before);
    // The vendor's own team may name its private listing.
    const { token } = await f.h.pat(hidden.user);
    const repoId = await f.h.repo(hidden.user.teamId);
    const own = await startRun(f.h, token, { repoId, prompt: "PKG-OWN", packages: ["hidden/secret@1.0.0"] });
    expect(own.status, JSON.stringify(own.body)).toBe(202);
  });

  it("a blob altered at rest, or a statement altered in the database, fails the run before its agent starts", async () => {
    const path = await blobPath(ids.tampered as string);
    const bytes = readFileSync(path);
    bytes[bytes.length - 30] = (bytes[bytes.length - 30] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const statement = (
      await f.h.s.db.db
        .selectFrom("registry_releases")
        .select("statement")
        .where("id", "=", ids.resigned as string)
        .executeTakeFirstOrThrow()
    ).statement as string;
    await f.h.s.db.db
      .updateTable("registry_releases")
      .set({ statement: statement.replace('"version":"1.0.0"', '"version":"1.0.1"') })
      .where("id", "=", ids.resigned as string)
      .execute();

    const cases: Array<[string, string]> = [
      [
        "acme/tampered@1.0.0",
        "Package acme/tampered@1.0.0 was not installed: Package integrity check failed",
      ],
      [
        "acme/resigned@1.0.0",
        "Package acme/resigned@1.0.0 was not installed: Release signature verification failed",
      ],
    ];
    for (const [spec, why] of cases) {
      f.model.on(`PKG-BAD-${spec}`, [{ text: "should never run" }]);
      const r = await startRun(f.h, f.a.token, {
        repoId: f.a.repoId,
        prompt: `PKG-BAD-${spec}`,
        packages: ["acme/guide@1.0.0", spec],
      });
      expect(r.status).toBe(202);
      const run = await untilTerminal(f.h, f.a.user.teamId, dataOf(r.body).run.id, 60_000);
      expect(run.status).toBe("failed");
      expect(run.error).toContain(why);
      const events = await allEvents(f.h, run.id);
      expect(events.some((e) => e.type === "model_call")).toBe(false);
      expect(events.some((e) => e.type === "package_installed")).toBe(false);
      const failed = events.find((e) => e.type === "failed");
      expect(failed?.message).toContain(why);
      expect(failed?.payload).toMatchObject({ reason: "package_failed", stage: "setup" });
      expect(f.model.requests.some((q) => JSON.stringify(q.messages).includes(`PKG-BAD-${spec}`))).toBe(
        false,
      );
    }

    // A repo that already has files where the package would go keeps them; the run fails before its agent.
    const remote = bareRemote(f.h.dataDir, { ".mogplex/packages/acme/guide/SKILL.md": "# the repo's own\n" });
    const repoId = await addRepo(f.h, f.a.user.teamId, remote);
    const r = await startRun(f.h, f.a.token, { repoId, prompt: "PKG-CLASH", packages: ["acme/guide@1.0.0"] });
    const run = await untilTerminal(f.h, f.a.user.teamId, dataOf(r.body).run.id, 60_000);
    expect(run.status).toBe("failed");
    expect(run.error).toContain("/workspace/.mogplex/packages/acme/guide already exists in the repo");
    expect((await allEvents(f.h, run.id)).some((e) => e.type === "model_call")).toBe(false);
  }, 120_000);
});
