// A rest connection's methods (both databases): stored, listed, refused on MCP servers, and what a run's
// http_request gets when the run's tools are opened.
import type { ConnectionSummary } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { RunTools, RunToolsError } from "./service.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

describe("rest connection methods", () => {
  it("are stored and listed (GET and HEAD when none are named), refused on MCP servers, and bound the run's tool", async () => {
    const owner = await h.user();
    const cookie = await h.signIn(owner);
    const base = `/api/teams/${owner.teamId}/connections`;
    const add = (body: unknown) => h.json<{ connection: ConnectionSummary }>("POST", base, { cookie, body });
    const posting = await add({
      kind: "rest",
      name: "crm",
      url: "https://crm.example.test/api",
      headers: { "X-Key": "crm-key-123456" },
      methods: ["GET", "POST", "GET"],
    });
    expect(posting.status).toBe(201);
    expect(posting.body.connection.methods).toEqual(["GET", "POST"]);
    const plain = await add({ kind: "rest", name: "wiki", url: "https://wiki.example.test" });
    expect(plain.body.connection.methods).toEqual(["GET", "HEAD"]);
    expect(
      (await add({ kind: "rest", name: "bad", url: "https://x.example.test", methods: ["TRACE"] })).status,
    ).toBe(400);
    const mcp = await add({
      kind: "mcp_server",
      name: "m",
      url: "https://m.example.test/mcp",
      methods: ["GET"],
    });
    expect(mcp.status).toBe(400);
    const patched = await h.json<{ connection: ConnectionSummary }>(
      "PATCH",
      `${base}/${plain.body.connection.id}`,
      { cookie, body: { methods: ["DELETE"] } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.connection.methods).toEqual(["DELETE"]);

    const repoId = await h.repo(owner.teamId);
    const opened = await new RunTools({ db: h.s.db.db, keyring: h.s.keyring, gateway: h.s.gateway }).open(
      { runId: "run-x", teamId: owner.teamId, userId: owner.userId, repoId },
      ["rest:crm", "rest:wiki"],
    );
    expect(opened.mcp).toEqual([]);
    expect(opened.rest.map((r) => [r.name, r.url, r.methods, r.headers])).toEqual([
      ["crm", "https://crm.example.test/api", ["GET", "POST"], { "X-Key": "crm-key-123456" }],
      ["wiki", "https://wiki.example.test", ["DELETE"], {}],
    ]);
    expect(opened.secrets).toEqual(["crm-key-123456"]);
  });

  it("a run's tools open only while its starter may still call them and they still exist", async () => {
    const owner = await h.user();
    const member = await h.user({ team: owner.team, role: "member" });
    const repoId = await h.repo(owner.teamId);
    const conn = await h.s.connections.create(
      owner.teamId,
      owner.userId,
      { kind: "rest", name: "crm", url: "https://crm.example.test" },
      { actorType: "system", actorId: null },
    );
    const tools = new RunTools({ db: h.s.db.db, keyring: h.s.keyring, gateway: h.s.gateway });
    const scope = { runId: "run-y", teamId: owner.teamId, userId: member.userId, repoId };
    expect((await tools.open(scope, ["rest:crm"])).rest).toHaveLength(1);
    const setRole = (role: "viewer" | "member") =>
      h.s.db.db
        .updateTable("team_members")
        .set({ role })
        .where("team_id", "=", owner.teamId)
        .where("user_id", "=", member.userId)
        .execute();
    await setRole("viewer");
    await expect(tools.open(scope, ["rest:crm"])).rejects.toThrow(RunToolsError);
    await expect(tools.open(scope, ["rest:crm"])).rejects.toThrow(/can no longer call team tools/);
    await setRole("member");
    await h.s.connections.update(
      owner.teamId,
      conn.id,
      { enabled: false },
      { actorType: "system", actorId: null },
    );
    await expect(tools.open(scope, ["rest:crm"])).rejects.toThrow(
      /team tool rest:crm is no longer available/,
    );
  });
});
