// The REST tool's URL and method rules, without a network: a run's path can't leave the connection's base URL.
import { describe, expect, it } from "vitest";
import { RestRefusal, requestUrl, restMethods, restRequest } from "./rest.js";

const BASE = "https://api.example.test/v2";

describe("requestUrl", () => {
  it("keeps paths under the base URL and adds the query", () => {
    expect(requestUrl(BASE, "/items").href).toBe("https://api.example.test/v2/items");
    expect(requestUrl(BASE, "items/7", { q: "a b" }).href).toBe("https://api.example.test/v2/items/7?q=a+b");
    expect(requestUrl(`${BASE}/`, "").href).toBe("https://api.example.test/v2/");
    expect(requestUrl(`${BASE}?key=fixed`, "x").searchParams.get("key")).toBe("fixed");
  });

  it("refuses paths that leave it", () => {
    for (const path of [
      "../admin",
      "/items/../../admin",
      "%2e%2e/admin",
      "https://evil.example/x",
      "//evil.example/x",
      "javascript:alert(1)",
      "..\\admin",
    ]) {
      expect(() => requestUrl(BASE, path), path).toThrow(RestRefusal);
    }
    expect(() => requestUrl("https://api.example.test/v2", "../v2x/secret")).toThrow(RestRefusal);
  });
});

describe("restMethods and restRequest refusals", () => {
  it("defaults to GET and HEAD; a method outside the connection's list or a credential header never leaves", async () => {
    expect(restMethods(null)).toEqual(["GET", "HEAD"]);
    expect(restMethods(JSON.stringify(["POST", "TRACE"]))).toEqual(["POST"]);
    const target = {
      name: "crm",
      url: "http://127.0.0.1:9/api",
      headers: { "X-Key": "k" },
      methods: ["GET"] as const,
    };
    const signal = new AbortController().signal;
    await expect(restRequest(target, { method: "POST", path: "/x" }, signal)).rejects.toThrow(
      /method POST is not allowed on crm/,
    );
    for (const header of ["Authorization", "Cookie", "Host", "Proxy-Authorization", "X-API-Key"]) {
      await expect(
        restRequest(target, { method: "GET", path: "/x", headers: { [header]: "v" } }, signal),
      ).rejects.toThrow(/cannot be set by a run/);
    }
    await expect(restRequest(target, { method: "GET", path: "/x", body: "b" }, signal)).rejects.toThrow(
      /has no body/,
    );
  });
});
