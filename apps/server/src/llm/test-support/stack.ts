// One server for a model endpoint test file: the real app over the test database, a scripted OpenAI-compatible
// upstream on loopback whose key (a sentinel) is the server's, debug logs captured, every answer kept so the file
// can check the key reached none of them, nor a log line, a data file or a database row.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createOpenAICompatible, type OpenAICompatibleProvider } from "@ai-sdk/openai-compatible";
import { sql } from "kysely";
import { expect } from "vitest";
import { type ScriptedModel, startScriptedModel } from "../../engine/test-support/scripted-model.js";
import { createLogger } from "../../logger.js";
import { BASE, createHarness, type Harness } from "../../test-support/harness.js";

export const KEY = "sk-oc-SENTINEL-llm-9b3e71";
export const LLM = "/api/v1/mogplex/llm/v1";
export const MODEL = "openai-compatible/scripted-coder";

export interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read into the answers freely
  json: any;
  res: Response;
}

export interface LlmStack {
  h: Harness;
  model: ScriptedModel;
  /** Every answer body and header list seen so far. */
  answers: string[];
  call(
    method: string,
    path: string,
    o?: { token?: string; body?: unknown; cookie?: string },
  ): Promise<Answer>;
  chat(token: string, body: Record<string, unknown>): Promise<Answer>;
  /** The AI SDK's openai-compatible provider at the endpoint (as the terminal agent uses it), answered in process. */
  sdk(apiKey: string): OpenAICompatibleProvider;
  usageRows(
    teamId: string,
  ): Promise<
    Array<{ model: string; user_id: string; input_tokens: number; output_tokens: number; outcome: string }>
  >;
  /**
   * A streamed request whose client goes away once `arrived()` says the upstream has it; then the outcome of the
   * team's latest usage row, polled until it reads "aborted" (or 20 s pass).
   */
  goAway(
    token: string,
    teamId: string,
    model: string,
    marker: string,
    arrived: () => boolean,
  ): Promise<unknown>;
  /** The sentinel key is in no answer, log line, data file or (PostgreSQL) database row. */
  assertKeyNowhere(): Promise<void>;
  close(): Promise<void>;
}

export async function startLlmStack(env: Record<string, string> = {}): Promise<LlmStack> {
  const model = await startScriptedModel();
  let logs = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const h = await createHarness({
    env: {
      MOGPLEX_OPENAI_COMPATIBLE_BASE_URL: model.baseURL,
      MOGPLEX_OPENAI_COMPATIBLE_API_KEY: KEY,
      MOGPLEX_DEFAULT_MODEL: MODEL,
      ...env,
    },
    logger: createLogger("debug", sink),
  });
  const answers: string[] = [];
  const usageRows: LlmStack["usageRows"] = (teamId) =>
    h.s.db.db
      .selectFrom("llm_usage")
      .select(["model", "user_id", "input_tokens", "output_tokens", "outcome"])
      .where("team_id", "=", teamId)
      .orderBy("created_at")
      .execute();
  const call: LlmStack["call"] = async (method, path, o = {}) => {
    const res = await h.request(method, path, o);
    const text = await res.text();
    answers.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, text, json: text.startsWith("{") ? JSON.parse(text) : null, res };
  };
  return {
    h,
    model,
    answers,
    call,
    sdk: (apiKey) =>
      createOpenAICompatible({
        name: "mogplex",
        baseURL: `${BASE}${LLM}`,
        apiKey,
        includeUsage: true,
        fetch: async (url, init) => {
          const res = await h.app.request(String(url), init as RequestInit);
          void res
            .clone()
            .text()
            .then((t) => answers.push(t));
          return res;
        },
      }),
    chat: (token, body) =>
      call("POST", `${LLM}/chat/completions`, { token, body: { model: MODEL, ...body } }),
    async goAway(token, teamId, model, marker, arrived) {
      const ac = new AbortController();
      const pending = h.app.request(`${BASE}${LLM}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: marker }] }),
        signal: ac.signal,
      });
      const deadline = Date.now() + 20_000;
      while (!arrived() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await Promise.resolve(pending).catch(() => {});
      let last: unknown;
      while (Date.now() < deadline) {
        last = (await usageRows(teamId)).at(-1)?.outcome;
        if (last === "aborted") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return last;
    },
    usageRows,
    async assertKeyNowhere() {
      expect(answers.length).toBeGreaterThan(5);
      expect(logs).toContain('"msg":"llm request"');
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else files.push(readFileSync(p, "latin1"));
        }
      };
      walk(h.dataDir);
      let db = "";
      if (h.dialect === "postgres") {
        const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(h.s.db.db);
        for (const { t } of tables.rows)
          db += JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(h.s.db.db)).rows);
      }
      for (const text of [...answers, logs, ...files, db]) expect(text.includes(KEY)).toBe(false);
    },
    async close() {
      await h.close();
      await model.close();
    },
  };
}
