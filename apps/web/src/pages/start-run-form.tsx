// "Start a run" on the runs page: a repo, a prompt and, optionally, a model, a base branch, team tools and packages. Each submission
// carries an Idempotency-Key, kept while the same request is retried, so a retry never starts a second run.
import { type FormEvent, useId, useRef, useState } from "react";
import { api } from "../api.js";
import { SelectField, splitList, TextAreaField, TextField } from "../fields.js";
import { navigate } from "../router.js";
import type { Repo, Run } from "../types.js";
import { ErrorNote, useAction } from "../ui.js";

/** randomUUID only exists in secure contexts; a plain-http install falls back to 128 random bits. */
function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** "a__b, rest:c  d__*" → ["a__b", "rest:c", "d__*"], each once (tools and packages alike). */
function toolList(text: string): string[] {
  return [...new Set(splitList(text))];
}

export function StartRunForm({ repos }: { repos: Repo[] }) {
  const headingId = useId();
  const [repoId, setRepoId] = useState(repos[0]?.id ?? "");
  const [prompt, setPrompt] = useState("");
  const [model, setModel] = useState("");
  const [baseBranch, setBaseBranch] = useState("");
  const [tools, setTools] = useState("");
  const [packages, setPackages] = useState("");
  const { busy, error, run } = useAction();
  // The key of the last request sent and what it asked for: an unchanged form retries under the same key.
  const attempt = useRef<{ key: string; request: string } | null>(null);
  const repo = repos.find((r) => r.id === repoId);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const toolNames = toolList(tools);
      const packageSpecs = toolList(packages);
      const body = {
        repoId,
        prompt,
        ...(model.trim() ? { model: model.trim() } : {}),
        ...(baseBranch.trim() ? { baseBranch: baseBranch.trim() } : {}),
        ...(toolNames.length > 0 ? { tools: toolNames } : {}),
        ...(packageSpecs.length > 0 ? { packages: packageSpecs } : {}),
      };
      const request = JSON.stringify(body);
      if (attempt.current?.request !== request) attempt.current = { key: newKey(), request };
      const started = await api<{ run: Run; replayed: boolean }>("POST", "/api/web/runs", {
        body,
        headers: { "idempotency-key": attempt.current.key },
      });
      attempt.current = null;
      navigate(`/runs/${encodeURIComponent(started.run.id)}`);
    });
  };

  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Start a run</h2>
      <SelectField
        label="Repo"
        value={repoId}
        options={repos.map((r) => [r.id, r.fullName] as const)}
        onChange={setRepoId}
      />
      <TextAreaField
        label="Prompt"
        value={prompt}
        onChange={setPrompt}
        required
        maxLength={100_000}
        rows={4}
        hint="What the agent should do, as you would ask a colleague."
      />
      <div className="row">
        <TextField
          label="Model (optional)"
          value={model}
          onChange={setModel}
          maxLength={200}
          placeholder="provider/model-id"
          autoComplete="off"
          spellCheck={false}
          hint="Empty: the team's default model, else the server's (MOGPLEX_DEFAULT_MODEL)."
        />
        <TextField
          label="Base branch (optional)"
          value={baseBranch}
          onChange={setBaseBranch}
          maxLength={255}
          placeholder={repo?.defaultBranch}
          autoComplete="off"
          spellCheck={false}
          hint="Empty: the repo's default branch. The agent works on a new branch from it."
        />
      </div>
      <TextField
        label="Team tools (optional)"
        value={tools}
        onChange={setTools}
        maxLength={4000}
        placeholder="server__tool, server__*, rest:connection"
        autoComplete="off"
        spellCheck={false}
        hint="MCP tools and REST connections the agent may call, separated by commas. They run on the server; their credentials never enter the sandbox. Empty: none."
      />
      <TextField
        label="Packages (optional)"
        value={packages}
        onChange={setPackages}
        maxLength={3000}
        placeholder="vendor/slug@1.2.3"
        autoComplete="off"
        spellCheck={false}
        hint="Registry packages to install into the workspace before the agent starts (exact versions, separated by commas), verified like mog install. Empty: none."
      />
      <ErrorNote error={error} title="Run not started" />
      <div className="actions">
        <button type="submit" disabled={busy || !repoId}>
          {busy ? "Starting…" : "Start run"}
        </button>
      </div>
    </form>
  );
}
