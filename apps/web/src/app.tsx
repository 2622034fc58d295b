// The app shell: find out whether setup is needed and who is signed in, then route to a page.
import { type ReactNode, useCallback, useEffect, useState } from "react";
import { ApiFailure, api, isRateLimited, onSignedOut, post, setActiveTeam } from "./api.js";
import { Shell } from "./layout.js";
import { AccountPage } from "./pages/account.js";
import { ApiKeysPage } from "./pages/api-keys.js";
import { AuditPage } from "./pages/audit.js";
import { CliAuthPage } from "./pages/cli-auth.js";
import { ConnectionsPage } from "./pages/connections.js";
import { DevicePage } from "./pages/device.js";
import { GatewayKeysPage } from "./pages/gateway-keys.js";
import { InvitePage } from "./pages/invite.js";
import { LoginPage } from "./pages/login.js";
import { ConnectedAppsPage } from "./pages/oauth/connected-apps.js";
import { OAuthConsentPage } from "./pages/oauth/consent.js";
import { RegistryApprovalPage, RegistryApprovalsPage } from "./pages/registry/approvals.js";
import { RegistryBrowsePage } from "./pages/registry/browse.js";
import { RegistryEntitlementsPage } from "./pages/registry/entitlements.js";
import { RegistryListingPage } from "./pages/registry/listing.js";
import { RegistryPoliciesPage } from "./pages/registry/policies.js";
import { RegistryVendorPage } from "./pages/registry/vendor.js";
import { RegistryWalletPage } from "./pages/registry/wallet.js";
import { ReposPage } from "./pages/repos.js";
import { RunDetailPage } from "./pages/run-detail.js";
import { RunsPage } from "./pages/runs.js";
import { SecurityPage } from "./pages/security.js";
import { ModelsPage } from "./pages/settings/models.js";
import { RepoSettingsPage } from "./pages/settings/repo-settings.js";
import { UsagePage } from "./pages/settings/usage.js";
import { SetupDonePage, SetupNeededPage, SetupPage } from "./pages/setup.js";
import { TeamPage } from "./pages/team.js";
import { match, navigate, safeNext, useLocation } from "./router.js";
import { type AppSession, pickTeam, rememberTeam, SessionProvider } from "./session.js";
import type { Membership, SessionInfo } from "./types.js";
import { ErrorNote, Loading, PageTitle } from "./ui.js";

type Phase =
  | { kind: "loading" }
  | { kind: "setup" }
  | { kind: "signed-out"; notice?: string }
  | { kind: "in"; info: SessionInfo }
  | { kind: "error"; error: unknown };

const PAGES: Array<[string, (p: Record<string, string>) => ReactNode, "full" | "focused"]> = [
  ["/runs", () => <RunsPage />, "full"],
  ["/runs/:id", (p) => <RunDetailPage id={p.id ?? ""} />, "full"],
  ["/repos", () => <ReposPage />, "full"],
  ["/repos/:id/settings", (p) => <RepoSettingsPage id={p.id ?? ""} />, "full"],
  ["/team", () => <TeamPage />, "full"],
  ["/audit", () => <AuditPage />, "full"],
  ["/settings/api-keys", () => <ApiKeysPage />, "full"],
  ["/settings/gateway-keys", () => <GatewayKeysPage />, "full"],
  ["/settings/connected-apps", () => <ConnectedAppsPage />, "full"],
  ["/settings/connections", () => <ConnectionsPage />, "full"],
  ["/settings/models", () => <ModelsPage />, "full"],
  ["/settings/usage", () => <UsagePage />, "full"],
  ["/settings/security", () => <SecurityPage />, "full"],
  ["/settings/account", () => <AccountPage />, "full"],
  ["/registry", () => <RegistryBrowsePage />, "full"],
  [
    "/registry/packages/:vendor/:slug",
    (p) => <RegistryListingPage vendor={p.vendor ?? ""} slug={p.slug ?? ""} />,
    "full",
  ],
  ["/registry/vendor", () => <RegistryVendorPage />, "full"],
  ["/registry/entitlements", () => <RegistryEntitlementsPage />, "full"],
  ["/registry/wallet", () => <RegistryWalletPage />, "full"],
  ["/registry/spend-policies", () => <RegistryPoliciesPage />, "full"],
  ["/registry/approvals", () => <RegistryApprovalsPage />, "full"],
  ["/registry/approvals/:id", (p) => <RegistryApprovalPage id={p.id ?? ""} />, "full"],
  ["/cli-auth", () => <CliAuthPage />, "focused"],
  ["/oauth/consent", () => <OAuthConsentPage />, "focused"],
  ["/device", () => <DevicePage />, "focused"],
];

