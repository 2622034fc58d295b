// The team's vendor page: create the vendor profile (owners and admins), upload a release zip and watch its
// sandboxed scan until it ends, and the team's own listings (private ones and unpublished ones included).
import { type FormEvent, useCallback, useEffect, useId, useState } from "react";
import { Link } from "../../router.js";
import { useSession } from "../../session.js";
import { atLeast } from "../../types.js";
import { Empty, ErrorNote, Loaded, PageTitle, TableWrap, useAction, useAsync } from "../../ui.js";
import {
  FINAL_SCAN,
  Price,
  packagePath,
  type Release,
  registry,
  ScanBadge,
  ScanReason,
  scanSentence,
  type Vendor,
} from "./shared.js";

function CreateVendor({ onCreated }: { onCreated: (v: Vendor) => void }) {
  const ids = { slug: useId(), name: useId() };
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => onCreated((await registry.createVendor(slug.trim(), name.trim())).vendor));
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby="vendor-h">
      <h2 id="vendor-h">Create your team's vendor</h2>
      <p className="hint">
        A team publishes under one vendor. Its slug names every package (vendor/slug) and can't change.
      </p>
      <div className="row">
        <p>
          <label htmlFor={ids.slug}>Vendor slug</label>
          <input
            id={ids.slug}
            value={slug}
            onChange={(e) => setSlug(e.target.value)}
            required
            minLength={2}
            maxLength={32}
            pattern="[a-z0-9]([a-z0-9\-]*[a-z0-9])?"
            aria-describedby={`${ids.slug}-hint`}
            spellCheck={false}
            autoComplete="off"
          />
          <span className="hint" id={`${ids.slug}-hint`}>
            2–32 lowercase letters, digits and hyphens
          </span>
        </p>
        <p className="grow">
          <label htmlFor={ids.name}>Display name</label>
          <input
            id={ids.name}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
          />
        </p>
      </div>
      <ErrorNote error={act.error} title="Vendor not created" />
      <div className="actions">
        <button type="submit" disabled={act.busy}>
          {act.busy ? "Creating…" : "Create vendor"}
        </button>
      </div>
    </form>
  );
}

/** Polls the release until its scan ends; each answer replaces the last. */
function ScanStatusLine({ id, onDone }: { id: string; onDone: () => void }) {
  const [release, setRelease] = useState<Release | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ac = new AbortController();
    const poll = async () => {
      try {
        const { release: r } = await registry.release(id, ac.signal);
        setRelease(r);
        setError(null);
        if (FINAL_SCAN.includes(r.scanStatus)) {
          onDone();
          return;
        }
      } catch (err) {
        if (ac.signal.aborted) return;
        setError(err);
      }
      timer = setTimeout(() => void poll(), 1000);
    };
    void poll();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
  }, [id, onDone]);
  return (
    <section className="card stack" aria-labelledby="scan-h">
      <h2 id="scan-h">Scan</h2>
      <ErrorNote error={error} title="Could not read the scan status" />
      {release ? (
        <div role="status" aria-live="polite" className="stack">
          <p>
            {release.name}@{release.version} <ScanBadge status={release.scanStatus} />{" "}
            {scanSentence(release.scanStatus)}
          </p>
          {release.reason ? (
            <p>
              Reason: <ScanReason reason={release.reason} />
            </p>
          ) : null}
          {release.scanStatus === "passed" ? (
            <p>
              <Link to={packagePath(release.name)}>Open {release.name}</Link>
            </p>
          ) : null}
        </div>
      ) : (
        <p role="status">Uploaded; waiting for the scan…</p>
      )}
    </section>
  );
}

