// The session's slash commands over a scripted session, with a real auth.json in a temp MOGPLEX_HOME.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { KEY, type Screen, screen } from "./test-support/screen.js";
import { gate, scriptedSession, tool } from "./test-support/scripted-session.js";

let s: Screen;
afterEach(() => s?.unmount());

const TOKEN = `mog_${"a".repeat(32)}`;
const auth = (s: Screen) => JSON.parse(readFileSync(s.ctx.store.path, "utf8")) as Record<string, unknown>;

describe("slash commands", () => {
  it("/help lists the commands; an unknown one points at /help; /exit exits 0", async () => {
    s = screen();
    await s.submit("/help");
    for (const c of ["/model", "/approval", "/mcp", "/login", "/logout", "/clear", "/exit"]) await s.see(c);
    await s.submit("/frobnicate");
    await s.see("Unknown command /frobnicate: type /help for the list.");
    expect(s.session.prompts).toEqual([]);
    await s.submit("/exit");
    expect(s.exits).toEqual([0]);
  });

  it("/model picks from the catalogue (allowed, credentials), or takes an id; a refusal is shown", async () => {
    s = screen({
      session: scriptedSession({
        models: [
          { id: "openai/gpt-4.1-mini", allowed: true, hasCredentials: true },
          { id: "anthropic/claude-sonnet-4", allowed: true, hasCredentials: true },
          { id: "groq/llama", allowed: false, hasCredentials: true },
        ],
      }),
    });
    await s.submit("/model");
    await s.see("Pick a model");
    expect(s.frame()).toContain("openai/gpt-4.1-mini (current)");
    expect(s.frame()).toContain("groq/llama  not allowed for your team");
    await s.press(KEY.down, KEY.enter);
    await s.see("Model: anthropic/claude-sonnet-4");
    expect(s.frame()).toContain("anthropic/claude-sonnet-4 · approval: ask");
    await s.submit("/model");
    await s.see(/› anthropic\/claude-sonnet-4 \(current\)/);
    await s.press(KEY.down, KEY.down, KEY.enter); // groq/llama, listed last: not allowed
    await s.see("Not switching to groq/llama: it is not allowed for your team.");
    await s.submit("/model denied/x");
    await s.see("/model: denied/x is not allowed for your team");
    expect(s.session.calls).toEqual(["setModel anthropic/claude-sonnet-4", "setModel denied/x"]);
  });

  it("/approval sets the mode (and refuses an unknown one); /clear clears the conversation", async () => {
    s = screen();
    await s.submit("/approval full-auto");
    await s.see("Approval mode: full-auto");
    expect(s.frame()).toContain("approval: full-auto");
    await s.submit("/approval yolo");
    await s.see("unknown approval mode yolo: use ask, auto-edit or full-auto");
    await s.submit("hello there");
    await s.see("› hello there");
    await s.submit("/clear");
    await s.see("Conversation cleared.");
    expect(s.session.calls).toEqual(["setMode full-auto", "clear"]);
  });

  it("/mcp lists servers, their tools and errors", async () => {
    s = screen({
      session: scriptedSession({
        mcp: [
          { server: "files", transport: "stdio", tools: [tool("files", "read"), tool("files", "write")] },
          { server: "crm", transport: "http", tools: [], error: "401 from the gateway: sign in again" },
        ],
      }),
    });
    await s.submit("/mcp");
    await s.see("files (stdio) — 2 tools");
    await s.see("files__write — write on files");
    await s.see("crm (http) — 0 tools");
    await s.see("error: 401 from the gateway: sign in again");
  });

  it("/login stores a provider key (never shown) and opens a session with it", async () => {
    const next = scriptedSession({
      route: { via: "provider", credential: "stored OpenAI API key", model: "openai/gpt-4.1" },
    });
    const opened = gate();
    s = screen({
      reopen: async () => {
        opened.open();
        return next;
      },
    });
    await s.submit("/login");
    await s.see("Store an API key for which provider?");
    await s.press(KEY.down, KEY.enter); // OpenAI, second in SPEC order
    await s.see("OpenAI API key:");
    await s.press("sk-test-secret-", "0123456789");
    await s.see("•••••••••••••••••••••••••");
    expect(s.frame()).not.toContain("sk-test-secret");
    await s.press(KEY.enter);
    await s.see("Stored your OpenAI API key in");
    await opened.promise;
    await s.see("New conversation with openai/gpt-4.1 via stored OpenAI API key.");
    expect(auth(s).openai).toMatchObject({ type: "api_key", key: "sk-test-secret-0123456789" });
    expect(s.session.calls).toContain("close");
    expect(s.controller.session).toBe(next);
    expect(s.frame()).not.toContain("sk-test-secret");
  });

  it("/logout removes the account login and says a set MOGPLEX_API_KEY still authenticates", async () => {
    s = screen({ env: { MOGPLEX_API_KEY: TOKEN } });
    s.ctx.store.update((d) => {
      d.mogplex = {
        type: "mogplex",
        url: "http://127.0.0.1:4100",
        token: TOKEN,
        prefix: TOKEN.slice(0, 12),
        expiresAt: null,
        method: "token",
        savedAt: "",
      };
    });
    await s.submit("/logout");
    await s.see("Removed mogplex from");
    await s.see("MOGPLEX_API_KEY is still set in your environment");
    expect(auth(s).mogplex).toBeUndefined();
    await s.submit("/logout nosuch");
    await s.see("/logout: unknown provider nosuch");
  });
});
