// Registry browse: search the listings you can see (every public one, and your own teams' private ones).
import { useId, useState } from "react";
import { Link } from "../../router.js";
import { Empty, ErrorNote, Loaded, PageTitle, TableWrap, Time, useAsync } from "../../ui.js";
import { type Listing, PACKAGE_TYPES, Price, packagePath, registry } from "./shared.js";

export function RegistryBrowsePage() {
  const ids = { q: useId(), type: useId() };
  const [q, setQ] = useState("");
  const [type, setType] = useState("");
  const [query, setQuery] = useState({ q: "", type: "" });
  const [more, setMore] = useState<{ rows: Listing[]; cursor: string | null; error: unknown }>({
    rows: [],
    cursor: null,
    error: null,
  });
  const params = (cursor?: string) => {
    const p = new URLSearchParams({ limit: "50" });
    if (query.q) p.set("q", query.q);
    if (query.type) p.set("type", query.type);
    if (cursor) p.set("cursor", cursor);
    return p;
  };
  const list = useAsync(
    async (signal) => {
      const page = await registry.search(params(), signal);
      setMore({ rows: [], cursor: page.nextCursor, error: null });
      return page;
    },
    [query.q, query.type],
  );
  const loadMore = async () => {
    if (!more.cursor) return;
    try {
      const page = await registry.search(params(more.cursor));
      setMore((m) => ({ rows: [...m.rows, ...page.packages], cursor: page.nextCursor, error: null }));
    } catch (error) {
      setMore((m) => ({ ...m, error }));
    }
  };
  return (
    <>
      <PageTitle sub="Skills, rules, MCP servers, bundles and templates published on this server. Install them with mog.">
        Registry
      </PageTitle>
      <search>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ q: q.trim(), type });
          }}
        >
          <label htmlFor={ids.q}>Search packages</label>
          <input id={ids.q} type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} />
          <label htmlFor={ids.type}>Type</label>
          <select id={ids.type} value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Any type</option>
            {PACKAGE_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <button type="submit" className="secondary">
            Search
          </button>
        </form>
      </search>
      <Loaded a={list} what="packages">
        {({ packages }) => {
          const rows = [...packages, ...more.rows];
          if (rows.length === 0)
            return (
              <Empty>
                {query.q || query.type ? (
                  <p>No packages match.</p>
                ) : (
                  <p>
                    Nothing is published yet. A team publishes from its{" "}
                    <Link to="/registry/vendor">vendor page</Link> or with <code>mog publish</code>.
                  </p>
                )}
              </Empty>
            );
          return (
            <>
              <TableWrap label="Packages">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Package</th>
                      <th scope="col">Type</th>
                      <th scope="col">Description</th>
                      <th scope="col">Latest</th>
                      <th scope="col">Price</th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((l) => (
                      <tr key={l.name}>
                        <td>
                          <Link to={packagePath(l.name)}>{l.name}</Link>
                          {l.visibility === "team" ? <span className="badge">team only</span> : null}
                        </td>
                        <td>{l.type}</td>
                        <td>{l.description || <span className="muted">—</span>}</td>
                        <td>
                          {l.latestVersion ? (
                            <code>{l.latestVersion}</code>
                          ) : (
                            <span className="muted">not published</span>
                          )}
                        </td>
                        <td>
                          <Price cents={l.priceCents} />
                        </td>
                        <td>
                          <Time iso={l.updatedAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <ErrorNote error={more.error} title="Could not load more" />
              {more.cursor ? (
                <p className="pager">
                  <button type="button" className="secondary" onClick={() => void loadMore()}>
                    Load more
                  </button>
                </p>
              ) : null}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
