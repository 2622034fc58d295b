// A stdio server's mounts and what its sandbox can see, checked when it is registered or changed (session API,
// and the admin command's wording): each refusal is one line naming the path and the fix.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

type Conn = { id: string; mounts: string[]; status: string };
type Answer = { connection?: Conn; error?: { code: string; message: string } };

describe("stdio server mounts and sandbox visibility", () => {
  let h: Harness;
  let owner: TestUser;
  let cookie: string;
  let dir: string;
  let n = 0;

  const add = async (body: Record<string, unknown>) =>
    h.json<Answer>("POST", `/api/teams/${owner.teamId}/connections`, {
      cookie,
      body: { kind: "mcp_server", name: `s${++n}`, ...body },
    });
  const refused = async (body: Record<string, unknown>) => {
    const r = await add(body);
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(r.body.error?.code).toBe("BAD_REQUEST");
    return r.body.error?.message ?? "";
  };

  beforeAll(async () => {
    h = await createHarness();
    owner = await h.user();
    cookie = await h.signIn(owner);
    dir = mkdtempSync(join(tmpdir(), "mogplex-mounts-"));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "server.js"), "// installed");
    mkdirSync(join(dir, "elsewhere"));
    writeFileSync(join(dir, "elsewhere", "lib.js"), "// not mounted");
    mkdirSync(join(dir, "app"));
    symlinkSync(join(dir, "elsewhere", "lib.js"), join(dir, "app", "lib.js"));
    symlinkSync(h.dataDir, join(dir, "data-link"));
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses mounts that are relative, missing, too wide, private, or lead somewhere refused", async () => {
    const node = { command: "/usr/bin/node", args: ["-e", "0"] };
    expect(await refused({ ...node, mounts: ["opt/mcp"] })).toContain("mounts are absolute paths");
    expect(await refused({ ...node, mounts: [join(dir, "missing")] })).toBe(
      `mounts ${join(dir, "missing")} does not exist on this host; create it (or fix the path) first`,
    );
    for (const [p, why] of [
      ["/", "data directory"],
      [h.dataDir, "data directory"],
      [dirname(h.dataDir), "data directory"],
      ["/etc", "/etc is never mounted whole"],
      ["/home", "/home is never mounted whole"],
      ["/proc/self", "nothing under /proc"],
      ["/root/.ssh", "nothing under /root"],
      ["/run", "nothing under /run"],
    ] as const) {
      expect(await refused({ ...node, mounts: [p] }), p).toMatch(
        new RegExp(`^mounts ${p} is refused: .*${why}`),
      );
    }
    expect(await refused({ ...node, mounts: [join(dir, "data-link")] })).toBe(
      `mounts ${join(dir, "data-link")} resolves to ${h.dataDir}, which is refused: it would expose the server's data directory to MCP servers`,
    );
    // A root server's sandboxes run as an unprivileged host user, who must be able to read what is mounted.
    const closed = mkdtempSync(join(dir, "closed-"));
    const asRoot = process.getuid?.() === 0;
    const r = await add({ ...node, mounts: [closed] });
    expect(r.status).toBe(asRoot ? 400 : 201);
    if (asRoot)
      expect(r.body.error?.message).toMatch(
        new RegExp(
          `^mounts ${closed} is not readable by the sandbox's user \\(uid \\d+\\): ${closed} is 0700, owned by uid 0; .*chmod o\\+rx`,
        ),
      );
    expect(await refused({ url: "https://mcp.example.test/mcp", mounts: [dir] })).toContain(
      "an HTTP MCP server takes url and headers",
    );
  });

  it("stores mounts normalised and shows them; commands and paths the sandbox can't see are refused", async () => {
    const ok = await add({ command: "/usr/bin/node", args: [join(dir, "server.js")], mounts: [`${dir}/./`] });
    expect(ok.status).toBe(201);
    expect(ok.body.connection?.mounts).toEqual([dir]);

    expect(await refused({ command: "not-installed-mcp-server" })).toBe(
      "not-installed-mcp-server is not on the MCP server sandbox's PATH (/usr/local/bin:/usr/bin:/bin); " +
        "give the command's absolute path and add <its directory> to its mounts (read-only paths it may see)",
    );
    expect(await refused({ command: "./server.js" })).toMatch(
      /^\.\/server\.js is relative, and an MCP server starts in \/workspace/,
    );
    expect(await refused({ command: "/usr/bin/not-there-at-all" })).toBe(
      "/usr/bin/not-there-at-all does not exist on this host",
    );
    expect(await refused({ command: join(dir, "server.js") })).toBe(
      `${join(dir, "server.js")} is not visible (the sandbox has its own, empty /tmp) inside the MCP server's sandbox; ` +
        `add ${dir} to its mounts (read-only paths it may see)`,
    );
    // Arguments: whole paths and --name=value forms; through a symlink, the place it leads to counts.
    const script = join(dir, "server.js");
    expect(await refused({ command: "/usr/bin/node", args: [script] })).toBe(
      `${script} is not visible inside the MCP server's sandbox; add ${dir} to its mounts (read-only paths it may see)`,
    );
    expect(await refused({ command: "/usr/bin/node", args: [`--require=${script}`] })).toContain(
      `${script} is not visible inside the MCP server's sandbox`,
    );
    const link = join(dir, "app", "lib.js");
    expect(await refused({ command: "/usr/bin/node", args: [link], mounts: [join(dir, "app")] })).toBe(
      `${link} leads to ${join(dir, "elsewhere", "lib.js")}, which is not visible inside the MCP server's sandbox; ` +
        `add ${join(dir, "elsewhere")} to its mounts (read-only paths it may see)`,
    );
    // Not host paths, or the sandbox's own places: fine.
    const fine = await add({
      command: "node",
      args: ["/dev/null", "./data.db", "/api/v1", "--log=/tmp/server.log", "/usr/share", "/workspace/cache"],
    });
    expect(fine.status, JSON.stringify(fine.body)).toBe(201);
  });

  it("a change re-checks against the host, and the admin command names --mount and its working directory", async () => {
    const made = await add({ command: "/usr/bin/node", args: ["-e", "0"] });
    const id = made.body.connection?.id;
    const patch = (body: Record<string, unknown>) =>
      h.json<Answer>("PATCH", `/api/teams/${owner.teamId}/connections/${id}`, { cookie, body });
    const script = join(dir, "server.js");
    const bad = await patch({ args: [script] });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain(`add ${dir} to its mounts`);
    const good = await patch({ args: [script], mounts: [dir] });
    expect(good.status).toBe(200);
    expect(good.body.connection?.mounts).toEqual([dir]);
    expect((await patch({ mounts: [] })).body.error?.message).toContain(`${script} is not visible`);
    // Sent back unchanged (as the web form does) after the host moved on: a rename is not refused.
    const gone = mkdtempSync(join(tmpdir(), "mogplex-gone-"));
    chmodSync(gone, 0o755);
    expect((await patch({ args: [], mounts: [gone] })).status).toBe(200);
    rmSync(gone, { recursive: true });
    const renamed = await patch({
      name: `r${++n}`,
      command: "/usr/bin/node",
      args: [],
      mounts: [`${gone}/`],
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect((await patch({ args: ["-e", "1"] })).body.error?.message).toBe(
      `mounts ${gone} does not exist on this host; create it (or fix the path) first`,
    );

    // The admin command's wording, and a ./ argument explained against the directory it was typed in.
    const sys = { actorType: "system", actorId: null } as const;
    const viaAdmin = (args: string[], mounts: string[] = []) =>
      h.s.connections
        .create(
          owner.teamId,
          null,
          { kind: "mcp_server", name: `a${++n}`, command: "/usr/bin/node", args, mounts },
          sys,
          {
            flag: "--mount",
            cwd: dir,
          },
        )
        .catch((e: Error) => e.message);
    expect(await viaAdmin([script])).toBe(
      `${script} is not visible inside the MCP server's sandbox; add --mount ${dir} (read-only)`,
    );
    expect(await viaAdmin(["./server.js"])).toBe(
      `./server.js is resolved inside the MCP server's sandbox, from /workspace (empty), not from ${dir}; ` +
        `give the absolute path ${script} and add --mount ${dir} (read-only)`,
    );
    expect(await viaAdmin([], ["relative"])).toBe(
      `--mount relative is not an absolute path; give the full path, e.g. --mount ${join(dir, "relative")}`,
    );
  });
});

describe("with MOGPLEX_MCP_STDIO_SANDBOX=none", () => {
  let h: Harness;
  afterAll(async () => h?.close());

  it("nothing is checked for visibility (servers run on the host), but mounts still are", async () => {
    h = await createHarness({ env: { MOGPLEX_MCP_STDIO_SANDBOX: "none" } });
    const u = await h.user();
    const cookie = await h.signIn(u);
    const add = (body: Record<string, unknown>) =>
      h.json<Answer>("POST", `/api/teams/${u.teamId}/connections`, {
        cookie,
        body: { kind: "mcp_server", ...body },
      });
    expect(
      (await add({ name: "host", command: "not-installed-mcp-server", args: ["/opt/x/server.js"] })).status,
    ).toBe(201);
    const r = await add({ name: "wide", command: "cat", mounts: ["/etc"] });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toContain("/etc is never mounted whole");
  });
});
