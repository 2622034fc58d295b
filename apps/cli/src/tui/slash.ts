// The session's slash commands. /login and /logout reuse the CLI's own credential code (the chooser's key
// store, `mogplex logout`) with their output printed into the transcript instead of the terminal.
import { logout } from "../actions/auth.js";
import type { CatalogueModel } from "../agent/types.js";
import type { Ctx } from "../context.js";
import { MODEL_PROVIDERS } from "../credentials/providers.js";
import { saveProviderKey } from "../login/chooser.js";
import { APPROVAL_MODES, isMode } from "./config.js";
import type { Controller } from "./controller.js";

export const HELP: ReadonlyArray<[string, string]> = [
  ["/model [provider/model]", "switch the model (a list to pick from without an id)"],
  [
    "/approval ask|auto-edit|full-auto",
    "what needs your yes: ask = commands and writes; auto-edit = commands",
  ],
  ["/mcp", "MCP servers, their tools and errors"],
  ["/login", "store a provider API key in auth.json and switch to it"],
  ["/logout [provider|all]", "remove the stored Mogplex login (or a provider key)"],
  ["/clear", "start a new conversation"],
  ["/help", "this list"],
  ["/exit", "leave (also Ctrl-C twice, or Ctrl-D on an empty prompt)"],
];

/** A Ctx whose output lands in the transcript (the terminal belongs to the session screen). */
function printingCtx(c: Controller, ctx: Ctx): Ctx {
  const err = (l: string) => c.print(l.replace(/^mogplex: /, ""), "warn");
  return {
    ...ctx,
    interactive: false,
    io: { out: (l) => c.print(l), json: (v) => c.print(JSON.stringify(v)), err },
  };
}

function modelHint(m: CatalogueModel): string {
  if (!m.allowed) return "not allowed for your team";
  return m.hasCredentials ? "allowed · credentials set" : "allowed · no credentials";
}

/** The catalogue as a list, usable models first; undefined when cancelled or the pick can't be used. */
async function pickModel(c: Controller): Promise<string | undefined> {
  const models = await c.session.models();
  if (models.length === 0) {
    c.print("No models to pick from for this credential.", "warn");
    return undefined;
  }
  const current = c.session.route.model;
  const rank = (m: CatalogueModel) => (m.id === current ? 0 : m.allowed && m.hasCredentials ? 1 : 2);
  const id = await c.pick(
    "Pick a model",
    [...models]
      .sort((a, b) => rank(a) - rank(b))
      .map((m) => ({
        value: m.id,
        label: m.id === current ? `${m.id} (current)` : m.id,
        hint: modelHint(m),
        disabled: !m.allowed || !m.hasCredentials,
      })),
  );
  const chosen = models.find((m) => m.id === id);
  if (!chosen || (chosen.allowed && chosen.hasCredentials)) return chosen?.id;
  const why = chosen.allowed
    ? "there are no credentials for it (with an account, an owner adds a key under Settings → API Keys)"
    : "it is not allowed for your team";
  c.print(`Not switching to ${chosen.id}: ${why}.`, "warn");
  return undefined;
}

async function model(c: Controller, arg: string): Promise<void> {
  const id = arg || (await pickModel(c));
  if (!id) return;
  await c.session.setModel(id);
  c.set({});
  c.print(`Model: ${c.session.route.model}`);
}

async function approval(c: Controller, arg: string): Promise<void> {
  let mode = arg;
  if (!mode) {
    mode =
      (await c.pick(
        `Approval mode (now ${c.session.mode})`,
        APPROVAL_MODES.map((m) => ({ value: m, label: m })),
      )) ?? "";
    if (!mode) return;
  }
  if (!isMode(mode)) {
    return c.print(`unknown approval mode ${mode}: use ask, auto-edit or full-auto`, "error");
  }
  c.session.setMode(mode);
  c.set({});
  c.print(`Approval mode: ${mode}`);
}

async function mcp(c: Controller): Promise<void> {
  const servers = await c.session.mcp();
  if (servers.length === 0) {
    return c.print(
      "No MCP servers. They come from your team's synced configuration when you are signed in to Mogplex.",
      "dim",
    );
  }
  for (const s of servers) {
    c.print(`${s.server} (${s.transport}) — ${s.tools.length} tool${s.tools.length === 1 ? "" : "s"}`);
    if (s.error) c.print(`  error: ${s.error}`, "error");
    for (const t of s.tools) c.print(`  ${t.name}${t.description ? ` — ${t.description}` : ""}`, "dim");
  }
}

async function login(c: Controller, ctx: Ctx): Promise<void> {
  const id = await c.pick(
    "Store an API key for which provider?",
    MODEL_PROVIDERS.map((p) => ({ value: p.id, label: p.name, hint: p.envVar })),
  );
  const provider = MODEL_PROVIDERS.find((p) => p.id === id);
  if (!provider) return;
  const key = await c.secret(`${provider.name} API key`);
  if (!key) return c.print("Nothing was stored.", "dim");
  if (key.length < 8) return c.print("That is too short for an API key; nothing was stored.", "error");
  saveProviderKey(printingCtx(c, ctx), provider, key);
  if (!c.o.reopen) return;
  const next = await c.o.reopen();
  next.setMode(c.session.mode);
  await c.session.close();
  c.replaceSession(next);
  c.print(`New conversation with ${next.route.model} via ${next.route.credential}.`);
}

function logoutCommand(c: Controller, ctx: Ctx, arg: string): void {
  logout(printingCtx(c, ctx), arg === "all" ? { all: true } : { provider: arg || undefined });
  c.print(
    "This session keeps its model access until you exit; the next `mogplex` looks for credentials again.",
    "dim",
  );
}

/** Runs one `/command args` line typed at the prompt. */
export async function runSlash(c: Controller, line: string): Promise<void> {
  const [name = "", ...rest] = line.slice(1).split(/\s+/);
  const arg = rest.join(" ").trim();
  c.o.ctx.log.write("session.command", { command: name });
  switch (name) {
    case "help":
      for (const [cmd, what] of HELP) c.print(`${cmd.padEnd(36)} ${what}`);
      return c.print(
        "Enter sends; Alt-Enter or a paste adds a line break; ↑/↓ recall earlier prompts; Esc or Ctrl-C stops a turn.",
        "dim",
      );
    case "exit":
    case "quit":
      return c.o.exit(0);
    case "clear":
      return c.clear();
    case "model":
      return model(c, arg);
    case "approval":
      return approval(c, arg);
    case "mcp":
      return mcp(c);
    case "login":
      return login(c, c.o.ctx);
    case "logout":
      return logoutCommand(c, c.o.ctx, arg);
    default:
      c.print(`Unknown command /${name}: type /help for the list.`, "warn");
  }
}
