// Network allowlists on PATs and gateway keys: parsing, matching, and the PAT routes that use them.
import { isCidr } from "@mogplex/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser } from "../test-support/harness.js";
import { compileAllowlist, storedAllowlist } from "./ip-allowlist.js";

describe("allowlist matching", () => {
  const list = compileAllowlist(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]);
  it("matches ranges and single addresses, IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(list.allows("10.200.3.4")).toBe(true);
    expect(list.allows("192.0.2.7")).toBe(true);
    expect(list.allows("192.0.2.8")).toBe(false);
    expect(list.allows("11.0.0.1")).toBe(false);
    expect(list.allows("2001:db8:1::5")).toBe(true);
    expect(list.allows("2001:db9::1")).toBe(false);
    expect(list.allows("::ffff:10.1.1.1")).toBe(true);
    expect(list.allows("::ffff:11.1.1.1")).toBe(false);
  });
  it("never allows an address it cannot read (no socket, a forwarded-for list, garbage)", () => {
    for (const ip of ["unknown", "", "10.0.0.1, 8.8.8.8", "10.0.0.1:443"])
      expect(list.allows(ip)).toBe(false);
  });
  it("the contract's shape check and the server's parser agree on what is an entry", () => {
    for (const good of ["10.0.0.0/8", "0.0.0.0/0", "192.0.2.1", "2001:db8::/32", "::1", "::/0"]) {
      expect(isCidr(good), good).toBe(true);
      expect(() => compileAllowlist([good]), good).not.toThrow();
    }
    for (const bad of [
      "10.0.0.0/33",
      "256.1.1.1",
      "10.0.0/8",
      "example.com",
      "10.0.0.1/8/1",
      "::1/129",
      "",
    ]) {
      expect(isCidr(bad), bad).toBe(false);
    }
    // Shaped like IPv6 but not an address: only the server's parser can tell.
    expect(isCidr("2001:::1")).toBe(true);
    expect(() => compileAllowlist(["2001:::1"])).toThrow();
  });
  it("stored lists are compiled once and shared", () => {
    const json = JSON.stringify(["10.0.0.0/8"]);
    expect(storedAllowlist(json)).toBe(storedAllowlist(json));
    expect(storedAllowlist(null)).toBeNull();
  });
});

describe("a PAT with an allowlist", () => {
  let h: Harness;
  let u: TestUser;
  let cookie: string;
  beforeAll(async () => {
    // Behind a trusted proxy, so a test can say where a request comes from.
    h = await createHarness({ env: { MOGPLEX_TRUST_PROXY: "true" } });
    u = await h.user();
    cookie = await h.signIn(u);
  });
  afterAll(async () => {
    await h?.close();
  });
  const from = (ip: string, token: string) =>
    h.json("GET", "/api/v1/mogplex/repos", { token, headers: { "x-forwarded-for": ip } });

  it("works only from the listed networks; elsewhere 403 with a message that names the reason", async () => {
    const made = await h.json<{ token: string }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "office", ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"] },
    });
    expect(made.status).toBe(201);
    const token = made.body.token;
    expect((await from("203.0.113.9", token)).status).toBe(200);
    expect((await from("2001:db8::9", token)).status).toBe(200);
    const outside = await from("198.51.100.1", token);
    expect(outside.status).toBe(403);
    expect(JSON.stringify(outside.body)).toContain("cannot be used from your network address");
    const listed = await h.json<{ keys: Array<{ name: string; ipAllowlist: string[] | null }> }>(
      "GET",
      "/api/settings/api-keys",
      { cookie },
    );
    expect(listed.body.keys.find((k) => k.name === "office")?.ipAllowlist).toEqual([
      "203.0.113.0/24",
      "2001:db8::/32",
    ]);
  });

  it("a token without one works from anywhere; bad lists are refused at creation", async () => {
    const open = await h.json<{ token: string }>("POST", "/api/settings/api-keys", {
      cookie,
      body: { name: "any" },
    });
    expect((await from("198.51.100.1", open.body.token)).status).toBe(200);
    for (const ipAllowlist of [[], ["10.0.0.0/33"], ["example.com"], ["2001:::1"], "10.0.0.0/8"]) {
      const r = await h.json("POST", "/api/settings/api-keys", {
        cookie,
        body: { name: "bad", ipAllowlist },
      });
      expect(r.status, JSON.stringify(ipAllowlist)).toBe(400);
    }
  });
});