function Upload({ onUploaded }: { onUploaded: (releaseId: string) => void }) {
  const ids = { file: useId(), vis: useId(), price: useId() };
  const [file, setFile] = useState<File | null>(null);
  const [visibility, setVisibility] = useState("");
  const [price, setPrice] = useState("");
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    void act.run(async () => {
      const q = new URLSearchParams();
      if (visibility) q.set("visibility", visibility);
      if (price.trim()) q.set("priceCents", String(Math.round(Number(price) * 100)));
      onUploaded((await registry.upload(file, q)).release.releaseId);
    });
  };
  return (
    <form onSubmit={submit} className="card stack" aria-labelledby="upload-h">
      <h2 id="upload-h">Upload a release</h2>
      <p className="hint">
        A package zip (<code>mog init</code> scaffolds one; <code>mog publish</code> does the same from a
        terminal). It is scanned in a sandbox and published only if it passes. The first upload of a name
        creates its listing.
      </p>
      <p>
        <label htmlFor={ids.file}>Package zip</label>
        <input
          id={ids.file}
          type="file"
          accept=".zip,application/zip"
          required
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </p>
      <div className="row">
        <p>
          <label htmlFor={ids.vis}>Visibility</label>
          <select id={ids.vis} value={visibility} onChange={(e) => setVisibility(e.target.value)}>
            <option value="">Unchanged (public for a new listing)</option>
            <option value="public">Public: every user of this server</option>
            <option value="team">Team: only this team</option>
          </select>
        </p>
        <p>
          <label htmlFor={ids.price}>Price in dollars (optional)</label>
          <input
            id={ids.price}
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            inputMode="decimal"
            pattern="\d{1,5}(\.\d{1,2})?"
            placeholder="0 = free"
          />
        </p>
      </div>
      <ErrorNote error={act.error} title="Not uploaded" />
      <div className="actions">
        <button type="submit" disabled={act.busy || !file}>
          {act.busy ? "Uploading…" : "Upload"}
        </button>
      </div>
    </form>
  );
}

function TeamListings({ vendor, tick }: { vendor: string; tick: number }) {
  const a = useAsync(
    (signal) => registry.search(new URLSearchParams({ q: `${vendor}/`, limit: "200" }), signal),
    [vendor, tick],
  );
  return (
    <section aria-labelledby="mine-h">
      <h2 id="mine-h">Your listings</h2>
      <Loaded a={a} what="your listings">
        {({ packages }) => {
          const mine = packages.filter((p) => p.vendor === vendor);
          if (mine.length === 0) return <Empty>No listings yet: upload a release above.</Empty>;
          return (
            <TableWrap label="Your listings">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Package</th>
                    <th scope="col">Visibility</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Price</th>
                  </tr>
                </thead>
                <tbody>
                  {mine.map((l) => (
                    <tr key={l.name}>
                      <td>
                        <Link to={packagePath(l.name)}>{l.name}</Link>
                      </td>
                      <td>{l.visibility}</td>
                      <td>{l.latestVersion ?? <span className="muted">none published</span>}</td>
                      <td>
                        <Price cents={l.priceCents} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          );
        }}
      </Loaded>
    </section>
  );
}

export function RegistryVendorPage() {
  const { role } = useSession();
  const a = useAsync((signal) => registry.vendor(signal), []);
  const [created, setCreated] = useState<Vendor | null>(null);
  const [releaseId, setReleaseId] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const scanned = useCallback(() => setTick((n) => n + 1), []);
  const canSell = atLeast(role, "admin");
  return (
    <>
      <PageTitle sub="Publish your team's packages to this server's registry.">Vendor</PageTitle>
      <Loaded a={a} what="your vendor">
        {(d) => {
          const vendor = created ?? d.vendor;
          if (!vendor)
            return canSell ? (
              <CreateVendor onCreated={setCreated} />
            ) : (
              <Empty>Your team has no vendor yet. An owner or admin can create one here.</Empty>
            );
          return (
            <>
              <dl className="facts">
                <dt>Vendor</dt>
                <dd>
                  <code>{vendor.slug}</code> — {vendor.name}
                </dd>
              </dl>
              {canSell ? (
                <Upload onUploaded={setReleaseId} />
              ) : (
                <p className="hint">Owners and admins of your team upload releases.</p>
              )}
              {releaseId ? <ScanStatusLine key={releaseId} id={releaseId} onDone={scanned} /> : null}
              <TeamListings vendor={vendor.slug} tick={tick} />
            </>
          );
        }}
      </Loaded>
    </>
  );
}
