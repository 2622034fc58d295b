// Settings → Connections, for owners and admins: which team tools runs may ask for at all. Off: a run may name
// any tool its starter can call through the gateway; on: only the patterns listed (server__tool, server__*,
// rest:<connection>).
import { type FormEvent, useEffect, useId, useState } from "react";
import { api, get } from "../api.js";
import { splitList, TextAreaField } from "../fields.js";
import { ErrorNote, Loaded, useAction, useAsync } from "../ui.js";

interface Policy {
  tools: string[] | null;
}

export function RunToolsPolicyCard({ teamId }: { teamId: string }) {
  const headingId = useId();
  const path = `/api/teams/${encodeURIComponent(teamId)}/run-tools-policy`;
  const current = useAsync((signal) => get<Policy>(path, signal), [path]);
  const [limited, setLimited] = useState(false);
  const [text, setText] = useState("");
  const [saved, setSaved] = useState("");
  const { busy, error, run } = useAction();
  useEffect(() => {
    if (!current.data) return;
    setLimited(current.data.tools !== null);
    setText((current.data.tools ?? []).join("\n"));
  }, [current.data]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved("");
    void run(async () => {
      const tools = limited ? [...new Set(splitList(text))] : null;
      const next = await api<Policy>("PATCH", path, { body: { tools } });
      setText((next.tools ?? []).join("\n"));
      setSaved(next.tools === null ? "Runs may ask for any tool their starter can call." : "Saved.");
    });
  };

  return (
    <form onSubmit={submit} className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Tools runs may use</h2>
      <Loaded a={current} what="the run tool policy">
        {() => (
          <>
            <p>
              A run names the team tools it may call when it starts. They run on the server, through the
              gateway for MCP servers; their credentials never enter the run's sandbox.
            </p>
            <label className="check">
              <input type="checkbox" checked={limited} onChange={(e) => setLimited(e.target.checked)} /> Only
              let runs ask for these tools
            </label>
            {limited ? (
              <TextAreaField
                label="Allowed tools"
                value={text}
                onChange={setText}
                rows={3}
                spellCheck={false}
                placeholder={"everything__echo\nfiles__*\nrest:crm"}
                hint="One per line: server__tool, server__* (every tool of that server) or rest:<connection>. Empty: no tools at all."
              />
            ) : null}
            <ErrorNote error={error} title="Not saved" />
            {saved ? <p role="status">{saved}</p> : null}
            <div className="actions">
              <button type="submit" disabled={busy}>
                {busy ? "Saving…" : "Save tool policy"}
              </button>
            </div>
          </>
        )}
      </Loaded>
    </form>
  );
}
