// Who is signed in and which team the app acts in, shared by every page through a context.
import { createContext, type ReactNode, useContext } from "react";
import { setActiveTeam } from "./api.js";
import type { Membership, Role, SessionInfo } from "./types.js";

export interface AppSession {
  info: SessionInfo;
  team: Membership | null;
  role: Role | undefined;
  chooseTeam: (teamId: string) => void;
  refresh: () => Promise<void>;
  /** The session is gone (signed out, account deleted): show sign-in with this message. */
  ended: (notice: string) => void;
  signOut: () => Promise<void>;
}

const Ctx = createContext<AppSession | null>(null);

export function SessionProvider({ value, children }: { value: AppSession; children: ReactNode }) {
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): AppSession {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}

const TEAM_KEY = "mogplex.team";

/** The remembered team (an id, not a secret) if the user still belongs to it, else their first team. */
export function pickTeam(info: SessionInfo): Membership | null {
  let saved: string | null = null;
  try {
    saved = window.localStorage.getItem(TEAM_KEY);
  } catch {
    saved = null;
  }
  const team =
    info.teams.find((t) => t.teamId === saved) ??
    info.teams.find((t) => t.teamId === info.activeTeamId) ??
    info.teams[0] ??
    null;
  setActiveTeam(team?.teamId ?? null);
  return team;
}

export function rememberTeam(teamId: string): void {
  try {
    window.localStorage.setItem(TEAM_KEY, teamId);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  setActiveTeam(teamId);
}
