// Sandboxes on the public API: list (paging, filters, limit clamping), get, and idempotent audited stop.
import type { Sandbox } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, API, actor, dataOf, type Env, errorOf, walk } from "../runs/test-support/api.js";
import { createHarness, FakeClock, type Harness } from "../test-support/harness.js";

let h: Harness;
const clock = new FakeClock();
beforeAll(async () => {
  h = await createHarness({ clock });
});
afterAll(async () => {
  await h.close();
});

type Page = { sandboxes: Sandbox[]; nextCursor: string | null };
type Stopped = { sandbox: Sandbox; alreadyStopped: boolean };
const list = (token: string, query = "") => h.json<Env<Page>>("GET", `${API}/sandboxes${query}`, { token });
const stop = (token: string, id: string) =>
  h.json<Env<Stopped>>("POST", `${API}/sandboxes/${id}/stop`, { token });

async function sandbox(a: Actor, over: { repoId?: string; status?: string; step?: number } = {}) {
  clock.advance(over.step ?? 1000);
  const row = await h.s.sandboxes.create({
    teamId: a.user.teamId,
    repoId: over.repoId ?? a.repoId,
    runId: null,
    baseBranch: "main",
    workingBranch: "mogplex/run/x",
    rootDirectory: "",
  });
  if (over.status) {
    await h.s.db.db.updateTable("sandboxes").set({ status: over.status }).where("id", "=", row.id).execute();
  }
  return row.id;
}

async function stopAudits(id: string) {
  return h.s.db.db
    .selectFrom("audit_events")
    .selectAll()
    .where("target_id", "=", id)
    .where("action", "=", "sandbox.stopped")
    .execute();
}

describe("GET /sandboxes", () => {
  it("returns the sandbox shape and answers 404 for another team's sandbox", async () => {
    const a = await actor(h);
    const b = await actor(h);
    const id = await sandbox(a);
    const got = await h.json<Env<{ sandbox: Sandbox }>>("GET", `${API}/sandboxes/${id}`, { token: a.token });
    expect(got.status).toBe(200);
    const sb = dataOf(got.body).sandbox;
    expect(sb).toEqual({
      id,
      repoId: a.repoId,
      runId: null,
      status: "creating",
      baseBranch: "main",
      workingBranch: "mogplex/run/x",
      rootDirectory: "",
      previewUrl: null,
      stopReason: null,
      createdAt: new Date(clock.now()).toISOString(),
      lastActiveAt: new Date(clock.now()).toISOString(),
      error: null,
    });
    const foreign = await h.json<Env<never>>("GET", `${API}/sandboxes/${id}`, { token: b.token });
    expect(foreign.status).toBe(404);
    expect(errorOf(foreign.body).code).toBe("NOT_FOUND");
    expect(dataOf((await list(b.token)).body).sandboxes).toEqual([]);
  });

  it("walks 7 sandboxes in pages of 3, newest first, without duplicates or gaps", async () => {
    const a = await actor(h);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push(await sandbox(a));
    const { ids, pageSizes } = await walk(h, a.token, `${API}/sandboxes`, "sandboxes", 3);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(ids).toEqual([...made].reverse());
  });

  it("pages through sandboxes created in the same millisecond", async () => {
    const a = await actor(h);
    const made = new Set<string>();
    for (let i = 0; i < 7; i++) made.add(await sandbox(a, { step: 0 }));
    const { ids } = await walk(h, a.token, `${API}/sandboxes`, "sandboxes", 2);
    expect(ids).toHaveLength(7);
    expect(new Set(ids)).toEqual(made);
  });

  it("filters by repoId and status", async () => {
    const a = await actor(h);
    const otherRepo = await h.repo(a.user.teamId);
    const running = await sandbox(a, { status: "running" });
    const creating = await sandbox(a);
    const elsewhere = await sandbox(a, { repoId: otherRepo, status: "running" });
    const ids = async (q: string) => dataOf((await list(a.token, q)).body).sandboxes.map((s) => s.id);
    expect(await ids(`?repoId=${a.repoId}`)).toEqual([creating, running]);
    expect(await ids("?status=running")).toEqual([elsewhere, running]);
    expect(await ids(`?status=running&repoId=${otherRepo}`)).toEqual([elsewhere]);
    expect((await list(a.token, "?status=paused")).status).toBe(400);
  });

  it("defaults to 100 items a page, clamps limit to 1..200 and rejects a tampered cursor", async () => {
    const a = await actor(h);
    const rows = Array.from({ length: 205 }, (_, i) => ({
      id: `sbx-${String(i).padStart(4, "0")}`,
      team_id: a.user.teamId,
      repo_id: a.repoId,
      run_id: null,
      status: "running",
      base_branch: "main",
      working_branch: null,
      root_directory: "",
      preview_url: null,
      stop_reason: null,
      error: null,
      created_at: clock.now() + i,
      last_active_at: clock.now() + i,
    }));
    await h.s.db.db.insertInto("sandboxes").values(rows).execute();
    const first = dataOf((await list(a.token)).body);
    expect(first.sandboxes).toHaveLength(100);
    expect(first.sandboxes[0]?.id).toBe("sbx-0204");
    expect(dataOf((await list(a.token, "?limit=500")).body).sandboxes).toHaveLength(200);
    expect(dataOf((await list(a.token, "?limit=200")).body).sandboxes).toHaveLength(200);
    expect(dataOf((await list(a.token, "?limit=0")).body).sandboxes).toHaveLength(1);
    const all = await walk(h, a.token, `${API}/sandboxes`, "sandboxes", 200);
    expect(all.pageSizes).toEqual([200, 5]);
    expect(new Set(all.ids).size).toBe(205);
    const cursor = first.nextCursor ?? "";
    const forged = Buffer.from(JSON.stringify({ createdAt: "soon", id: "sbx-0100" })).toString("base64url");
    for (const bad of [`${cursor}%00`, forged, "not*base64"]) {
      expect((await list(a.token, `?cursor=${bad}`)).status, bad).toBe(400);
    }
  });
});

