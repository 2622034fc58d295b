// The built page must run under `script-src 'self'; style-src 'self'`: no inline script, style or handler.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WEB_DIST } from "./support.js";

describe("the web build", () => {
  const html = readFileSync(`${WEB_DIST}index.html`, "utf8");

  it("loads its script and styles as files, with nothing inline", () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
      expect(body?.trim()).toBe("");
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).toMatch(/<link rel="stylesheet"[^>]*href="\/assets\/[^"]+\.css"/);
  });

  it("has no eval-style code in its bundle", () => {
    const js = readdirSync(`${WEB_DIST}assets`).filter((f) => f.endsWith(".js"));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) {
      const code = readFileSync(`${WEB_DIST}assets/${f}`, "utf8");
      expect(code, f).not.toMatch(/\beval\(|new Function\(/);
    }
  });
});
