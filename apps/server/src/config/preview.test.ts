// MOGPLEX_PREVIEW_URL: checked at start (clear one-line errors), and how a Host header maps to a sandbox.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config.js";
import { parsePreviewTemplate, previewIdOfHost, previewOrigin } from "./preview.js";

const ID = "3f2a9c1e-5b7d-4e2f-9a1b-0c2d3e4f5a6b";

describe("MOGPLEX_PREVIEW_URL", () => {
  it("refuses templates that would not give each sandbox an origin of its own", () => {
    const bad: [string, RegExp][] = [
      ["https://preview.example.net", /exactly once/],
      ["https://{id}.{id}.example.net", /exactly once/],
      ["https://example.net/{id}", /in the host part/],
      ["https://x{id}.example.net", /whole label/],
      ["http://{id}.preview.example.net", /only for loopback/],
      ["ftp://{id}.example.net", /http:\/\/ or https:\/\//],
      ["https://{id}.example.net/app", /origin only/],
      ["https://u:p@{id}.example.net", /credentials/],
    ];
    for (const [raw, why] of bad) {
      expect(() => loadConfig({ MOGPLEX_PREVIEW_URL: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ MOGPLEX_PREVIEW_URL: raw })).toThrow(why);
    }
    expect(() =>
      loadConfig({
        MOGPLEX_PREVIEW_URL: "https://{id}.example.net",
        MOGPLEX_PUBLIC_URL: "https://app.example.net",
      }),
    ).toThrow(/control plane's own host/);
  });

  it("maps Host headers to sandbox ids under a template, and builds origins from it", () => {
    const t = parsePreviewTemplate("https://{id}.preview.example.net");
    if (typeof t === "string") throw new Error(t);
    expect(previewIdOfHost(`${ID}.preview.example.net`, t)).toBe(ID);
    expect(previewIdOfHost(`${ID.toUpperCase()}.PREVIEW.example.net`, t)).toBe(ID);
    for (const host of [
      "preview.example.net",
      "app.example.net",
      `a.b.preview.example.net`,
      `${ID}.preview.example.net:8443`,
    ]) {
      expect(previewIdOfHost(host, t)).toBeNull();
    }
    expect(previewOrigin(ID, t, new URL("https://app.example.net/preview/x/"))).toBe(
      `https://${ID}.preview.example.net`,
    );
    const local = parsePreviewTemplate("http://{id}.preview.localhost:8080");
    if (typeof local === "string") throw new Error(local);
    expect(previewIdOfHost(`${ID}.preview.localhost:8080`, local)).toBe(ID);
    expect(previewIdOfHost(`${ID}.preview.localhost:8081`, local)).toBeNull();
  });

  it("unset: loopback previews on the port the member used; none for a control plane reached elsewhere", () => {
    expect(loadConfig({}).previewTemplate).toBeNull();
    expect(previewIdOfHost(`${ID}.preview.localhost:4100`, null)).toBe(ID);
    expect(previewIdOfHost("127.0.0.1:4100", null)).toBeNull();
    expect(previewIdOfHost("localhost:4100", null)).toBeNull();
    expect(previewOrigin(ID, null, new URL("http://127.0.0.1:4100/preview/x/"))).toBe(
      `http://${ID}.preview.localhost:4100`,
    );
    expect(previewOrigin(ID, null, new URL("https://app.example.net/preview/x/"))).toBeNull();
  });
});
