// The registry's scanner on real bubblewrap: hostile archives, planted secrets, a clean package, a hung or
// misbehaving scan program, and no network inside.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { DEFAULT_LIMITS, inspect, type PackageErrorCode } from "@mogplex/pkgfmt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTree, SKILL_FILES, yazlZip } from "../../../../../packages/pkgfmt/src/test-support/fixtures.js";
import { absoluteTarget, CASES } from "../../../../../packages/pkgfmt/src/test-support/zip-slip-corpus.js";
import { createLogger } from "../../logger.js";
import { BwrapProvider } from "../../sandboxes/provider/bwrap.js";
import {
  type SandboxProvider,
  type SandboxSpec,
  SandboxUnavailableError,
} from "../../sandboxes/provider/index.js";
import { HOST_PATH, noProcessesWith, processesWith } from "../../sandboxes/provider/test-support/sandbox.js";
import { createSandboxScanner, type SandboxScannerOptions, ScanError, ScanSetupError } from "./index.js";
import type { ScanCategory } from "./types.js";

// The brief's mapping, spelled out here rather than read back from categories.ts.
const EXPECTED: Record<PackageErrorCode, ScanCategory> = {
  PATH_TRAVERSAL: "path_traversal",
  SYMLINK: "path_traversal",
  HARD_LINK: "path_traversal",
  INVALID_PATH: "path_traversal",
  INVALID_NAME_ENCODING: "path_traversal",
  MANIFEST_INVALID: "manifest",
  FILE_TYPE_NOT_ALLOWED: "file_type",
  SPECIAL_FILE: "file_type",
  ENCRYPTED_ENTRY: "file_type",
  UNSUPPORTED_COMPRESSION: "file_type",
  ARCHIVE_TOO_LARGE: "size",
  TOO_MANY_FILES: "size",
  FILE_TOO_LARGE: "size",
  TOTAL_TOO_LARGE: "size",
  ZIP_BOMB: "size",
  SIZE_MISMATCH: "size",
  ARCHIVE_INVALID: "structure",
  CRC_MISMATCH: "structure",
  DUPLICATE_ENTRY: "structure",
  NAME_COLLISION: "structure",
  LAYOUT_INVALID: "structure",
  INTEGRITY_MISMATCH: "structure",
  DESTINATION_EXISTS: "structure",
};

// A realistic-looking (not AWS's documented example, which the preset exempts) key pair.
const KEY_ID = "AKIAZ3MQWERTYUIOP4XK";
const SECRET_KEY = "q7Lk2Vb9XwR4tYp1Nc8Hs3Jd6Fg0Mz5Ae2Ui7Ko9";

