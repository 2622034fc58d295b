// MOGPLEX_URL validation (plain http only to loopback) and MOGPLEX_HOME.
import { describe, expect, it } from "vitest";
import { DEFAULT_URL, mogplexHome, serverUrl, validateServerUrl } from "./env.js";

describe("MOGPLEX_URL", () => {
  it("defaults to the self-hosting address", () => {
    expect(serverUrl({})).toEqual({ url: DEFAULT_URL, source: "default" });
    expect(DEFAULT_URL).toBe("http://127.0.0.1:4100");
  });

  it("prefers MOGPLEX_URL, then the stored login's server", () => {
    expect(serverUrl({ MOGPLEX_URL: "https://m.example.com/" }, "http://127.0.0.1:9")).toEqual({
      url: "https://m.example.com",
      source: "MOGPLEX_URL",
    });
    expect(serverUrl({}, "http://127.0.0.1:9")).toEqual({ url: "http://127.0.0.1:9", source: "auth.json" });
  });

  it.each([
    "http://127.0.0.1:4100",
    "http://localhost:1",
    "http://[::1]:4100",
    "http://127.8.9.10",
    "https://a.example/x/",
  ])("accepts %s", (u) => {
    expect(() => validateServerUrl(u)).not.toThrow();
  });

  it.each([
    ["http://example.com", /refusing plain http to example\.com/],
    ["http://10.0.0.5:4100", /not a loopback/],
    ["http://127.0.0.1.example.com", /not a loopback/],
    ["ftp://127.0.0.1", /https:\/\//],
    ["https://user:pw@a.example", /credentials/],
    ["https://a.example/?x=1", /query/],
    ["not a url", /not a URL/],
  ])("refuses %s", (u, message) => {
    expect(() => validateServerUrl(u)).toThrow(message);
  });

  it("keeps a path prefix for servers behind a proxy, without trailing slashes", () => {
    expect(validateServerUrl("https://a.example/mogplex//")).toBe("https://a.example/mogplex");
  });
});

describe("MOGPLEX_HOME", () => {
  it("is $MOGPLEX_HOME, else ~/.mogplex", () => {
    expect(mogplexHome({ MOGPLEX_HOME: "/x/y" })).toBe("/x/y");
    expect(mogplexHome({ HOME: "/home/a" })).toBe("/home/a/.mogplex");
  });
});
