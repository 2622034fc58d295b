// Run setup: the sandbox gets the environment its repo names (and only that); egress lists; operator commands.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setEgress, setProviderKey } from "../engine-admin.js";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { ProviderKeyStore } from "./provider-keys.js";
import { resolveSetup, SetupError, setRepoEgress } from "./setup.js";
import { addRepo, harnessEnv } from "./test-support/engine.js";

let h: Harness;
let u: TestUser;
const ctx = { actorType: "system" as const, actorId: null };

beforeAll(async () => {
  h = await createHarness();
  u = await h.user();
  await h.s.connections.create(
    u.teamId,
    null,
    { kind: "mcp_server", name: "env-a", command: "true", env: { API_TOKEN: "tok-aaaaaaaa", MODE: "ci" } },
    ctx,
  );
  await h.s.connections.create(
    u.teamId,
    null,
    { kind: "mcp_server", name: "env-off", command: "true", env: { X: "y" }, enabled: false },
    ctx,
  );
});
afterAll(async () => {
  await h.close();
});

const setupOf = async (source: string | undefined, root = "") => {
  const repoId = await addRepo(h, u.teamId, "/nonexistent.git", source ? { environmentSource: source } : {});
  const repo = await h.s.repos.get(u.teamId, repoId);
  return resolveSetup(h.s.db.db, h.s.keyring, h.s.config.engine, repo, root);
};

describe("resolveSetup", () => {
  it("gives a repo without an environment source the base environment only", async () => {
    const s = await setupOf(undefined, "apps/web");
    expect(Object.keys(s.env).sort()).toEqual(
      [
        "CI",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_CONFIG_NOSYSTEM",
        "HOME",
        "LANG",
        "PATH",
        "TERM",
        "TMPDIR",
      ].sort(),
    );
    expect(s.env.GIT_AUTHOR_EMAIL).toBe("agent@mogplex.local");
    expect(s).toMatchObject({ secrets: [], egressHosts: [], rootInside: "/workspace/apps/web" });
  });

  it("adds the named connection's decrypted env values, and treats them as secrets", async () => {
    const s = await setupOf("connection:env-a");
    expect(s.env).toMatchObject({ API_TOKEN: "tok-aaaaaaaa", MODE: "ci" });
    expect(s.secrets.sort()).toEqual(["ci", "tok-aaaaaaaa"]);
  });

  it("refuses unknown, disabled and unsupported sources with a message naming them", async () => {
    await expect(setupOf("connection:nope")).rejects.toThrow(/connection "nope" does not exist in this team/);
    await expect(setupOf("connection:env-off")).rejects.toThrow(/"env-off" is disabled/);
    // Repo settings refuse such a source now; a row written before that rule still fails setup, naming it.
    await expect(setupOf("vercel:my-project")).rejects.toThrow(/connection:<name>/);
    const repoId = await addRepo(h, u.teamId, "/nonexistent.git");
    await h.s.db.db
      .updateTable("repos")
      .set({ environment_source: "vercel:my-project" })
      .where("id", "=", repoId)
      .execute();
    const repo = await h.s.repos.get(u.teamId, repoId);
    const unsupported = resolveSetup(h.s.db.db, h.s.keyring, h.s.config.engine, repo, "");
    await expect(unsupported).rejects.toBeInstanceOf(SetupError);
    await expect(unsupported).rejects.toThrow(
      /Unsupported environment source "vercel:my-project".*connection:<name>/,
    );
  });

  it("reads the repo's egress allowlist, validated on the way in", async () => {
    const repoId = await addRepo(h, u.teamId, "/nonexistent.git");
    await expect(setRepoEgress(h.s.db.db, repoId, ["ok.example", "bad host"], 1)).rejects.toThrow(/bad host/);
    await setRepoEgress(h.s.db.db, repoId, ["Packages.Example.ORG", "*.github.com"], 1);
    const repo = await h.s.repos.get(u.teamId, repoId);
    const s = await resolveSetup(h.s.db.db, h.s.keyring, h.s.config.engine, repo, "");
    expect(s.egressHosts).toEqual(["packages.example.org", "*.github.com"]);
    await setRepoEgress(h.s.db.db, repoId, [], 2);
    expect((await resolveSetup(h.s.db.db, h.s.keyring, h.s.config.engine, repo, "")).egressHosts).toEqual([]);
  });
});

describe("operator commands", () => {
  it("set-provider-key stores the key sealed for the team and audits without the key", async () => {
    const env = await harnessEnv(h);
    const out = await setProviderKey(
      env,
      {},
      { team: u.team, provider: "anthropic", key: "sk-ant-admin-set-1234" },
    );
    expect(out).toBe(`stored a anthropic key for team ${u.team} (encrypted)`);
    const keys = new ProviderKeyStore(h.s.db.db, h.s.keyring, h.s.clock);
    expect(await keys.get(u.teamId, "anthropic")).toBe("sk-ant-admin-set-1234");
    const audit = await h.s.db.db
      .selectFrom("audit_events")
      .select(["action", "payload"])
      .where("action", "=", "team.provider_key_set")
      .executeTakeFirstOrThrow();
    expect(audit.payload).not.toContain("sk-ant-admin-set");
    await expect(setProviderKey(env, {}, { team: u.team, provider: "acme", key: "x" })).rejects.toThrow(
      /--provider must be one of/,
    );
  });

  it("set-repo-egress sets and clears a repo's allowlist", async () => {
    const env = await harnessEnv(h);
    const repoId = await addRepo(h, u.teamId, "/nonexistent.git");
    expect(await setEgress(env, {}, { repo: repoId, hosts: ["pypi.org"] })).toMatch(/may reach: pypi\.org$/);
    expect(await setEgress(env, {}, { repo: repoId, hosts: [] })).toMatch(/have no network$/);
    await expect(setEgress(env, {}, { repo: repoId, hosts: ["-bad-"] })).rejects.toThrow(/not a host name/);
  });
});
