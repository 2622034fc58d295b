// Token scopes grew to read, write, download, purchase, sell: the API-key form's route takes them, names them when
// refusing, and each registry scope opens only its own routes (read and write behave as before).
import { REGISTRY_BASE } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";

let h: Harness;
let u: TestUser;
let cookie: string;

beforeAll(async () => {
  h = await createHarness();
  u = await h.user();
  cookie = await h.signIn(u);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("token scopes", () => {
  it("tokens can be created with the registry scopes; an unknown scope is refused naming all five", async () => {
    const made = await h.json<{ scopes: string[]; token: string }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "mog", scopes: ["read", "download", "purchase", "sell"] },
    });
    expect(made.status).toBe(201);
    expect(made.body.scopes).toEqual(["read", "download", "purchase", "sell"]);
    const bad = await h.json<{ error: { message: string } }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "x", scopes: ["admin"] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      "scopes: scopes must be among: read, write, download, purchase, sell",
    );
    const plain = await h.json<{ scopes: string[] }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "default" },
    });
    expect(plain.body.scopes).toEqual(["read", "write"]);
  });

  it("each scope opens only its own routes", async () => {
    const only = async (scope: "read" | "write" | "download" | "purchase" | "sell") =>
      (await h.pat(u, { scopes: [scope] })).token;
    const download = await only("download");
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: download })).status).toBe(403);
    expect((await h.json("GET", `${REGISTRY_BASE}/packages`, { token: download })).status).toBe(403);
    const rw = (await h.pat(u, { scopes: ["read", "write"] })).token;
    expect((await h.json("GET", "/api/v1/mogplex/repos", { token: rw })).status).toBe(200);
    expect((await h.json("GET", `${REGISTRY_BASE}/packages`, { token: rw })).status).toBe(200);
    const sellRefused = await h.json<{ error: { message: string } }>("POST", `${REGISTRY_BASE}/vendors`, {
      token: rw,
      body: { slug: "rw", name: "RW" },
    });
    expect(sellRefused.status).toBe(403);
    expect(sellRefused.body.error.message).toContain("Missing required scope: sell");
    const purchase = await only("purchase");
    const dl = await h.json("POST", `${REGISTRY_BASE}/downloads`, { token: purchase, body: { name: "a/b" } });
    expect(dl.status).toBe(403);
    const sell = await only("sell");
    const ent = await h.json("POST", `${REGISTRY_BASE}/entitlements`, { token: sell, body: { name: "a/b" } });
    expect(ent.status).toBe(403);
    expect(
      (await h.json("POST", `${REGISTRY_BASE}/vendors`, { token: sell, body: { slug: "mine", name: "M" } }))
        .status,
    ).toBe(201);
  });
});
