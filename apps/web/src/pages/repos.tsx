// Repos: the team's repositories; owners and admins can add one by clone URL.
import { type FormEvent, useId, useState } from "react";
import { get, post } from "../api.js";
import { Link } from "../router.js";
import { useSession } from "../session.js";
import { atLeast, type Repo } from "../types.js";
import { CopyButton, Empty, ErrorNote, Loaded, PageTitle, TableWrap, Time, useAsync } from "../ui.js";

function AddRepo({ onAdded }: { onAdded: (r: Repo) => void }) {
  const ids = { name: useId(), url: useId(), branch: useId(), root: useId() };
  const [fullName, setFullName] = useState("");
  const [cloneUrl, setCloneUrl] = useState("");
  const [branch, setBranch] = useState("main");
  const [root, setRoot] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { repo } = await post<{ repo: Repo }>("/api/web/repos", {
        fullName: fullName.trim(),
        cloneUrl: cloneUrl.trim(),
        defaultBranch: branch.trim() || undefined,
        rootDirectory: root.trim() || undefined,
      });
      setFullName("");
      setCloneUrl("");
      setRoot("");
      onAdded(repo);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="card stack" aria-labelledby="add-h">
      <h2 id="add-h">Add a repo</h2>
      <div className="row">
        <p>
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            value={fullName}
            onChange={(e) => setFullName(e.target.value)}
            required
            placeholder="owner/name"
            pattern="[A-Za-z0-9._\-]+/[A-Za-z0-9._\-]+"
          />
        </p>
        <p className="grow">
          <label htmlFor={ids.url}>Clone URL</label>
          <input
            id={ids.url}
            value={cloneUrl}
            onChange={(e) => setCloneUrl(e.target.value)}
            required
            placeholder="https://github.com/owner/name.git"
            aria-describedby={`${ids.url}-hint`}
            spellCheck={false}
          />
          <span className="hint" id={`${ids.url}-hint`}>
            https, ssh or git@host:path. A repository on the server's own disk is added by the operator with{" "}
            <code>mogplex admin add-repo</code>.
          </span>
        </p>
      </div>
      <div className="row">
        <p>
          <label htmlFor={ids.branch}>Default branch</label>
          <input id={ids.branch} value={branch} onChange={(e) => setBranch(e.target.value)} />
        </p>
        <p>
          <label htmlFor={ids.root}>Root directory (optional)</label>
          <input
            id={ids.root}
            value={root}
            onChange={(e) => setRoot(e.target.value)}
            placeholder="e.g. apps/api"
          />
        </p>
      </div>
      <ErrorNote error={error} title="Repo not added" />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Adding…" : "Add repo"}
        </button>
      </div>
    </form>
  );
}

export function ReposPage() {
  const { role } = useSession();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const searchId = useId();
  const list = useAsync(
    (signal) =>
      get<{ repos: Repo[]; nextCursor: string | null }>(
        `/api/web/repos${query ? `?q=${encodeURIComponent(query)}` : ""}`,
        signal,
      ),
    [query],
  );
  const [added, setAdded] = useState<Repo | null>(null);
  return (
    <>
      <PageTitle sub="Repositories your team's runs work on.">Repos</PageTitle>
      {atLeast(role, "admin") ? (
        <AddRepo
          onAdded={(r) => {
            setAdded(r);
            list.reload();
          }}
        />
      ) : null}
      {added ? (
        <p className="notice" role="status">
          Added <strong>{added.fullName}</strong>.
        </p>
      ) : null}
      <search>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(q.trim());
          }}
        >
          <label htmlFor={searchId}>Search repos</label>
          <input id={searchId} type="search" value={q} onChange={(e) => setQ(e.target.value)} />
          <button type="submit" className="secondary">
            Search
          </button>
        </form>
      </search>
      <Loaded a={list} what="repos">
        {({ repos }) =>
          repos.length === 0 ? (
            <Empty>
              {query ? (
                <p>No repos match “{query}”.</p>
              ) : atLeast(role, "admin") ? (
                <p>No repos yet. Add one above.</p>
              ) : (
                <p>No repos yet. An owner or admin of your team can add one.</p>
              )}
            </Empty>
          ) : (
            <TableWrap label="Repos">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Default branch</th>
                    <th scope="col">Root directory</th>
                    <th scope="col">Added</th>
                    <th scope="col">Id (for the CLI)</th>
                  </tr>
                </thead>
                <tbody>
                  {repos.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link to={`/repos/${encodeURIComponent(r.id)}/settings`}>{r.fullName}</Link>
                      </td>
                      <td>
                        <code>{r.defaultBranch}</code>
                      </td>
                      <td>
                        {r.rootDirectory ? (
                          <code>{r.rootDirectory}</code>
                        ) : (
                          <span className="muted">repo root</span>
                        )}
                      </td>
                      <td>
                        <Time iso={r.createdAt} />
                      </td>
                      <td className="nowrap">
                        <code>{r.id}</code>{" "}
                        <CopyButton text={r.id} label="Copy id" name={`Copy id of ${r.fullName}`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Loaded>
    </>
  );
}