const PUBLIC = new Set(["/login", "/setup", "/invite"]);
const REDIRECTS: Record<string, string> = { "/": "/runs", "/settings": "/settings/api-keys" };

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading />;
}

function NotFound() {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no page at this address. <a href="/runs">Go to runs</a>.
      </p>
    </>
  );
}

export function App() {
  const loc = useLocation();
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [team, setTeam] = useState<Membership | null>(null);

  const load = useCallback(async (): Promise<void> => {
    try {
      const setup = await api<{ needsSetup: boolean }>("GET", "/api/setup");
      if (setup.needsSetup) {
        setPhase({ kind: "setup" });
        return;
      }
      const info = await api<SessionInfo>("GET", "/api/web/session", { quiet401: true });
      setTeam(pickTeam(info));
      setPhase({ kind: "in", info });
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) setPhase({ kind: "signed-out" });
      else setPhase({ kind: "error", error: err });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(
    () =>
      onSignedOut(() => {
        setActiveTeam(null);
        setPhase({ kind: "signed-out", notice: "Your session ended. Sign in again to continue." });
      }),
    [],
  );

  const signedOutTo = phase.kind === "signed-out" && !PUBLIC.has(loc.path);
  useEffect(() => {
    if (!signedOutTo) return;
    const here = `${loc.path}${loc.search.size > 0 ? `?${loc.search}` : ""}`;
    const next = here === "/" ? "" : `?next=${encodeURIComponent(here)}`;
    navigate(`/login${next}`, { replace: true });
  }, [signedOutTo, loc.path, loc.search]);

  if (phase.kind === "loading") return <Loading what="Loading Mogplex" />;
  if (phase.kind === "error") {
    const e = phase.error;
    const title = isRateLimited(e)
      ? "Too many requests"
      : e instanceof ApiFailure && e.status > 0 && e.status < 500
        ? "Mogplex could not load this page"
        : "Mogplex is not answering";
    return (
      <main className="focused" id="main">
        <PageTitle>{title}</PageTitle>
        <ErrorNote error={e} />
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </main>
    );
  }
  if (phase.kind === "setup") {
    return (
      <main className="focused" id="main">
        {loc.path === "/setup" ? <SetupPage onDone={load} /> : <SetupNeededPage />}
      </main>
    );
  }
  if (phase.kind === "signed-out") {
    const page =
      loc.path === "/login" ? (
        <LoginPage notice={phase.notice} onSignedIn={load} />
      ) : loc.path === "/invite" ? (
        <InvitePage signedIn={false} />
      ) : loc.path === "/setup" ? (
        <SetupDonePage />
      ) : (
        <Loading />
      );
    return (
      <main className="focused" id="main" key={loc.key}>
        {page}
      </main>
    );
  }

  const { info } = phase;
  const session: AppSession = {
    info,
    team,
    role: team?.role,
    chooseTeam: (teamId) => {
      rememberTeam(teamId);
      setTeam(info.teams.find((t) => t.teamId === teamId) ?? null);
    },
    refresh: load,
    ended: (notice) => {
      setActiveTeam(null);
      setPhase({ kind: "signed-out", notice });
      navigate("/login", { replace: true });
    },
    signOut: async () => {
      await post("/api/auth/sign-out", {}).catch(() => undefined);
      session.ended("You are signed out.");
    },
  };

  if (loc.path === "/login" || loc.path === "/setup") {
    return <Redirect to={safeNext(loc.search.get("next")) ?? "/runs"} />;
  }
  const redirect = REDIRECTS[loc.path];
  if (redirect) return <Redirect to={redirect} />;

  let body: ReactNode = <NotFound />;
  let layout: "full" | "focused" = "full";
  if (loc.path === "/invite") {
    body = <InvitePage signedIn={true} />;
    layout = "focused";
  } else {
    for (const [pattern, render, kind] of PAGES) {
      const params = match(pattern, loc.path);
      if (params) {
        body = render(params);
        layout = kind;
        break;
      }
    }
  }
  return (
    <SessionProvider value={session}>
      <Shell layout={layout} pageKey={`${loc.path}|${loc.visit}|${team?.teamId ?? ""}`}>
        {body}
      </Shell>
    </SessionProvider>
  );
}