describe("POST /sandboxes/{id}/stop", () => {
  it("stops with reason manual, then reports alreadyStopped without another audit row", async () => {
    const a = await actor(h);
    const id = await sandbox(a, { status: "running" });
    const stoppedIds: string[] = [];
    h.s.sandboxes.setStopper(async (sandboxId) => {
      stoppedIds.push(sandboxId);
    });
    const first = await stop(a.token, id);
    expect(first.status).toBe(200);
    expect(dataOf(first.body)).toMatchObject({
      alreadyStopped: false,
      sandbox: { id, status: "stopped", stopReason: "manual" },
    });
    expect(stoppedIds).toEqual([id]);
    const audits = await stopAudits(id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ team_id: a.user.teamId, actor_id: a.user.userId, auth_source: "pat" });

    const second = await stop(a.token, id);
    expect(second.status).toBe(200);
    expect(dataOf(second.body)).toEqual({ sandbox: dataOf(first.body).sandbox, alreadyStopped: true });
    expect(stoppedIds).toEqual([id]);
    expect(await stopAudits(id)).toHaveLength(1);
  });

  it("stops exactly once when many stops race", async () => {
    const a = await actor(h);
    for (let round = 0; round < 3; round++) {
      const id = await sandbox(a, { status: "running" });
      const all = await Promise.all(
        Array.from({ length: 10 }, () =>
          h.s.sandboxes.stop(a.user.teamId, id, { actorType: "user", actorId: a.user.userId }),
        ),
      );
      expect(all.filter((r) => !r.alreadyStopped)).toHaveLength(1);
      expect(all.every((r) => r.sandbox.status === "stopped" && r.sandbox.stopReason === "manual")).toBe(
        true,
      );
      expect(await stopAudits(id)).toHaveLength(1);
    }
  });

  it("answers 404 for another team's sandbox and 403 without the write scope, leaving it running", async () => {
    const a = await actor(h);
    const b = await actor(h);
    const id = await sandbox(a, { status: "running" });
    expect((await stop(b.token, id)).status).toBe(404);
    const readOnly = await h.pat(a.user, { scopes: ["read"] });
    expect((await stop(readOnly.token, id)).status).toBe(403);
    const got = await h.json<Env<{ sandbox: Sandbox }>>("GET", `${API}/sandboxes/${id}`, { token: a.token });
    expect(dataOf(got.body).sandbox.status).toBe("running");
    expect(await stopAudits(id)).toHaveLength(0);
  });
});
