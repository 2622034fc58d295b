// Tests for secret key detection and secret value redaction, including near misses and pathological input.
import { describe, expect, it } from "vitest";
import {
  compileKnownSecrets,
  isSecretKey,
  isTokenCountKey,
  normalizeKey,
  REDACTED,
  redactKnownSecrets,
  redactSecretValues,
} from "./secrets.js";
import { alnum, fake, hex, seededRandom, upperAlnum } from "./test-support/fakes.js";

describe("isSecretKey", () => {
  it.each([
    "authorization",
    "Authorization",
    "Proxy-Authorization",
    "apiKey",
    "API-Key",
    "api_key",
    "x_api_key",
    "X-Api-Key",
    "openai.apiKey",
    "token",
    "accessToken",
    "refresh_token",
    "ID-TOKEN",
    "secret",
    "clientSecret",
    "client_secret",
    "password",
    "DB_PASSWORD",
    "passwd",
    "cookie",
    "Set-Cookie",
    "credential",
    "credentials",
    "AWS Credentials",
    "session",
    "sessionId",
    "jwt",
    "JWT_TOKEN",
    "env",
    "ENV",
    "ENV_VARS",
    "environment",
    "privateKey",
    "private_key",
    "private key",
    "PRIVATE.KEY",
    "accessKey",
    "AWS_ACCESS_KEY_ID",
    "bearer",
    "bearerAuth",
    "signature",
    "X-Hub-Signature-256",
  ])("flags %s", (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(["name", "model", "status", "durationMs", "url", "message", "exitCode", "repo", "branch", "id"])(
    "leaves %s alone",
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );

  it.each([
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "maxTokens",
    "cachedTokens",
    "reasoningTokens",
    "input_tokens",
    "OUTPUT-TOKENS",
    "max_tokens",
    "promptTokens",
    "completion_tokens",
  ])("exempts the usage count %s", (key) => {
    expect(isSecretKey(key)).toBe(false);
    expect(isTokenCountKey(key)).toBe(true);
  });

  it.each(["tokens", "tokenCount", "inputTokensSecret", "input_tokens_raw", "apiTokens", "sessionTokens"])(
    "exempts only exact count names, so %s is still a secret key",
    (key) => {
      expect(isTokenCountKey(key)).toBe(false);
      expect(isSecretKey(key)).toBe(true);
    },
  );

  it.each(["tokenizer", "evenValue", "open_vpn", "envelope", "signatureAlgorithm"])(
    "accepts the documented false positive %s",
    (key) => {
      expect(isSecretKey(key)).toBe(true);
    },
  );

  it("normalises case and the separators _ - . and spaces", () => {
    expect(normalizeKey("X-Api_Key.v 2")).toBe("xapikeyv2");
  });
});

describe("redactSecretValues: positives", () => {
  it.each([
    ["mog_ personal access token", fake.mog()],
    ["mog_ with an over-long body", fake.mog(40)],
    ["pmcp_ token", fake.pmcp()],
    ["pmcp_ alphanumeric token", `pmcp_${alnum(24, 30)}`],
    ["sk- key", fake.sk()],
    ["sk- key with exactly 20 chars", fake.sk(20)],
    ["sk-ant- key", fake.skAnt()],
    ["sk-proj- key", fake.skProj()],
    ["ghp_ token", fake.gh("p")],
    ["gho_ token", fake.gh("o")],
    ["ghu_ token", fake.gh("u")],
    ["ghs_ token", fake.gh("s")],
    ["ghr_ token", fake.gh("r")],
    ["github_pat_ token", fake.githubPat()],
    ["xoxa- token", fake.slack("a")],
    ["xoxb- token", fake.slack("b")],
    ["xoxp- token", fake.slack("p")],
    ["xoxr- token", fake.slack("r")],
    ["AKIA key id", fake.aws("AKIA")],
    ["ASIA key id", fake.aws("ASIA")],
    ["whsec_ secret", fake.whsec()],
    ["whsec_ secret of the minimum 16 chars", fake.whsec(16)],
    ["pmcp_ token of the minimum 16 chars", `pmcp_${hex(16, 33)}`],
    ["github_pat_ token of the minimum 20 chars", `github_pat_${alnum(20, 34)}`],
    ["Slack token of the minimum 10 chars", `xoxb-${alnum(10, 35)}`],
    ["ghp_ token of exactly 36 chars", fake.gh("p", 36)],
    ["mog_ token of exactly 32 chars", fake.mog(32)],
    ["AKIA key id followed by more alphanumerics", `${fake.aws()}abc`],
    ["whsec_ base64 secret", `whsec_${alnum(20, 31)}+/${alnum(10, 32)}==`],
    ["RSA private key", fake.pem("RSA ")],
    ["PKCS#8 private key", fake.pem("")],
    ["EC private key", fake.pem("EC ")],
    ["OpenSSH private key", fake.pem("OPENSSH ")],
    ["encrypted private key", fake.pem("ENCRYPTED ")],
  ])("redacts a %s wherever it sits", (_name, secret) => {
    expect(redactSecretValues(secret)).toBe(REDACTED);
    expect(redactSecretValues(`key=${secret} next`)).toBe(`key=${REDACTED} next`);
    expect(redactSecretValues(`"${secret}"`)).toBe(`"${REDACTED}"`);
    expect(redactSecretValues(`line one\n${secret}\nline three`)).toBe(`line one\n${REDACTED}\nline three`);
  });

  it("keeps the word Bearer and hides the token", () => {
    expect(redactSecretValues(`Authorization: Bearer ${fake.mog()}`)).toBe(
      "Authorization: Bearer [redacted]",
    );
    expect(redactSecretValues("Bearer abc.def-ghi_jkl~mno+pq/rs==")).toBe("Bearer [redacted]");
    expect(redactSecretValues(`authorization: bearer ${alnum(30)}`)).toBe("authorization: bearer [redacted]");
    expect(redactSecretValues(`BEARER ${alnum(8)}, then`)).toBe("BEARER [redacted], then");
  });

  it("hides URL credentials but keeps scheme and host", () => {
    expect(redactSecretValues("postgres://admin:hunter22@db.internal:5432/app")).toBe(
      "postgres://[redacted]@db.internal:5432/app",
    );
    expect(redactSecretValues("git clone https://x-access-token:abc123@github.com/o/r.git")).toBe(
      "git clone https://[redacted]@github.com/o/r.git",
    );
    expect(redactSecretValues("redis://:only-a-password@cache:6379")).toBe("redis://[redacted]@cache:6379");
    expect(redactSecretValues("amqp+ssl://u:p:with:colons@mq/vhost")).toBe("amqp+ssl://[redacted]@mq/vhost");
    expect(redactSecretValues('{"url":"https://u:p@h/x"}')).toBe('{"url":"https://[redacted]@h/x"}');
  });

  it("redacts the whole PEM block and nothing around it", () => {
    const text = `before\n${fake.pem()}\nbetween\n${fake.pem("EC ")}\nafter`;
    expect(redactSecretValues(text)).toBe(`before\n${REDACTED}\nbetween\n${REDACTED}\nafter`);
  });

  it("redacts an unterminated PEM block through to the end of the text", () => {
    const cut = fake.pem().slice(0, 80);
    expect(redactSecretValues(`key follows: ${cut}`)).toBe(`key follows: ${REDACTED}`);
  });

  it("redacts PGP private key blocks", () => {
    const block = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n${alnum(60)}\n-----END PGP PRIVATE KEY BLOCK-----`;
    expect(redactSecretValues(`x ${block} y`)).toBe(`x ${REDACTED} y`);
  });

  it("redacts every secret in a mixed string", () => {
    const text = `a ${fake.sk()} b ${fake.gh("p")} c ${fake.aws()} d https://u:pw@h e ${fake.mog()}`;
    expect(redactSecretValues(text)).toBe(
      `a ${REDACTED} b ${REDACTED} c ${REDACTED} d https://${REDACTED}@h e ${REDACTED}`,
    );
  });

  it("redacts a token inside URL userinfo without leaking any of it", () => {
    const out = redactSecretValues(`https://user:${fake.gh("p")}@github.com/o/r`);
    expect(out).toBe(`https://${REDACTED}@github.com/o/r`);
  });

  it("redacts a Bearer header carrying a known token format", () => {
    expect(redactSecretValues(`Bearer ${fake.skAnt()}`)).toBe("Bearer [redacted]");
  });
});

describe("redactSecretValues: near misses stay untouched", () => {
  it.each([
    ["Bearer with a short word", "the Bearer token is sent"],
    ["Bearer placeholder", "send Bearer <token> in the header"],
    ["Bearer glued to a word", `xBearer ${alnum(20)}`],
    ["mog_ one char short", fake.mog(31)],
    ["mog_ glued to a word", `xmog_${alnum(32)}`],
    ["pmcp_ too short", `pmcp_${hex(15)}`],
    ["sk- one char short", fake.sk(19)],
    ["sk- inside a word", "task-management-and-planning-items"],
    ["sk- inside risk-", "risk-assessment-framework-version-two"],
    ["ghp_ one char short", fake.gh("p", 35)],
    ["unknown gh prefix", `ghx_${alnum(36)}`],
    ["github_pat_ too short", "github_pat_short"],
    ["unknown Slack type", `xoxz-1234567890-${alnum(20)}`],
    ["Slack body too short", "xoxb-12345"],
    ["AKIA one char short", fake.aws("AKIA", 15)],
    ["AKIA with lower case", `AKIA${alnum(16).toLowerCase()}`],
    ["unknown AWS prefix", `AKIB${upperAlnum(16)}`],
    ["AKIA glued to a word", `XAKIA${upperAlnum(16)}`],
    ["whsec_ too short", `whsec_${alnum(15)}`],
    ["public key block", `-----BEGIN PUBLIC KEY-----\n${alnum(64)}\n-----END PUBLIC KEY-----`],
    ["certificate block", `-----BEGIN CERTIFICATE-----\n${alnum(64)}\n-----END CERTIFICATE-----`],
    ["URL with a user but no password", "ssh://git@github.com/o/r.git"],
    ["URL with a port and an @ in the path", "https://example.com:8080/path/user@host"],
    ["URL with an @ in the query", "https://example.com:8080?mail=a:b@c"],
    ["IPv6 URL", "http://[::1]:8080/health"],
    ["e-mail address", "mail ops:team@example.com now"],
    ["plain prose", "The quick brown fox, version 1.2.3, took 12ms."],
  ])("%s", (_name, text) => {
    expect(redactSecretValues(text)).toBe(text);
  });
});

describe("redactSecretValues: robustness", () => {
  const adversarial: [string, string][] = [
    ["letters", "a".repeat(1_000_000)],
    ["scheme chars without ://", "ab+.-".repeat(200_000)],
    ["repeated ://", "://".repeat(333_334)],
    ["userinfo without @", `a://${"u:".repeat(500_000)}`],
    ["colons", ":".repeat(1_000_000)],
    ["repeated near-miss sk-", `sk-${"a".repeat(19)} `.repeat(43_479)],
    ["sk- chain", "sk-".repeat(333_334)],
    ["Bearer and spaces", `Bearer${" ".repeat(1_000_000)}!`],
    ["repeated Bearer", "Bearer ".repeat(142_858)],
    ["unterminated PEM headers", "-----BEGIN RSA PRIVATE KEY-----".repeat(32_000)],
    ["PEM label run", `-----BEGIN ${"A ".repeat(500_000)}`],
    ["dashes", "-".repeat(1_000_000)],
    ["AWS near misses", `AKIA${"A".repeat(15)} `.repeat(50_000)],
    ["underscores and prefixes", "mog_pmcp_ghp_whsec_github_pat_".repeat(33_334)],
  ];

  it.each(adversarial)("returns on 1 MB of %s", (_name, text) => {
    const out = redactSecretValues(text);
    expect(typeof out).toBe("string");
    expect(out.length).toBeGreaterThan(0);
  });

  it("is idempotent on every fixture and on random mixtures of them", () => {
    const pieces = [
      fake.mog(),
      fake.pmcp(),
      fake.sk(),
      fake.sk(19),
      fake.skAnt(),
      fake.gh("p"),
      fake.gh("s", 35),
      fake.githubPat(),
      fake.slack("b"),
      fake.aws(),
      fake.aws("ASIA", 20),
      fake.whsec(),
      `${fake.whsec(16)}=`,
      fake.pem(),
      fake.pem().slice(0, 50),
      "Bearer ",
      "bearer\t",
      alnum(12),
      "https://",
      "user:pass@",
      "://",
      ":",
      "@",
      "/",
      "=",
      "-",
      "_",
      "]",
      "[",
      " ",
      "\n",
      "x",
      "A",
      REDACTED,
    ];
    const random = seededRandom(20240611);
    const samples = [...pieces];
    for (let sample = 0; sample < 3000; sample++) {
      let text = "";
      const count = 1 + Math.floor(random() * 8);
      for (let piece = 0; piece < count; piece++) {
        text += pieces[Math.floor(random() * pieces.length)] ?? "";
      }
      samples.push(text);
    }
    for (const text of samples) {
      const once = redactSecretValues(text);
      expect(redactSecretValues(once), JSON.stringify(text)).toBe(once);
    }
  });
});

describe("redactKnownSecrets", () => {
  it("replaces every occurrence of each value", () => {
    expect(redactKnownSecrets("a hunter22 b hunter22 c s3cr3t!", ["hunter22", "s3cr3t!"])).toBe(
      "a [redacted] b [redacted] c [redacted]",
    );
  });

  it("ignores values shorter than 6 characters", () => {
    expect(redactKnownSecrets("abc12 and abc123", ["abc12", "abc123", "", "x"])).toBe("abc12 and [redacted]");
  });

  it("prefers the longest value so no tail of a longer secret is left behind", () => {
    expect(redactKnownSecrets("v=secret-value-long", ["secret-value", "secret-value-long"])).toBe(
      "v=[redacted]",
    );
    expect(redactKnownSecrets("v=secret-value-long", ["secret-value-long", "secret-value"])).toBe(
      "v=[redacted]",
    );
  });

  it("treats values literally, not as patterns", () => {
    expect(redactKnownSecrets("a.b*c+(d)|e and aXbbc+(d)|e", ["a.b*c+(d)|e"])).toBe(
      "[redacted] and aXbbc+(d)|e",
    );
    expect(redactKnownSecrets("p$&p$1 end", ["p$&p$1"])).toBe("[redacted] end");
  });

  it("returns the text unchanged when no value applies", () => {
    expect(redactKnownSecrets("nothing here", [])).toBe("nothing here");
    expect(redactKnownSecrets("nothing here", ["absent-value"])).toBe("nothing here");
  });

  it("does not nest markers when a secret overlaps the marker text", () => {
    const once = redactKnownSecrets("redacted password", ["redacted"]);
    expect(once).toBe("[redacted] password");
    expect(redactKnownSecrets(once, ["redacted"])).toBe(once);
  });

  it("never matches across a marker left by another secret", () => {
    expect(redactKnownSecrets("aaaaaabbbb", ["aaaaaa", "d]bbbb"])).toBe("[redacted]bbbb");
  });

  it("compiles once and can be reused", () => {
    const redact = compileKnownSecrets(["hunter22"]);
    expect(redact("x hunter22")).toBe("x [redacted]");
    expect(redact("hunter22 y")).toBe("[redacted] y");
  });
});
