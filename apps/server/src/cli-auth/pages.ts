// Minimal server-rendered pages for CLI sign-in (until the web app renders them): no script, no inline style.
import { formatUserCode } from "./validate.js";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

export interface TeamChoice {
  teamId: string;
  slug: string;
}

function page(title: string, body: string, head = ""): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    head,
    `<title>${esc(title)} · Mogplex</title></head>`,
    `<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
  ].join("");
}

const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;

function teamField(teams: TeamChoice[]): string {
  if (teams.length === 1) return hidden("team", teams[0]?.teamId ?? "");
  const options = teams.map((t) => `<option value="${esc(t.teamId)}">${esc(t.slug)}</option>`).join("");
  return `<p><label>Team <select name="team">${options}</select></label></p>`;
}

export function messagePage(title: string, message: string, link?: { href: string; text: string }): string {
  const a = link ? `<p><a href="${esc(link.href)}">${esc(link.text)}</a></p>` : "";
  return page(title, `<p>${esc(message)}</p>${a}`);
}

export function consentPage(o: {
  email: string;
  port: string;
  teams: TeamChoice[];
  tokenName: string;
  days: number;
  fields: Record<string, string>;
}): string {
  const fields = Object.entries(o.fields)
    .map(([k, v]) => hidden(k, v))
    .join("");
  return page(
    "Sign in to the Mogplex CLI",
    `<p>The Mogplex CLI on this computer (listening on 127.0.0.1 port ${esc(o.port)}) asks to act as ` +
      `<strong>${esc(o.email)}</strong>.</p>` +
      `<p>Approving creates a personal access token named <strong>${esc(o.tokenName)}</strong> with the scopes ` +
      `<strong>read</strong> and <strong>write</strong>, valid for ${o.days} days. You can revoke it at any time ` +
      `under Settings → API Keys.</p>` +
      `<p>Only approve if you just ran <code>mogplex login</code> yourself.</p>` +
      `<form method="post" action="/cli-auth">${fields}${teamField(o.teams)}` +
      `<button type="submit" name="decision" value="approve">Approve</button> ` +
      `<button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

/** After consent: the way back to the CLI, and the code to paste if the CLI's listener can't be reached. */
export function handoffPage(redirectUrl: string, code: string): string {
  return page(
    "Return to your terminal",
    `<p><a href="${esc(redirectUrl)}">Continue to the Mogplex CLI</a></p>` +
      `<p>If your terminal does not finish signing in on its own, paste this code when it asks ` +
      `(valid for 60 seconds, once):</p><p><code>${esc(code)}</code></p>`,
    `<meta http-equiv="refresh" content="2;url=${esc(redirectUrl)}">`,
  );
}

export function deniedPage(redirectUrl: string): string {
  return page(
    "Sign-in denied",
    `<p>No token was created. <a href="${esc(redirectUrl)}">Tell the CLI</a>.</p>`,
    `<meta http-equiv="refresh" content="0;url=${esc(redirectUrl)}">`,
  );
}

export function deviceEntryPage(csrf: string): string {
  return page(
    "Connect a device",
    `<p>Enter the code your terminal shows.</p>` +
      `<form method="post" action="/device">${hidden("csrf", csrf)}${hidden("decision", "review")}` +
      `<p><label>Code <input name="user_code" autocomplete="off" autocapitalize="characters" ` +
      `maxlength="9" required></label></p><button type="submit">Continue</button></form>`,
  );
}

export function deviceConfirmPage(o: {
  email: string;
  userCode: string;
  requestedAt: number;
  requesterIp: string | null;
  teams: TeamChoice[];
  csrf: string;
  tokenName: string;
  days: number;
}): string {
  return page(
    "Approve this device?",
    `<p>A device asked to sign in as <strong>${esc(o.email)}</strong> with the code ` +
      `<strong>${esc(formatUserCode(o.userCode))}</strong> at ${esc(new Date(o.requestedAt).toISOString())}` +
      `${o.requesterIp ? ` from ${esc(o.requesterIp)}` : ""}.</p>` +
      `<p>Approving creates a personal access token named <strong>${esc(o.tokenName)}</strong> with the scopes ` +
      `<strong>read</strong> and <strong>write</strong>, valid for ${o.days} days.</p>` +
      `<p>Only approve if you started this sign-in yourself and the code matches your terminal.</p>` +
      `<form method="post" action="/device">${hidden("csrf", o.csrf)}${hidden("user_code", o.userCode)}` +
      `${teamField(o.teams)}<button type="submit" name="decision" value="approve">Approve</button> ` +
      `<button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}
