import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { writePrivateJson } from "./private-file.js";
import { MODEL_PROVIDERS, PAT_RE } from "./providers.js";

export interface StoredKey {
  type: "api_key";
  key: string;
  savedAt: string;
}

/** The account login (layer 3): a PAT minted for this CLI, bound to the server it came from. */
export interface StoredLogin {
  type: "mogplex";
  url: string;
  token: string;
  prefix: string;
  expiresAt: string | null;
  method: "browser" | "device" | "token";
  savedAt: string;
}

export interface AuthData {
  mogplex?: StoredLogin;
  /** Provider id → key, for the model providers only. */
  keys: Record<string, StoredKey>;
  /** Entries this version doesn't understand, kept as they were on rewrite. */
  other: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function parseLogin(v: unknown): StoredLogin | undefined {
  if (!isObject(v) || v.type !== "mogplex") return undefined;
  if (typeof v.url !== "string" || typeof v.token !== "string" || !PAT_RE.test(v.token)) return undefined;
  const method = v.method === "browser" || v.method === "device" ? v.method : "token";
  return {
    type: "mogplex",
    url: v.url,
    token: v.token,
    prefix: v.token.slice(0, 12),
    expiresAt: typeof v.expiresAt === "string" ? v.expiresAt : null,
    method,
    savedAt: typeof v.savedAt === "string" ? v.savedAt : "",
  };
}

export class AuthStore {
  readonly path: string;

  constructor(
    readonly home: string,
    private readonly warn: (line: string) => void = () => {},
  ) {
    this.path = join(home, "auth.json");
  }

  /** Every secret value in the file, so the session log can scrub them. */
  static secrets(data: AuthData): string[] {
    return [...(data.mogplex ? [data.mogplex.token] : []), ...Object.values(data.keys).map((k) => k.key)];
  }

  read(): AuthData {
    let text: string;
    try {
      const mode = statSync(this.path).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        chmodSync(this.path, 0o600);
        this.warn(
          `mogplex: ${this.path} was readable by others (mode ${mode.toString(8)}); tightened to 600`,
        );
      }
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { keys: {}, other: {} };
      throw new ConfigError(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // Never quote the content: it holds credentials.
      throw new ConfigError(`${this.path} is not valid JSON; fix it or delete it and sign in again`);
    }
    if (!isObject(raw)) throw new ConfigError(`${this.path} must hold a JSON object`);
    const data: AuthData = { keys: {}, other: {} };
    for (const [id, entry] of Object.entries(raw)) {
      const login = id === "mogplex" ? parseLogin(entry) : undefined;
      if (login) data.mogplex = login;
      else if (
        MODEL_PROVIDERS.some((p) => p.id === id) &&
        isObject(entry) &&
        entry.type === "api_key" &&
        typeof entry.key === "string" &&
        entry.key !== ""
      ) {
        data.keys[id] = { type: "api_key", key: entry.key, savedAt: String(entry.savedAt ?? "") };
      } else data.other[id] = entry;
    }
    return data;
  }

  write(data: AuthData): void {
    const out: Record<string, unknown> = { ...data.other, ...data.keys };
    if (data.mogplex) out.mogplex = data.mogplex;
    writePrivateJson(this.path, out);
  }

  update(change: (data: AuthData) => void): AuthData {
    const data = this.read();
    change(data);
    this.write(data);
    return data;
  }
}
