// The signed-in frame: skip link, header with team switcher and sign-out, main navigation, content.
import { Fragment, type ReactNode, useId } from "react";
import { Link, useLocation } from "./router.js";
import { useSession } from "./session.js";
import { atLeast } from "./types.js";

interface NavItem {
  to: string;
  label: string;
  /** Also current for paths under this prefix. */
  prefix?: string;
  admin?: boolean;
}

const NAV: NavItem[] = [
  { to: "/runs", label: "Runs", prefix: "/runs/" },
  { to: "/repos", label: "Repos", prefix: "/repos/" },
  { to: "/team", label: "Team" },
  { to: "/registry", label: "Registry", prefix: "/registry/" },
  { to: "/audit", label: "Audit log", admin: true },
  { to: "/settings/api-keys", label: "Settings", prefix: "/settings/" },
];

const SETTINGS: NavItem[] = [
  { to: "/settings/api-keys", label: "API keys" },
  { to: "/settings/gateway-keys", label: "Gateway keys" },
  { to: "/settings/connected-apps", label: "Connected apps" },
  { to: "/settings/connections", label: "Connections" },
  { to: "/settings/models", label: "Models" },
  { to: "/settings/usage", label: "Usage" },
  { to: "/settings/security", label: "Security" },
  { to: "/settings/account", label: "Account" },
];

const REGISTRY: NavItem[] = [
  { to: "/registry", label: "Browse", prefix: "/registry/packages/" },
  { to: "/registry/vendor", label: "Vendor" },
  { to: "/registry/entitlements", label: "Entitlements" },
  { to: "/registry/wallet", label: "Wallet" },
  { to: "/registry/spend-policies", label: "Spend policies", admin: true },
  { to: "/registry/approvals", label: "Approvals", prefix: "/registry/approvals/" },
];

function isCurrent(item: NavItem, path: string): boolean {
  return path === item.to || (item.prefix !== undefined && path.startsWith(item.prefix));
}

function TeamSwitcher() {
  const { info, team, chooseTeam } = useSession();
  const id = useId();
  if (info.teams.length === 0) return <span className="muted">No team</span>;
  if (info.teams.length === 1) {
    return (
      <span className="team-name" title="Your team">
        {team?.name ?? team?.slug} <span className="badge">{team?.role}</span>
      </span>
    );
  }
  return (
    <span className="team-switch">
      <label htmlFor={id}>Team</label>
      <select id={id} value={team?.teamId ?? ""} onChange={(e) => chooseTeam(e.target.value)}>
        {info.teams.map((t) => (
          <option key={t.teamId} value={t.teamId}>
            {t.name} ({t.role})
          </option>
        ))}
      </select>
    </span>
  );
}

export function Shell({
  layout,
  pageKey,
  children,
}: {
  layout: "full" | "focused";
  pageKey: string;
  children: ReactNode;
}) {
  const { info, role, signOut } = useSession();
  const { path } = useLocation();
  const inSettings = path.startsWith("/settings/");
  const inRegistry = path === "/registry" || path.startsWith("/registry/");
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="top-inner">
          <Link to="/runs" className="brand">
            Mogplex
          </Link>
          <div className="who">
            <TeamSwitcher />
            <span className="email" title="Signed in as">
              {info.user.email}
            </span>
            <button type="button" className="secondary small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
        {layout === "full" ? (
          <nav aria-label="Main" className="main-nav">
            <ul>
              {NAV.filter((n) => !n.admin || atLeast(role, "admin")).map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={isCurrent(n, path) ? "page" : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" className={layout === "focused" ? "focused" : "content"}>
        {inSettings ? (
          <nav aria-label="Settings" className="sub-nav">
            <ul>
              {SETTINGS.map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={path === n.to ? "page" : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {inRegistry ? (
          <nav aria-label="Registry" className="sub-nav">
            <ul>
              {REGISTRY.filter((n) => !n.admin || atLeast(role, "admin")).map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={isCurrent(n, path) ? "page" : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <Fragment key={pageKey}>{children}</Fragment>
      </main>
    </>
  );
}
