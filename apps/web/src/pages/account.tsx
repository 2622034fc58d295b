// Settings → Account: who you are, a copy of your data, and deleting the account (typed confirmation).
import { useState } from "react";
import { post } from "../api.js";
import { useSession } from "../session.js";
import { Confirm, PageTitle } from "../ui.js";

export function AccountPage() {
  const { info, ended } = useSession();
  const [deleting, setDeleting] = useState(false);
  return (
    <>
      <PageTitle>Account</PageTitle>
      <section className="card" aria-labelledby="profile-h">
        <h2 id="profile-h">Profile</h2>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{info.user.name}</dd>
          <dt>Email</dt>
          <dd>{info.user.email}</dd>
          <dt>Teams</dt>
          <dd>{info.teams.map((t) => `${t.name} (${t.role})`).join(", ") || "None"}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="export-h">
        <h2 id="export-h">Your data</h2>
        <p>
          Download everything Mogplex holds about you as JSON: profile, memberships, token details (never the
          tokens), runs and audit entries about you.
        </p>
        <p>
          <a className="button secondary" href="/api/v1/users/me/export" download="mogplex-export.json">
            Download my data
          </a>
        </p>
      </section>
      <section className="card danger-zone" aria-labelledby="delete-h">
        <h2 id="delete-h">Delete account</h2>
        <p>
          Deleting your account signs you out everywhere, revokes all your tokens and removes you from your
          teams. Your name and email are erased; records of what you did stay, anonymised. This cannot be
          undone.
        </p>
        <p className="hint">
          If you are the only owner of a team with other members, make someone else an owner first.
        </p>
        <button type="button" className="danger" onClick={() => setDeleting(true)}>
          Delete my account…
        </button>
      </section>
      {deleting ? (
        <Confirm
          title="Delete your account?"
          confirmLabel="Delete my account"
          danger
          typed={{
            label: `Type your email address (${info.user.email}) to confirm`,
            expected: info.user.email,
          }}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await post("/api/v1/users/me/delete", { confirm: info.user.email });
            ended("Your account was deleted. Your sessions and tokens no longer work.");
          }}
        >
          <p>All your sessions and tokens stop working immediately.</p>
        </Confirm>
      ) : null}
    </>
  );
}
