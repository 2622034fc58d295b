// /oauth/consent: an MCP client (Claude, Cursor, VS Code…) connecting by OAuth asks to use the gateway. The
// person sees the client's name and where it will be sent back, picks the team's servers and tools it may use
// (named as the gateway names them, e.g. everything__echo), and allows or denies. The browser then goes on to
// the client's registered redirect URI, by script (so the page's form-action CSP stays 'self').
import type { OAuthConsentInfo } from "@mogplex/contract";
import { useId, useState } from "react";
import { get, post } from "../../api.js";
import { AllowlistField, allowlistBody, TextField } from "../../fields.js";
import { useSession } from "../../session.js";
import { ErrorNote, Loaded, PageTitle, useAsync } from "../../ui.js";

function TeamChoice() {
  const { info, team, chooseTeam } = useSession();
  const id = useId();
  if (info.teams.length < 2) return null;
  return (
    <p>
      <label htmlFor={id}>Team</label>
      <select id={id} value={team?.teamId ?? ""} onChange={(e) => chooseTeam(e.target.value)}>
        {info.teams.map((t) => (
          <option key={t.teamId} value={t.teamId}>
            {t.name} ({t.role})
          </option>
        ))}
      </select>
    </p>
  );
}

function ServerTools({
  server,
  chosen,
  toggle,
}: {
  server: OAuthConsentInfo["servers"][number];
  chosen: Set<string>;
  toggle: (tool: string, on: boolean) => void;
}) {
  return (
    <fieldset>
      <legend>
        <code>{server.name}</code>
      </legend>
      {server.tools.length === 0 ? (
        <p className="hint">This server listed no tools just now.</p>
      ) : (
        server.tools.map((tool) => (
          <label key={tool} className="check">
            <input
              type="checkbox"
              checked={chosen.has(tool)}
              onChange={(e) => toggle(tool, e.target.checked)}
            />{" "}
            <code>{tool}</code>
          </label>
        ))
      )}
    </fieldset>
  );
}

const SCOPES = [
  { scope: "read", label: "read: list repos, runs, their events and sandboxes" },
  { scope: "write", label: "write: start and cancel runs" },
] as const;

function ScopeChoice({ chosen, toggle }: { chosen: Set<string>; toggle: (s: string, on: boolean) => void }) {
  return (
    <fieldset>
      <legend>Platform API</legend>
      {SCOPES.map((s) => (
        <label key={s.scope} className="check">
          <input
            type="checkbox"
            checked={chosen.has(s.scope)}
            onChange={(e) => toggle(s.scope, e.target.checked)}
          />{" "}
          {s.label}
        </label>
      ))}
    </fieldset>
  );
}

function ConsentForm({ data, oauthQuery }: { data: OAuthConsentInfo; oauthQuery: string }) {
  const platform = data.resource === "platform";
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [rps, setRps] = useState("");
  const [nets, setNets] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (tool: string, on: boolean) =>
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(tool);
      else next.delete(tool);
      return next;
    });
  const decide = async (accept: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const picked = [...chosen].sort();
      const servers = [...new Set(picked.map((t) => t.slice(0, t.indexOf("__"))))];
      const limits = { ...(rps.trim() ? { rateLimitRps: Number(rps) } : {}), ...allowlistBody(nets) };
      const choice = platform ? { scopes: picked, ...limits } : { servers, tools: picked, ...limits };
      const r = await post<{ redirect: string }>(
        "/api/oauth/consent",
        accept ? { oauthQuery, accept, ...choice } : { oauthQuery, accept },
      );
      window.location.assign(r.redirect);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form
      className="card stack"
      onSubmit={(e) => {
        e.preventDefault();
        void decide(true);
      }}
    >
      <p>
        <strong>{data.client.name}</strong> asks to use MCP servers of the team{" "}
        <strong>{data.team.name}</strong> through the Mogplex gateway. After you decide, you are sent back to{" "}
        <strong>{data.client.redirectHost}</strong>.
      </p>
      <TeamChoice />
      {data.canConsent ? (
        <>
          <p>
            Choose the tools it may call. It sees nothing else; you can disconnect it any time under Settings
            → Connected apps.
          </p>
          {platform ? <ScopeChoice chosen={chosen} toggle={toggle} /> : null}
          {!platform && data.servers.length === 0 ? (
            <p className="muted">This team has no MCP servers yet.</p>
          ) : null}
          {data.servers.map((s) => (
            <ServerTools key={s.name} server={s} chosen={chosen} toggle={toggle} />
          ))}
          <details>
            <summary>Limits (optional)</summary>
            <AllowlistField value={nets} onChange={setNets} what="app" />
            {platform ? null : (
              <TextField
                label="Rate limit (requests per second)"
                type="number"
                min={1}
                max={100_000}
                value={rps}
                onChange={setRps}
                hint="Empty: the server's default, as for a gateway key."
              />
            )}
          </details>
          <p className="warning">Only allow apps you just started connecting yourself.</p>
        </>
      ) : (
        <p className="warning">
          Viewers cannot connect apps to the gateway. Ask an admin to change your role, or choose another
          team.
        </p>
      )}
      <ErrorNote error={error} title="Not completed" />
      <div className="actions">
        {data.canConsent ? (
          <button type="submit" disabled={busy || chosen.size === 0}>
            Allow
          </button>
        ) : null}
        <button type="button" className="secondary" onClick={() => void decide(false)} disabled={busy}>
          Deny
        </button>
      </div>
    </form>
  );
}

export function OAuthConsentPage() {
  const { team } = useSession();
  // The query exactly as Better Auth signed it.
  const oauthQuery = window.location.search.slice(1);
  const info = useAsync(
    (signal) =>
      get<OAuthConsentInfo>(`/api/oauth/consent?oauthQuery=${encodeURIComponent(oauthQuery)}`, signal),
    [oauthQuery, team?.teamId],
  );
  return (
    <>
      <PageTitle>Connect an app to Mogplex?</PageTitle>
      <Loaded a={info} what="the app's request">
        {(data) => <ConsentForm data={data} oauthQuery={oauthQuery} />}
      </Loaded>
    </>
  );
}
