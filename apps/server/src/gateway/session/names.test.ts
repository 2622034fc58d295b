// Aggregated names: allowed characters and length, deterministic collision handling, allowlist matching.
import { describe, expect, it } from "vitest";
import type { ResolvedServer } from "../../connections/service.js";
import { createLogger } from "../../logger.js";
import type { GatewayPrincipal } from "../auth/keys.js";
import type { Upstream } from "../upstream/upstream.js";
import { Catalog } from "./catalog.js";
import { buildNameTable, exposedNameOf, toolAllowed, wantedName } from "./names.js";

const VALID = /^[A-Za-z0-9_-]{1,64}$/;

describe("aggregated names", () => {
  it("prefixes with the server and keeps names within [A-Za-z0-9_-]{1,64}", () => {
    expect(wantedName({ server: "everything", original: "echo" })).toBe("everything__echo");
    expect(wantedName({ server: "fs", original: "read.file/v2" })).toBe("fs__read_file_v2");
    const long = wantedName({ server: "s", original: "x".repeat(200) });
    expect(long).toMatch(VALID);
    expect(long).toHaveLength(64);
  });

  it("resolves collisions deterministically, whatever the input order, and reports them", () => {
    const items = [
      { server: "a", original: "x.y" },
      { server: "a", original: "x_y" },
      { server: "a", original: "x/y" },
      { server: "b", original: "z" },
    ];
    const t1 = buildNameTable(items);
    const t2 = buildNameTable([...items].reverse());
    expect([...t1.byName.entries()].sort()).toEqual([...t2.byName.entries()].sort());
    expect(t1.collisions).toHaveLength(2);
    expect(t1.collisions).toEqual(t2.collisions);
    // Byte order: "x.y" < "x/y" < "x_y", so "x.y" keeps the plain name.
    expect(exposedNameOf(t1, "a", "x.y")).toBe("a__x_y");
    for (const name of t1.byName.keys()) expect(name).toMatch(VALID);
    expect(new Set(t1.byName.keys()).size).toBe(4);
    // A clash's suffix depends on its own origin, not on how many others there are.
    const alone = buildNameTable([items[0] as (typeof items)[0], items[2] as (typeof items)[0]]);
    expect(exposedNameOf(alone, "a", "x/y")).toBe(exposedNameOf(t1, "a", "x/y"));
  });

  it("matches a key's tool allowlist by upstream or exposed name", () => {
    const o = { server: "fs", original: "read.file" };
    expect(toolAllowed(null, "fs__read_file", o)).toBe(true);
    expect(toolAllowed(["fs__read.file"], "fs__read_file", o)).toBe(true);
    expect(toolAllowed(["fs__read_file"], "fs__read_file", o)).toBe(true);
    expect(toolAllowed(["fs__write"], "fs__read_file", o)).toBe(false);
    expect(toolAllowed(["other__read.file"], "fs__read_file", o)).toBe(false);
  });
});

describe("catalog naming", () => {
  // Upstream lists stand in for servers here: the naming and reporting rules are what is under test.
  const view = (name: string, tools: string[]) => ({
    config: { id: name, name, scope: "team" } as ResolvedServer,
    upstream: {
      list: async () => tools.map((t) => ({ name: t, inputSchema: { type: "object" } })),
    } as unknown as Upstream,
  });
  const principal = { tools: null, servers: "all" } as unknown as GatewayPrincipal;

  it("lists clashing tools under distinct valid names and reports the clash in _meta", async () => {
    const catalog = new Catalog(
      [view("a", ["x.y", "x_y"]), view("b", ["echo"])],
      principal,
      createLogger("silent"),
    );
    const listed = await catalog.listTools();
    const names = listed.tools.map((t) => t.name);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n).toMatch(VALID);
    expect(names).toContain("a__x_y");
    const collisions = (listed as { _meta?: Record<string, unknown> })._meta?.["mogplex/collisions"];
    expect(collisions).toEqual([
      { server: "a", name: "x_y", exposedAs: expect.stringMatching(/^a__x_y_[0-9a-f]{8}$/) },
    ]);
    // Each exposed name routes back to its own upstream tool.
    for (const t of listed.tools) {
      const entry = await catalog.resolve("tools", t.name);
      expect(entry.item.name).toBe((t._meta as Record<string, string>)["mogplex/name"]);
    }
  });
});
