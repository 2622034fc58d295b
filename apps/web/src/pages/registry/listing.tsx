// One listing: what it is, how to install it, and every release with its scan status, the archive's SHA-256
// and each file's hash as recorded and signed at publish. Outsiders see published releases only.
import { useState } from "react";
import { Link } from "../../router.js";
import {
  CopyButton,
  Empty,
  ErrorNote,
  Loaded,
  Notice,
  PageTitle,
  TableWrap,
  Time,
  useAction,
  useAsync,
} from "../../ui.js";
import {
  type Entitlement,
  type ListingDetail,
  Price,
  type ReleaseSummary,
  registry,
  ScanBadge,
  ScanReason,
} from "./shared.js";

function ReleaseCard({ r, name }: { r: ReleaseSummary; name: string }) {
  const headingId = `release-${r.releaseId}`;
  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {name}@{r.version} <ScanBadge status={r.scanStatus} />
      </h3>
      <dl className="facts">
        <dt>Scan</dt>
        <dd>
          {r.scanStatus}
          {r.reason ? (
            <>
              {" "}
              (reason: <ScanReason reason={r.reason} />)
            </>
          ) : null}
        </dd>
        <dt>Published</dt>
        <dd>
          <Time iso={r.publishedAt} empty="not published" />
        </dd>
        <dt>Archive SHA-256</dt>
        <dd>
          {r.sha256 ? (
            <>
              <code className="mono" data-testid="archive-sha256">
                {r.sha256}
              </code>{" "}
              <CopyButton text={r.sha256} label="Copy" name={`Copy the SHA-256 of ${name}@${r.version}`} />
            </>
          ) : (
            <span className="muted">recorded when the release passes the scan</span>
          )}
        </dd>
        <dt>Release id</dt>
        <dd>
          <code>{r.releaseId}</code>
        </dd>
      </dl>
      {r.files && r.files.length > 0 ? (
        <details>
          <summary>
            {r.files.length} file{r.files.length === 1 ? "" : "s"} and their SHA-256
          </summary>
          <TableWrap label={`Files of ${r.version}`}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">Size</th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {r.files.map((f) => (
                  <tr key={f.path}>
                    <td>
                      <code>{f.path}</code>
                    </td>
                    <td className="nowrap">{f.size.toLocaleString()} B</td>
                    <td>
                      <code className="mono hash">{f.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </details>
      ) : null}
    </section>
  );
}

function Acquire({ l }: { l: ListingDetail }) {
  const act = useAction();
  const [got, setGot] = useState<Entitlement | null>(null);
  const install = `mog install ${l.name}`;
  return (
    <section className="card stack" aria-labelledby="get-h">
      <h2 id="get-h">Get it</h2>
      <p className="copy-row">
        <code>{install}</code> <CopyButton text={install} label="Copy command" />
      </p>
      {l.priceCents > 0 ? (
        <p className="hint">
          This listing costs <Price cents={l.priceCents} />. It is bought with <code>mog install</code>: the
          token's spend policy applies, and a purchase over it waits for an owner's approval.
        </p>
      ) : got ? (
        <Notice>
          You have {got.name} ({got.status}). <Link to="/registry/entitlements">Your entitlements</Link>
        </Notice>
      ) : (
        <>
          <p className="hint">Free. Acquiring it lets you (and mog with your token) download it.</p>
          <ErrorNote error={act.error} title="Not acquired" />
          <div className="actions">
            <button
              type="button"
              disabled={act.busy}
              onClick={() =>
                void act.run(async () => {
                  setGot((await registry.acquire(l.name)).entitlement);
                })
              }
            >
              {act.busy ? "Acquiring…" : "Acquire"}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

export function RegistryListingPage({ vendor, slug }: { vendor: string; slug: string }) {
  const a = useAsync((signal) => registry.listing(vendor, slug, signal), [vendor, slug]);
  return (
    <>
      <p className="crumbs">
        <Link to="/registry">Registry</Link>
      </p>
      <Loaded a={a} what="the package">
        {({ listing: l }) => (
          <>
            <PageTitle sub={l.description || undefined}>{l.name}</PageTitle>
            <dl className="facts">
              <dt>Vendor</dt>
              <dd>{l.vendor}</dd>
              <dt>Type</dt>
              <dd>{l.type}</dd>
              <dt>Visibility</dt>
              <dd>{l.visibility === "public" ? "public" : "the vendor's team only"}</dd>
              <dt>Price</dt>
              <dd>
                <Price cents={l.priceCents} />
              </dd>
              <dt>Latest version</dt>
              <dd>{l.latestVersion ?? <span className="muted">none published yet</span>}</dd>
            </dl>
            {l.latestVersion ? <Acquire l={l} /> : null}
            <h2>Releases</h2>
            {l.releases.length === 0 ? (
              <Empty>No releases.</Empty>
            ) : (
              l.releases.map((r) => <ReleaseCard key={r.releaseId} r={r} name={l.name} />)
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
