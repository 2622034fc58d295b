// The browser hand-off listener: 127.0.0.1 on a random port, one GET /callback carrying our nonce and a
// single-use code (never a token). Anything else — wrong path, host or nonce — is turned away.

import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type CallbackResult = { code: string } | { error: string };

export interface Loopback {
  port: number;
  callbackUrl: string;
  result: Promise<CallbackResult>;
  close(): void;
}

const CODE_RE = /^[0-9A-Za-z]{32}$/;

function reply(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": "default-src 'none'",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1><p>${text}</p></body></html>`,
  );
}

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function startLoopback(nonce: string): Promise<Loopback> {
  let settle: (r: CallbackResult) => void = () => {};
  const result = new Promise<CallbackResult>((resolve) => {
    settle = resolve;
  });
  let done = false;
  let port = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!hosts.includes(req.headers.host ?? "")) return reply(res, 400, "Wrong address", "Unexpected host.");
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    if (req.method !== "GET" || url.pathname !== "/callback")
      return reply(res, 404, "Not found", "Nothing here.");
    if (!same(url.searchParams.get("nonce") ?? "", nonce)) {
      return reply(
        res,
        400,
        "Not this terminal",
        "This sign-in link belongs to a different `mogplex login`.",
      );
    }
    if (done)
      return reply(res, 409, "Already done", "This sign-in was already handled; return to your terminal.");
    const error = url.searchParams.get("error");
    const code = url.searchParams.get("code") ?? "";
    if (error) {
      done = true;
      settle({ error: error.slice(0, 64) });
      return reply(res, 200, "Sign-in denied", "No token was created. You can close this tab.");
    }
    if (!CODE_RE.test(code))
      return reply(res, 400, "Bad request", "The sign-in code is missing or malformed.");
    done = true;
    settle({ code });
    return reply(res, 200, "Signed in", "Return to your terminal; you can close this tab.");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    callbackUrl: `http://127.0.0.1:${port}/callback`,
    result,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
