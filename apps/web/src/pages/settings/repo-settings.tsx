// A repo's run settings: install command, dev command and port (previews), environment source. Everyone in the
// team sees them; owners and admins change them.
import { type FormEvent, useState } from "react";
import { api, get } from "../../api.js";
import { TextField } from "../../fields.js";
import { Link } from "../../router.js";
import { useSession } from "../../session.js";
import { atLeast, type Repo } from "../../types.js";
import { ErrorNote, Loaded, Notice, PageTitle, useAction, useAsync } from "../../ui.js";

function SettingsForm({ repo, onSaved }: { repo: Repo; onSaved: (r: Repo) => void }) {
  const [install, setInstall] = useState(repo.installCommand ?? "");
  const [dev, setDev] = useState(repo.devCommand ?? "");
  const [port, setPort] = useState(repo.port === null ? "" : String(repo.port));
  const [envSource, setEnvSource] = useState(repo.environmentSource ?? "");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      const p = port.trim();
      const { repo: next } = await api<{ repo: Repo }>(
        "PATCH",
        `/api/web/repos/${encodeURIComponent(repo.id)}`,
        {
          body: {
            installCommand: install.trim() || null,
            devCommand: dev.trim() || null,
            port: p === "" ? null : /^\d+$/.test(p) ? Number(p) : p,
            environmentSource: envSource.trim() || null,
          },
        },
      );
      setSaved(true);
      onSaved(next);
    });
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby="repo-settings-h">
      <h2 id="repo-settings-h">Run settings</h2>
      <TextField
        label="Install command"
        value={install}
        onChange={setInstall}
        maxLength={2000}
        placeholder="npm ci"
        autoComplete="off"
        spellCheck={false}
        hint="Runs in the sandbox after cloning, before the agent starts. Empty: none."
      />
      <div className="row">
        <TextField
          label="Dev command"
          lineClass="grow"
          value={dev}
          onChange={setDev}
          maxLength={2000}
          placeholder="npm run dev"
          autoComplete="off"
          spellCheck={false}
          hint="Started after setup for the run's preview. Empty: no preview."
        />
        <TextField
          label="Port"
          value={port}
          onChange={setPort}
          inputMode="numeric"
          placeholder="5173"
          autoComplete="off"
          hint="The port the dev command listens on (1024–65535)."
        />
      </div>
      <TextField
        label="Environment source"
        value={envSource}
        onChange={setEnvSource}
        maxLength={64}
        placeholder="connection:app-env"
        autoComplete="off"
        spellCheck={false}
        hint="connection:<name>: a team connection whose stored env values the sandbox gets. Empty: none."
      />
      <ErrorNote error={error} title="Settings not saved" />
      {saved ? <Notice>Saved. New runs use these settings.</Notice> : null}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  );
}

export function RepoSettingsPage({ id }: { id: string }) {
  const { role, team } = useSession();
  const repo = useAsync(
    (signal) => get<{ repo: Repo }>(`/api/web/repos/${encodeURIComponent(id)}`, signal),
    [id, team?.teamId],
  );
  const [current, setCurrent] = useState<Repo | null>(null);
  return (
    <Loaded a={repo} what="the repo">
      {(d) => {
        const r = current ?? d.repo;
        return (
          <>
            <PageTitle sub={<Link to="/repos">All repos</Link>}>{r.fullName}</PageTitle>
            {atLeast(role, "admin") ? (
              <SettingsForm repo={r} onSaved={setCurrent} />
            ) : (
              <section className="card" aria-labelledby="repo-settings-h">
                <h2 id="repo-settings-h">Run settings</h2>
                <dl className="facts">
                  <dt>Install command</dt>
                  <dd>{r.installCommand ? <code>{r.installCommand}</code> : "None"}</dd>
                  <dt>Dev command</dt>
                  <dd>{r.devCommand ? <code>{r.devCommand}</code> : "None"}</dd>
                  <dt>Port</dt>
                  <dd>{r.port ?? "None"}</dd>
                  <dt>Environment source</dt>
                  <dd>{r.environmentSource ? <code>{r.environmentSource}</code> : "None"}</dd>
                </dl>
                <p className="hint">Owners and admins of the team change these.</p>
              </section>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
