// End to end: a run whose commands print the credential corpus and whose model echoes credentials stores none
// of them (API, raw database bytes) and pushes none of them (commit message, branch name).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, API, dataOf, startRun } from "../runs/test-support/api.js";
import { CORPUS, leakProbes, leaks } from "../sanitize/test-support/corpus.js";
import type { Harness } from "../test-support/harness.js";
import { gitIn, untilTerminal } from "./test-support/engine.js";
import { type RunFixture, startRunFixture } from "./test-support/run-fixture.js";
import type { Reply, ScriptedModel } from "./test-support/scripted-model.js";

let h: Harness;
let model: ScriptedModel;
let a: Actor;
let remote: string;

let fixture: RunFixture;

beforeAll(async () => {
  fixture = await startRunFixture();
  ({ h, model, a, remote } = fixture);
});

afterAll(() => fixture.close());

/** Corpus lines in batches whose command and output stay under the engine's 1,900-char clip. */
function batches(maxChars = 1_400): string[] {
  const out: string[] = [];
  let current = "";
  for (const { line } of CORPUS) {
    if (current && current.length + line.length + 1 > maxChars) {
      out.push(current);
      current = "";
    }
    current += `${current ? "\n" : ""}${line}`;
  }
  if (current) out.push(current);
  return out;
}

const byName = (name: string) => CORPUS.find((e) => e.name === name)?.line as string;
// The model's last words echo a few credentials; they end up in the commit message unless redacted.
const FINAL_TEXT = [
  "Done. For the record:",
  byName("AWS id and secret in env form"),
  `PAT ${byName("Mogplex PAT")} and ${byName("GitHub classic PAT")}`,
  byName("Stripe live secret key"),
  byName("GitLab PAT"),
  byName("password="),
  byName("Anthropic key"),
].join("\n");

