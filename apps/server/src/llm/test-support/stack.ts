// One server for a model endpoint test file: the real app over the test database, a scripted OpenAI-compatible
// upstream on loopback whose key (a sentinel) is the server's, debug logs captured, every answer kept so the file
// can check the key reached none of them, nor a log line, a data file or a database row.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { expect } from "vitest";
import { type ScriptedModel, startScriptedModel } from "../../engine/test-support/scripted-model.js";
import { createLogger } from "../../logger.js";
import { createHarness, type Harness } from "../../test-support/harness.js";

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
  usageRows(
    teamId: string,
  ): Promise<
    Array<{ model: string; user_id: string; input_tokens: number; output_tokens: number; outcome: string }>
  >;
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
    chat: (token, body) =>
      call("POST", `${LLM}/chat/completions`, { token, body: { model: MODEL, ...body } }),
    usageRows: (teamId) =>
      h.s.db.db
        .selectFrom("llm_usage")
        .select(["model", "user_id", "input_tokens", "output_tokens", "outcome"])
        .where("team_id", "=", teamId)
        .orderBy("created_at")
        .execute(),
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
