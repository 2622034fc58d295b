// The interactive chooser (TTY only): sign in with Mogplex in a browser, with a device code, or store a
// provider API key in auth.json.
import type { Ctx } from "../context.js";
import { MODEL_PROVIDERS, type Provider } from "../credentials/providers.js";
import { CliError, EXIT } from "../errors.js";

export type Choice = "browser" | "device" | "provider";

export const CHOICES: ReadonlyArray<{ value: Choice; label: string }> = [
  { value: "browser", label: "Sign in with Mogplex (browser)" },
  { value: "device", label: "Sign in with a device code" },
  { value: "provider", label: "Store a provider API key" },
];

const cancelled = () => new CliError("cancelled; nothing was stored", EXIT.error, "CANCELLED");

export async function choose(): Promise<Choice> {
  const p = await import("@clack/prompts");
  const choice = await p.select<Choice>({ message: "How do you want to sign in?", options: [...CHOICES] });
  if (p.isCancel(choice)) throw cancelled();
  return choice;
}

export async function storeProviderKey(ctx: Ctx, json?: boolean): Promise<void> {
  const p = await import("@clack/prompts");
  const id = await p.select<string>({
    message: "Which provider?",
    options: MODEL_PROVIDERS.map((m) => ({ value: m.id, label: m.name, hint: m.envVar })),
  });
  if (p.isCancel(id)) throw cancelled();
  const provider = MODEL_PROVIDERS.find((m) => m.id === id);
  if (!provider) throw cancelled();
  const key = await p.password({
    message: `${provider.name} API key`,
    validate: (v) => (v && v.trim().length >= 8 ? undefined : "paste the whole key"),
  });
  if (p.isCancel(key)) throw cancelled();
  saveProviderKey(ctx, provider, key, json);
}

/** Stores a provider key in auth.json (the chooser's last step, and the session's /login). */
export function saveProviderKey(ctx: Ctx, provider: Provider, key: string, json?: boolean): void {
  ctx.log.secret(key.trim());
  ctx.store.update((d) => {
    d.keys[provider.id] = { type: "api_key", key: key.trim(), savedAt: new Date().toISOString() };
  });
  ctx.log.write("login.provider_key", { provider: provider.id });
  if (json) ctx.io.json({ stored: provider.id, path: ctx.store.path });
  else ctx.io.out(`Stored your ${provider.name} API key in ${ctx.store.path}`);
  if (ctx.env[provider.envVar]?.trim()) {
    ctx.io.err(
      `mogplex: note: ${provider.envVar} is set in your environment and takes precedence over the stored key`,
    );
  }
}
