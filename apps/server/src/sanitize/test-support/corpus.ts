// Credential shapes for the sanitiser tests: fake, deterministic, format-valid values, each assembled from
// pieces at run time so no scanner reading the repository finds a literal token in it.
import { seededRandom } from "./fakes.js";

// Seeded random draws, not a cycling fill: a periodic value would repeat inside its neighbours and make the
// leak probes (12-char heads and tails) ambiguous.
const fill = (alphabet: string, length: number, seed: number): string => {
  const random = seededRandom(seed * 7919 + length);
  let out = "";
  for (let index = 0; index < length; index++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
};
const alnum = (n: number, seed: number) =>
  fill("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", n, seed);
const hex = (n: number, seed: number) => fill("0123456789abcdef", n, seed);
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const b64 = (n: number, seed: number) => fill(B64, n, seed);
const urlsafe = (n: number, seed: number) => fill(URLSAFE, n, seed);
const j = (...parts: string[]) => parts.join("");

export interface CorpusEntry {
  readonly name: string;
  /** The text as a command would print it (one line, except for the PEM block). */
  readonly line: string;
  /** Values none of which may survive sanitising, whole or as a head or tail of 12+ chars. */
  readonly secrets: readonly string[];
}

const awsId = j("AK", "IA", fill(UPPER, 16, 1));
const awsSecret = b64(40, 2);
const awsId2 = j("AS", "IA", fill(UPPER, 16, 3));
const awsSecret2 = b64(40, 4);
const pemBody = [j("MII", b64(61, 5)), b64(64, 6), b64(64, 7), j(b64(40, 8), "==")];
const pem = ["-----BEGIN RSA PRIVATE KEY-----", ...pemBody, "-----END RSA PRIVATE KEY-----"].join("\n");
const gcpKeyId = hex(40, 9);
const gcpBody = j("MIIEv", b64(60, 10));
const twilioSid = j("A", "C", hex(32, 11));
const twilioToken = hex(32, 12);
const azureKey = j(b64(86, 13), "==");
const jwt = j("ey", "J", urlsafe(20, 14), ".", "ey", "J", urlsafe(40, 15), ".", urlsafe(43, 16));
const telegram = j("7", fill("0123456789", 9, 17), ":", "AA", urlsafe(33, 18));

const entries: Array<[string, string, string[]]> = [
  [
    "AWS id and secret in env form",
    `AWS_ACCESS_KEY_ID=${awsId} AWS_SECRET_ACCESS_KEY=${awsSecret}`,
    [awsId, awsSecret],
  ],
  ["AWS secret in an ini file", `aws_secret_access_key = ${awsSecret2}`, [awsSecret2]],
  ["AWS id and secret as a CSV row", `deploy-user,${awsId2},${awsSecret2}`, [awsId2, awsSecret2]],
  ["GitHub classic PAT", j("gh", "p_", alnum(36, 20)), [j("gh", "p_", alnum(36, 20))]],
  ["GitHub OAuth token", j("gh", "o_", alnum(36, 21)), [j("gh", "o_", alnum(36, 21))]],
  [
    "GitHub fine-grained PAT",
    j("github", "_pat_11", fill(UPPER, 20, 22), "_", alnum(59, 23)),
    [j("github", "_pat_11", fill(UPPER, 20, 22), "_", alnum(59, 23))],
  ],
  ["GitLab PAT", j("glp", "at-", urlsafe(20, 24)), [j("glp", "at-", urlsafe(20, 24))]],
  [
    "Slack bot token",
    j("xo", "xb-", "2345678901", "-", "3456789012", "-", alnum(24, 25)),
    [j("xo", "xb-", "2345678901", "-", "3456789012", "-", alnum(24, 25))],
  ],
  [
    "Slack incoming webhook",
    j(
      "https://hooks.",
      "slack.com/services/T",
      fill(UPPER, 8, 26),
      "/B",
      fill(UPPER, 10, 27),
      "/",
      alnum(24, 28),
    ),
    [alnum(24, 28)],
  ],
  ["Stripe live secret key", j("sk", "_live_", alnum(24, 29)), [j("sk", "_live_", alnum(24, 29))]],
  ["Stripe restricted key", j("rk", "_live_", alnum(24, 30)), [j("rk", "_live_", alnum(24, 30))]],
  ["Google API key", j("AI", "za", urlsafe(35, 31)), [j("AI", "za", urlsafe(35, 31))]],
  [
    "GCP service-account JSON",
    JSON.stringify({
      type: "service_account",
      private_key_id: gcpKeyId,
      private_key: `-----BEGIN PRIVATE KEY-----\n${gcpBody}\n-----END PRIVATE KEY-----\n`,
      client_email: "ci@demo-project.iam.gserviceaccount.com",
    }),
    [gcpKeyId, gcpBody],
  ],
  ["npm token", j("np", "m_", alnum(36, 32)), [j("np", "m_", alnum(36, 32))]],
  ["npmrc auth token", j("//registry.example.org/:_auth", "Token=", alnum(30, 33)), [alnum(30, 33)]],
  [
    "PyPI token",
    j("py", "pi-AgEIcHlwaS5vcmc", urlsafe(60, 34)),
    [j("py", "pi-AgEIcHlwaS5vcmc", urlsafe(60, 34))],
  ],
  [
    "SendGrid key",
    j("S", "G.", urlsafe(22, 35), ".", urlsafe(43, 36)),
    [j("S", "G.", urlsafe(22, 35), ".", urlsafe(43, 36))],
  ],
  [
    "Twilio SID and auth token",
    j("TWILIO_ACCOUNT_SID=", twilioSid, " TWILIO_AUTH", "_TOKEN=", twilioToken),
    [twilioToken],
  ],
  ["Twilio API key secret", j("twilio api:core:keys --api-sec", "ret ", alnum(32, 37)), [alnum(32, 37)]],
  ["Mailgun key", j("ke", "y-", alnum(32, 38)), [j("ke", "y-", alnum(32, 38))]],
  [
    "OpenAI legacy key",
    j("sk", "-", alnum(20, 39), "T3Blbk", "FJ", alnum(20, 40)),
    [j("sk", "-", alnum(20, 39), "T3Blbk", "FJ", alnum(20, 40))],
  ],
  [
    "OpenAI project key",
    j("sk", "-proj-", urlsafe(58, 41), "T3Blbk", "FJ", urlsafe(58, 42)),
    [j("sk", "-proj-", urlsafe(58, 41), "T3Blbk", "FJ", urlsafe(58, 42))],
  ],
  [
    "Anthropic key",
    j("sk", "-ant-api03-", urlsafe(93, 43), "AA"),
    [j("sk", "-ant-api03-", urlsafe(93, 43), "AA")],
  ],
  ["JWT", `session=${jwt}`, [jwt]],
  ["JWT alone", jwt, [jwt]],
  ["PEM private key", pem, pemBody],
  [
    "basic-auth URL",
    j("curl https://deploy:", "Zq8", alnum(13, 44), "@example.com/api"),
    [j("Zq8", alnum(13, 44))],
  ],
  ["password=", j("password=", "hunter2", "secret"), [j("hunter2", "secret")]],
  [
    "client_secret in JSON text",
    j('{"client_id": "abc", "client_', 'secret": "', alnum(32, 45), '"}'),
    [alnum(32, 45)],
  ],
  ["--token value", j("deploy --token ", alnum(28, 46), " --verbose"), [alnum(28, 46)]],
  ["--api-key=value", j("tool --api-key=", alnum(28, 47)), [alnum(28, 47)]],
  ["secret: YAML", j("  secret: ", alnum(26, 48)), [alnum(26, 48)]],
  [
    "Azure storage connection string",
    j(
      "DefaultEndpointsProtocol=https;AccountName=demo;Account",
      "Key=",
      azureKey,
      ";EndpointSuffix=core.windows.net",
    ),
    [azureKey],
  ],
  [
    "Azure SAS URL",
    j("https://demo.blob.core.windows.net/c?sv=2022-11-02&sp=r&si", "g=", alnum(30, 49), "%3D"),
    [alnum(30, 49)],
  ],
  [
    "PostgreSQL URL",
    j("postgres://app:", "Pg", alnum(14, 50), "@db.internal:5432/app"),
    [j("Pg", alnum(14, 50))],
  ],
  [
    "MongoDB SRV URL",
    j("mongodb+srv://app:", "Mg", alnum(14, 51), "@cluster0.example.net/db"),
    [j("Mg", alnum(14, 51))],
  ],
  ["MySQL URL", j("mysql://root:", "My", alnum(14, 52), "@10.0.0.5:3306/app"), [j("My", alnum(14, 52))]],
  ["Redis URL", j("redis://:", "Rd", alnum(14, 53), "@cache:6379/0"), [j("Rd", alnum(14, 53))]],
  [
    "Heroku API key",
    j("HEROKU_API", "_KEY=", hex(8, 54), "-", hex(4, 55), "-", hex(4, 56), "-", hex(4, 57), "-", hex(12, 58)),
    [hex(12, 58)],
  ],
  ["Heroku platform token", j("HR", "KU-", urlsafe(60, 59)), [j("HR", "KU-", urlsafe(60, 59))]],
  ["Shopify access token", j("sh", "pat_", hex(32, 60)), [j("sh", "pat_", hex(32, 60))]],
  ["Datadog API key", j("DD_API", "_KEY=", hex(32, 61)), [hex(32, 61)]],
  [
    "Discord webhook",
    j("https://discord.com/api/web", "hooks/", fill("0123456789", 18, 62), "/", urlsafe(68, 63)),
    [urlsafe(68, 63)],
  ],
  ["Telegram bot token", j("https://api.telegram.org/bot", telegram, "/getMe"), [telegram]],
  ["Hugging Face token", j("h", "f_", fill(LETTERS, 34, 64)), [j("h", "f_", fill(LETTERS, 34, 64))]],
  ["Vault service token", j("hv", "s.", urlsafe(95, 65)), [j("hv", "s.", urlsafe(95, 65))]],
  ["Docker PAT", j("dckr", "_pat_", urlsafe(27, 66)), [j("dckr", "_pat_", urlsafe(27, 66))]],
  ["Databricks token", j("da", "pi", hex(32, 67)), [j("da", "pi", hex(32, 67))]],
  ["Groq key", j("gs", "k_", alnum(52, 68)), [j("gs", "k_", alnum(52, 68))]],
  ["Linear key", j("lin", "_api_", alnum(40, 69)), [j("lin", "_api_", alnum(40, 69))]],
  ["Authorization: Basic", j("Authorization: Basic ", b64(36, 70), "=="), [b64(36, 70)]],
  ["Authorization: Bearer", j("Authorization: Bearer ", urlsafe(40, 71)), [urlsafe(40, 71)]],
  ["Mogplex PAT", j("mo", "g_", alnum(32, 72)), [j("mo", "g_", alnum(32, 72))]],
  ["Mogplex gateway key", j("pm", "cp_", hex(32, 73)), [j("pm", "cp_", hex(32, 73))]],
  ["webhook signing secret", j("wh", "sec_", alnum(32, 74)), [j("wh", "sec_", alnum(32, 74))]],
  [
    "quoted password with a space",
    j("export DB_PASS", "WORD='p@ss ", alnum(12, 75), "'"),
    [j("p@ss ", alnum(12, 75))],
  ],
];

export const CORPUS: readonly CorpusEntry[] = entries.map(([name, line, secrets]) => ({
  name,
  line,
  secrets,
}));

/** The pieces of a secret that must not survive: the whole value, and its head and tail when long. */
export function leakProbes(secret: string): string[] {
  if (secret.length < 24) return [secret];
  return [secret, secret.slice(0, 12), secret.slice(-12)];
}

/** Which probes of which entries appear in `text` (empty when nothing leaked). */
export function leaks(text: string, corpus: readonly CorpusEntry[] = CORPUS): string[] {
  const found: string[] = [];
  for (const entry of corpus) {
    for (const secret of entry.secrets) {
      for (const probe of leakProbes(secret)) if (text.includes(probe)) found.push(`${entry.name}: ${probe}`);
    }
  }
  return found;
}
