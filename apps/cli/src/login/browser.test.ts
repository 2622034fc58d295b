// Browser sign-in against a fake server: loopback listener rules, PKCE exchange, paste, denial, 429.
import { describe, expect, it } from "vitest";
import { testCtx } from "../test-support/ctx.js";
import { browserLogin } from "./browser.js";
import { challengeOf } from "./pkce.js";

const TOKEN = `mog_${"B".repeat(32)}`;
const CODE = "C".repeat(32);
const never = () => new Promise<string>(() => {});

/** Starts a browser login whose "browser" is this test: it gets the URL the CLI opens. */
function start(
  o: { pasted?: () => Promise<string>; exchange?: (body: Record<string, string>) => Response } = {},
) {
  let opened: (url: URL) => void = () => {};
  const url = new Promise<URL>((r) => {
    opened = r;
  });
  const exchanged: Array<Record<string, string>> = [];
  const ctx = testCtx();
  const result = browserLogin(ctx, "http://127.0.0.1:4100", {
    open: async (u) => opened(new URL(u)),
    pasted: o.pasted ?? never,
    timeoutMs: 30_000,
    fetch: (async (_u: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as Record<string, string>;
      exchanged.push(body);
      return o.exchange
        ? o.exchange(body)
        : Response.json({ token: TOKEN, prefix: TOKEN.slice(0, 12), expiresAt: null });
    }) as typeof fetch,
  });
  result.catch(() => {}); // assertions attach later; don't count it unhandled meanwhile
  return { ctx, url, result, exchanged };
}

describe("browser sign-in", () => {
  it("opens /cli-auth with a loopback callback, a nonce and an S256 challenge; exchanges the code with the verifier", async () => {
    const s = start();
    const url = await s.url;
    expect(url.pathname).toBe("/cli-auth");
    const q = url.searchParams;
    const callback = new URL(q.get("callback") as string);
    expect(callback.hostname).toBe("127.0.0.1");
    expect(Number(callback.port)).toBeGreaterThanOrEqual(1024);
    expect(callback.pathname).toBe("/callback");
    expect(q.get("nonce")).toMatch(/^[0-9a-f]{32}$/);
    expect(q.get("code_challenge_method")).toBe("S256");
    // The listener refuses the wrong nonce, the wrong host header and other paths.
    expect((await fetch(`${callback.href}?code=${CODE}&nonce=${"0".repeat(32)}`)).status).toBe(400);
    expect((await fetch(`${callback.origin}/other?code=${CODE}&nonce=${q.get("nonce")}`)).status).toBe(404);
    const landing = await fetch(`${callback.href}?code=${CODE}&nonce=${q.get("nonce")}`);
    expect(landing.status).toBe(200);
    expect(landing.headers.get("content-security-policy")).toBe("default-src 'none'");
    await expect(s.result).resolves.toEqual({ token: TOKEN, expiresAt: null });
    expect(s.exchanged).toHaveLength(1);
    expect(s.exchanged[0]?.code).toBe(CODE);
    const verifier = s.exchanged[0]?.codeVerifier as string;
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(challengeOf(verifier)).toBe(q.get("code_challenge"));
    // The listener is gone once the sign-in is over.
    await expect(fetch(callback.href)).rejects.toThrow();
  });

  it("accepts a pasted code when the browser can't reach this machine", async () => {
    const s = start({ pasted: async () => `  ${CODE}\n` });
    await expect(s.result).resolves.toMatchObject({ token: TOKEN });
    expect(s.exchanged[0]?.code).toBe(CODE);
  });

  it("a denial in the browser → exit 65; a refused code → exit 1", async () => {
    const denied = start();
    const url = await denied.url;
    await fetch(
      `${url.searchParams.get("callback")}?error=access_denied&nonce=${url.searchParams.get("nonce")}`,
    );
    await expect(denied.result).rejects.toMatchObject({ exitCode: 65 });
    const refused = start({
      pasted: async () => CODE,
      exchange: () => Response.json({ error: "invalid_grant" }, { status: 400 }),
    });
    await expect(refused.result).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining("invalid_grant"),
    });
  });

  it("a rate-limited exchange is temporary (75) and keeps Retry-After", async () => {
    const s = start({
      pasted: async () => CODE,
      exchange: () => new Response("{}", { status: 429, headers: { "retry-after": "30" } }),
    });
    await expect(s.result).rejects.toMatchObject({ exitCode: 75, retryAfterSeconds: 30 });
  });
});