describe("registry scanner in bubblewrap", () => {
  let dataDir: string;
  let programs: string;
  let logged: string[];
  let specs: SandboxSpec[];
  let provider: SandboxProvider;
  let n = 0;

  const scannerWith = (o: Partial<SandboxScannerOptions> = {}) =>
    createSandboxScanner({
      provider,
      rootDir: join(dataDir, "scan-sandboxes"),
      privateDirs: [dataDir],
      logger: createLogger(
        "debug",
        new Writable({
          write(chunk, _enc, cb) {
            logged.push(String(chunk));
            cb();
          },
        }),
      ),
      ...o,
    });
  /** The upload as the registry keeps it: a file in the (0700) data dir. */
  const stored = (bytes: Buffer) => {
    const p = join(dataDir, `upload-${++n}.zip`);
    writeFileSync(p, bytes, { mode: 0o600 });
    return p;
  };
  /** A stand-in for sandbox-main.js, readable by the sandbox user. */
  const program = (name: string, source: string) => {
    const p = join(programs, name);
    writeFileSync(p, source, { mode: 0o644 });
    return p;
  };
  const skillWith = (readme: string) =>
    yazlZip(SKILL_FILES.map((f) => (f.name === "README.md" ? { ...f, data: readme } : f)));

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "mogplex-scan-test-"));
    mkdirSync(join(dataDir, "scan-sandboxes"), { mode: 0o700 });
    programs = mkdtempSync(join(tmpdir(), "mogplex-scan-programs-"));
    chmodSync(programs, 0o755);
    logged = [];
    specs = [];
    const real = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH });
    // The real provider, with each spec it is given kept for the no-network assertion.
    provider = {
      name: real.name,
      check: () => real.check(),
      cleanup: (id, root) => real.cleanup(id, root),
      create: (spec) => {
        specs.push(spec);
        return real.create(spec);
      },
    };
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(programs, { recursive: true, force: true });
  });

  it("refuses every zip-slip corpus archive with its category, writing nothing anywhere", async () => {
    const scanner = scannerWith();
    const uploads: string[] = [];
    for (const c of CASES) uploads.push(stored(await c.archive()));
    const before = listTree(dataDir);
    // Four at a time: each scan is its own sandbox.
    const outcomes = new Array(CASES.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < CASES.length; i = next++)
        outcomes[i] = await scanner.scan(uploads[i] as string);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    CASES.forEach((c, i) => {
      expect(outcomes[i], c.title).toEqual({ status: "failed", reason: EXPECTED[c.code], code: c.code });
    });
    // Every sandbox is gone again, nothing appeared beside the uploads, nothing at the absolute target.
    expect(listTree(dataDir)).toEqual(before);
    expect(existsSync(absoluteTarget)).toBe(false);
  }, 300_000);

  it("passes a clean package with the manifest and file hashes pkgfmt's own inspect reads", async () => {
    const bytes = await yazlZip([...SKILL_FILES, { name: "docs/guide.md", data: "# Guide\n" }]);
    const outcome = await scannerWith().scan(stored(bytes));
    const own = await inspect(bytes);
    expect(outcome).toEqual({
      status: "passed",
      reason: null,
      manifest: own.manifest,
      files: own.files,
      archiveSha256: own.archiveSha256,
    });
  });

  it("fails a README with an AWS key as `secret`; the key is in neither the outcome nor any log line", async () => {
    logged = [];
    const readme = `# Setup\n\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET_KEY}\n`;
    const outcome = await scannerWith().scan(stored(await skillWith(readme)));
    expect(outcome).toEqual({ status: "failed", reason: "secret", code: "SECRET" });
    const everything = JSON.stringify(outcome) + logged.join("");
    expect(logged.length).toBeGreaterThan(0);
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything).not.toContain(KEY_ID);
  });

  it("flags a key id alone (not a secret by itself) and an mcp package started through a shell", async () => {
    const idOnly = await scannerWith().scan(stored(await skillWith(`Account key id: ${KEY_ID}\n`)));
    expect(idOnly).toEqual({ status: "flagged", reason: "secret", code: "POSSIBLE_SECRET" });
    const mcp = await yazlZip([
      {
        name: "mog.yaml",
        data: "name: acme/shell\nversion: 1.0.0\ntype: mcp\ndescription: x\ntargets: [generic]\nmcp:\n  command: bash\n  args: [-c, ./server.sh]\n",
      },
      { name: "README.md", data: "# Shell\n" },
      { name: "server.sh", data: "#!/bin/sh\n" },
    ]);
    expect(await scannerWith().scan(stored(mcp))).toEqual({
      status: "flagged",
      reason: "manifest",
      code: "SHELL_COMMAND",
    });
  });

  it("runs with no network: no egress hosts, and a connect to the host's loopback fails inside", async () => {
    const seen: number[] = [];
    const listener: Server = createServer((s) => {
      seen.push(1);
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as { port: number }).port;
    try {
      // Connected: exit 3 (the scan throws). Refused: a valid outcome naming the error code.
      const probe = program(
        "net-probe.mjs",
        `import net from "node:net";
const s = net.connect(${port}, "127.0.0.1");
s.on("connect", () => process.exit(3));
s.on("error", () => { process.stdout.write(JSON.stringify({ status: "failed", reason: "structure" }) + "\\n"); });`,
      );
      specs = [];
      const outcome = await scannerWith({ program: probe }).scan(stored(await yazlZip(SKILL_FILES)));
      expect(outcome).toEqual({ status: "failed", reason: "structure" });
      expect(seen).toEqual([]);
      expect(specs.map((s) => s.egressHosts)).toEqual([[]]);
    } finally {
      listener.close();
    }
  });

  it("a scan that hangs is killed at its wall time and throws; nothing of it keeps running", async () => {
    const marker = `hang-${process.pid}-${Date.now()}`;
    const hang = program(`${marker}.mjs`, "setInterval(() => {}, 1000);\n");
    const scanner = scannerWith({ program: hang, timeoutMs: 3_000 });
    const err = await scanner.scan(stored(await yazlZip(SKILL_FILES))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as Error).message).toMatch(/did not finish within 3000 ms/);
    await noProcessesWith(marker);
    expect(readdirSync(join(dataDir, "scan-sandboxes"))).toEqual([]);
  });

  it("a scan the caller cancels is killed and throws", async () => {
    const marker = `cancel-${process.pid}-${Date.now()}`;
    const hang = program(`${marker}.mjs`, "setInterval(() => {}, 1000);\n");
    const ac = new AbortController();
    const scanning = scannerWith({ program: hang })
      .scan(stored(await yazlZip(SKILL_FILES)), { signal: ac.signal })
      .catch((e: unknown) => e);
    // Cancelled once the program runs inside, so the kill of a running scan is what is tested.
    let settled = false;
    void scanning.then(() => {
      settled = true;
    });
    while (!settled && processesWith(marker).length === 0) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    const err = await scanning;
    await noProcessesWith(marker);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as Error).message).toMatch(/cancelled/);
    expect(readdirSync(join(dataDir, "scan-sandboxes"))).toEqual([]);
  });

  it("a scan that burns CPU past its cap is killed and throws", async () => {
    const spin = program("spin.mjs", "for (;;) {}\n");
    const scanner = scannerWith({ program: spin, limits: { cpuSeconds: 1 }, timeoutMs: 60_000 });
    const err = await scanner.scan(stored(await yazlZip(SKILL_FILES))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as Error).message).toMatch(/was killed/);
  });

  it("a package at the size limits passes under the default caps (no cap is too tight for a legitimate one)", async () => {
    // ~48 MiB archive: two 19 MiB files that do not compress (text and binary) in an mcp package.
    const text = randomBytes(14 * 1024 * 1024)
      .toString("base64")
      .slice(0, 19 * 1024 * 1024);
    const bytes = await yazlZip([
      {
        name: "mog.yaml",
        data: "name: acme/big\nversion: 1.0.0\ntype: mcp\ndescription: x\ntargets: [generic]\nmcp:\n  command: node\n  args: [server.js]\n",
      },
      { name: "README.md", data: "# Big\n" },
      { name: "server.js", data: "console.log(1)\n" },
      { name: "data.txt", data: text },
      { name: "blob.bin", data: randomBytes(19 * 1024 * 1024) },
    ]);
    const outcome = await scannerWith().scan(stored(bytes));
    expect(outcome.status).toBe("passed");
  }, 120_000);

  it("decides an archive over the size limit from its size alone, without a sandbox", async () => {
    const path = join(dataDir, "huge.zip");
    writeFileSync(path, "");
    truncateSync(path, DEFAULT_LIMITS.maxArchiveBytes + 1);
    const before = specs.length;
    expect(await scannerWith().scan(path)).toEqual({
      status: "failed",
      reason: "size",
      code: "ARCHIVE_TOO_LARGE",
    });
    expect(specs.length).toBe(before);
  });

  it("throws when no sandbox can run or the scan program is missing", async () => {
    const path = stored(await yazlZip(SKILL_FILES));
    const none = new BwrapProvider({ bwrap: "/nonexistent/bwrap", hostPath: HOST_PATH });
    const err = await scannerWith({ provider: none })
      .scan(path)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toMatch(/registry scans run only inside a sandbox/);
    const missing = await scannerWith({ program: join(programs, "missing.mjs") })
      .scan(path)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ScanSetupError);
  });

  it("refuses malformed output, and keeps what a crashing program wrote out of errors and logs", async () => {
    const bytes = await yazlZip(SKILL_FILES);
    const cases: Array<[string, string, RegExp]> = [
      [
        "two-lines.mjs",
        `console.log('{"status":"failed","reason":"size"}'); console.log("{}");`,
        /more than one line/,
      ],
      ["extra.mjs", `console.log('{"status":"failed","reason":"size","note":"x"}');`, /malformed outcome/],
      [
        "category.mjs",
        `console.log('{"status":"failed","reason":"evil"}');`,
        /malformed outcome \(at reason\)/,
      ],
      ["silent.mjs", "", /printed no outcome/],
      [
        "other-bytes.mjs",
        `console.log(JSON.stringify({ status: "passed", reason: null, manifest: { name: "acme/x", version: "1.0.0",
          type: "skill", description: "x", targets: ["generic"] }, files: [{ path: "mog.yaml", size: 1,
          sha256: "0".repeat(64) }, { path: "README.md", size: 1, sha256: "0".repeat(64) }], archiveSha256: "1".repeat(64) }));`,
        /other archive bytes/,
      ],
      [
        "crash.mjs",
        `process.stderr.write("reading aws_secret_access_key = ${SECRET_KEY}\\n"); process.exit(1);`,
        /exited 1/,
      ],
    ];
    for (const [name, source, message] of cases) {
      logged = [];
      const err = await scannerWith({ program: program(name, source) })
        .scan(stored(bytes))
        .catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ScanError);
      expect((err as Error).message, name).toMatch(message);
      expect((err as Error).message + logged.join("")).not.toContain(SECRET_KEY);
    }
  }, 60_000);
});