/** Every value stored anywhere in the database, as text: raw file bytes on SQLite, every row on PostgreSQL. */
async function databaseText(): Promise<string> {
  if (h.dialect === "sqlite") {
    const files = readdirSync(h.dataDir).filter((f) => /^mogplex\.db(-wal|-journal)?$/.test(f));
    expect(files).toContain("mogplex.db");
    return files.map((f) => readFileSync(join(h.dataDir, f)).toString("latin1")).join("\n");
  }
  const db = h.s.db.db;
  const tables = await sql<{ t: string }>`
    select table_name as t from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  let text = "";
  for (const { t } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(db);
    text += JSON.stringify(rows.rows);
  }
  return text;
}

describe("secrets in a run's output and final text", () => {
  it("are in none of the stored events, the database bytes or the pushed commit", async () => {
    const steps: Reply[] = batches().map((batch) => ({
      toolCalls: [{ name: "run_command", args: { command: `cat <<'MOGPLEX_EOF'\n${batch}\nMOGPLEX_EOF` } }],
    }));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    steps.push({ toolCalls: [{ name: "write_file", args: { path: "notes.txt", content: "checked\n" } }] });
    steps.push({ text: FINAL_TEXT });
    model.on("E2E-SECRETS", steps);

    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-SECRETS: print the config" });
    expect(r.status).toBe(202);
    const run = dataOf(r.body).run;
    const done = await untilTerminal(h, a.user.teamId, run.id, 60_000);
    expect(done.status).toBe("success");

    // Through the API, as a client sees them.
    const res = await h.json<{ ok: true; data: { events: Array<Record<string, unknown>> } }>(
      "GET",
      `${API}/runs/${run.id}/events?limit=200`,
      { token: a.token },
    );
    expect(res.status).toBe(200);
    const events = res.body.data.events;
    const apiText = JSON.stringify(events);
    // Not vacuous: every batch ran and its output, with the harmless parts, was stored.
    const outputs = events.filter((e) => e.type === "tool_finished" && e.toolName === "run_command");
    expect(outputs).toHaveLength(steps.length - 2);
    expect(apiText).toContain("AccountName=demo");
    expect(apiText).toContain("db.internal:5432/app");
    expect(apiText).toContain("[redacted]");
    expect(leaks(apiText)).toEqual([]);

    // The raw database: no copy of a secret in any page, WAL frame or row.
    const stored = await databaseText();
    expect(stored).toContain("AccountName=demo");
    expect(leaks(stored)).toEqual([]);

    // The pushed commit: message, branch name, and everything else reachable in the remote.
    const working = done.branch.working as string;
    const commit = events.find((e) => e.type === "commit")?.payload as { sha: string; message: string };
    expect(gitIn(remote, "rev-parse", `refs/heads/${working}`)).toBe(commit.sha);
    const message = gitIn(remote, "log", "-1", "--format=%B", working);
    expect(message).toContain("Done. For the record:");
    expect(message).toContain("[redacted]");
    expect(message).toContain(`Mogplex-Run: ${run.id}`);
    expect(leaks(message)).toEqual([]);
    const everything = [
      gitIn(remote, "for-each-ref", "--format=%(refname)"),
      gitIn(remote, "log", "--all", "-p", "--format=%H%n%B"),
      gitIn(remote, "cat-file", "-p", commit.sha),
    ].join("\n");
    expect(everything).toContain("checked");
    expect(leaks(everything)).toEqual([]);
  });

  it("hides a credential that the event's length cut would otherwise split", async () => {
    const token = byName("GitHub classic PAT");
    // The event keeps the first 1,045 and last 855 chars of a long output; put the cut 20 chars into the token.
    const header = "exit code: 0\n--- stdout ---\n";
    const before = "a".repeat(1_045 - header.length - 21);
    model.on("E2E-CUT-SECRET", [
      {
        toolCalls: [
          {
            name: "run_command",
            args: {
              command: `printf '%s ' '${before}'; echo '${token}'; head -c 3000 /dev/zero | tr '\\0' b`,
            },
          },
        ],
      },
      { text: "ok" },
    ]);
    const r = await startRun(h, a.token, { repoId: a.repoId, prompt: "E2E-CUT-SECRET" });
    const run = dataOf(r.body).run;
    const done = await untilTerminal(h, a.user.teamId, run.id, 60_000);
    expect(done.status).toBe("success");
    const res = await h.json<{ ok: true; data: { events: Array<Record<string, unknown>> } }>(
      "GET",
      `${API}/runs/${run.id}/events?limit=200`,
      { token: a.token },
    );
    const finished = res.body.data.events.find((e) => e.type === "tool_finished") as {
      payload: { output: string };
    };
    expect(finished.payload.output).toContain("chars omitted");
    expect(finished.payload.output).toContain("[redacted]");
    for (const probe of leakProbes(token)) expect(finished.payload.output).not.toContain(probe);
  });

  it("keeps a credential pasted into the prompt out of the generated branch and the commit subject", async () => {
    const token = byName("GitHub classic PAT");
    model.on("E2E-PROMPT-SECRET", [
      { toolCalls: [{ name: "write_file", args: { path: "prompt.txt", content: "done\n" } }] },
      { text: "ok" },
    ]);
    const r = await startRun(h, a.token, {
      repoId: a.repoId,
      prompt: `E2E-PROMPT-SECRET use ${token.toLowerCase()} to deploy`,
    });
    const done = await untilTerminal(h, a.user.teamId, dataOf(r.body).run.id, 60_000);
    expect(done.status).toBe("success");
    const working = done.branch.working as string;
    expect(working).toMatch(/^mogplex\/run\/\d{4}-\d{2}-\d{2}\/e2e-prompt-secret-use-redacted-to-deploy-/);
    const subject = gitIn(remote, "log", "-1", "--format=%s", working);
    expect(subject).toBe("E2E-PROMPT-SECRET use [redacted] to deploy");
    for (const probe of leakProbes(token.toLowerCase())) {
      expect(working).not.toContain(probe);
      expect(subject).not.toContain(probe);
    }
  });
});
