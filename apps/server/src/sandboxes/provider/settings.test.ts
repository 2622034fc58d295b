// The sandbox settings: MOGPLEX_SANDBOX_UID/GID/DISK_MB are validated at start, and the provider refuses a host
// identity it can't or mustn't use rather than quietly running sandboxes as someone else.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config.js";
import { BwrapProvider } from "./bwrap.js";
import { DEFAULT_SANDBOX_HOST_ID } from "./host-user.js";
import { HOST_PATH } from "./test-support/sandbox.js";

const sandbox = (env: Record<string, string>) =>
  loadConfig({ MOGPLEX_DATA_DIR: "/nonexistent", ...env }).engine.sandbox;

describe("sandbox settings", () => {
  it("reads the host ids and the disk cap, and leaves the ids to the provider when unset", () => {
    expect(sandbox({}).hostUser).toEqual({});
    expect(sandbox({}).limits.diskMb).toBe(8192);
    expect(sandbox({ MOGPLEX_SANDBOX_UID: "5000", MOGPLEX_SANDBOX_DISK_MB: "256" })).toMatchObject({
      hostUser: { uid: 5000 },
      limits: { diskMb: 256 },
    });
  });

  it("refuses root (0), junk, and a disk cap too small to hold a checkout, naming the variable", () => {
    for (const [name, value] of [
      ["MOGPLEX_SANDBOX_UID", "0"],
      ["MOGPLEX_SANDBOX_GID", "0"],
      ["MOGPLEX_SANDBOX_UID", "root"],
      ["MOGPLEX_SANDBOX_DISK_MB", "10"],
    ] as const) {
      expect(() => sandbox({ [name]: value })).toThrow(ConfigError);
      expect(() => sandbox({ [name]: value })).toThrow(new RegExp(`invalid ${name}`));
    }
  });
});

// Registered for the kind of server this process is (root in CI), so nothing is reported as skipped.
if (process.getuid?.() === 0)
  describe("a root server's provider", () => {
    it("runs sandboxes as the default unprivileged id unless told otherwise, and never as 0", async () => {
      const p = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH });
      expect(await p.check()).toMatchObject({
        ok: true,
        hostUid: DEFAULT_SANDBOX_HOST_ID,
        diskLimit: "filesystem",
      });
      const zero = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH, hostUser: { uid: 0 } });
      expect(await zero.check()).toMatchObject({ ok: false, reason: expect.stringMatching(/must not be 0/) });
      const custom = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH, hostUser: { uid: 64_001 } });
      expect(await custom.check()).toMatchObject({ ok: true, hostUid: 64_001 });
    });

    it("refuses when the mount base can't be reached by the sandbox user", async () => {
      const closed = mkdtempSync(join(tmpdir(), "mogplex-closed-")); // 0700
      try {
        const p = new BwrapProvider({
          bwrap: "bwrap",
          hostPath: HOST_PATH,
          mountBase: join(closed, "sandboxes"),
        });
        const status = await p.check();
        expect(status.ok).toBe(false);
        expect(status.reason).toContain(`${closed} is not searchable by other users`);
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    });
  });
else
  describe("an unprivileged server's provider", () => {
    it("refuses a host id other than its own (only a root server can switch)", async () => {
      const p = new BwrapProvider({ bwrap: "bwrap", hostPath: HOST_PATH, hostUser: { uid: 64_001 } });
      expect(await p.check()).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/only when the server runs as root/),
      });
    });
  });
