// Secret values under secret-looking keys in free text: the forms, the keys, the limits, and bad input.
import { describe, expect, it } from "vitest";
import { redactSecretValues } from "./secrets.js";

describe("key-value secrets in free text", () => {
  it.each([
    ["password=hunter2secret", "password=[redacted]"],
    ["DB_PASSWORD=abc123 next", "DB_PASSWORD=[redacted] next"],
    ["export API_TOKEN='two words'", "export API_TOKEN='[redacted]'"],
    ["secret: s3cr3t-value", "secret: [redacted]"],
    ['{"client_secret": "abc", "id": 1}', '{"client_secret": "[redacted]", "id": 1}'],
    ["{'apiKey': 'abc'}", "{'apiKey': '[redacted]'}"],
    ['{\\"token\\": \\"abc\\"}', '{\\"token\\": \\"[redacted]\\"}'],
    ["run --token abc123 --verbose", "run --token [redacted] --verbose"],
    ["run --api-key=abc123", "run --api-key=[redacted]"],
    ["aws_secret_access_key = abcdEFGH/1234", "aws_secret_access_key = [redacted]"],
    ["Server=db;User Id=sa;Password=p4ss;Trusted=no", "Server=db;User Id=sa;Password=[redacted];Trusted=no"],
    [
      "AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=x",
      "AccountName=a;AccountKey=[redacted];EndpointSuffix=x",
    ],
    ["https://h/p?sv=1&sig=abc%3D&se=2", "https://h/p?sv=1&sig=[redacted]&se=2"],
    ["PWD=letmein", "PWD=[redacted]"],
    ["Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [redacted]"],
    ["x-api-key: abc", "x-api-key: [redacted]"],
    ['password: "unterminated', 'password: "[redacted]'],
    ["Cookie: sid=abc; theme=dark", "Cookie: [redacted]; theme=dark"],
  ])("%s", (text, expected) => {
    expect(redactSecretValues(text)).toBe(expected);
    expect(redactSecretValues(expected)).toBe(expected);
  });

  it.each([
    "password === confirm",
    "token => token.trim()",
    "the token: ",
    "secret=",
    "--password --verbose",
    "Token::new()",
    "inputTokens: 1200",
    "max_tokens=4096",
    "keyboard: us",
    "password\nhunter2",
    'password: "[redacted]"',
    "password=[reda",
    "https://user:pw@host/x".replace("user:pw", "[redacted]"),
  ])("leaves %j alone", (text) => {
    expect(redactSecretValues(text)).toBe(text);
  });

  it("accepts the documented over-redactions of ordinary key names", () => {
    expect(redactSecretValues("NODE_ENV=production")).toBe("NODE_ENV=[redacted]");
    expect(redactSecretValues("Fix session: handle expiry")).toBe("Fix session: [redacted] expiry");
  });

  it("hides a value only up to ; or & (documented limit)", () => {
    expect(redactSecretValues("password=ab;cd")).toBe("password=[redacted];cd");
  });

  it.each([
    ["keys", "password=x ".repeat(100_000)],
    ["separators without values", "token: ".repeat(140_000)],
    ["long keys", `${"a".repeat(70)}token=x `.repeat(12_000)],
    ["fragments", "keytokensecretpass".repeat(55_000)],
    ["unterminated quotes", 'secret="'.repeat(120_000)],
    ["flags", "--token ".repeat(120_000)],
  ])("returns on about 1 MB of %s", (_name, text) => {
    const started = Date.now();
    const out = redactSecretValues(text);
    expect(out.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
