// The trusted origins come from configuration only: the public URL's origin, else what the server listens on.
import { describe, expect, it } from "vitest";
import { trustedOrigins } from "./origin.js";

describe("trustedOrigins", () => {
  it("is exactly MOGPLEX_PUBLIC_URL's origin when one is set, whatever the listening address", () => {
    for (const host of ["127.0.0.1", "0.0.0.0", "::"]) {
      expect(trustedOrigins({ publicUrl: "https://mogplex.example.test/base/", host, port: 4100 })).toEqual([
        "https://mogplex.example.test",
      ]);
    }
    expect(trustedOrigins({ publicUrl: "http://10.1.2.3:8080", host: "0.0.0.0", port: 4100 })).toEqual([
      "http://10.1.2.3:8080",
    ]);
  });

  it("without a public URL: the loopback origins of the port the server listens on", () => {
    const at = (host: string) => trustedOrigins({ publicUrl: undefined, host, port: 4321 });
    expect(at("127.0.0.1")).toEqual(["http://127.0.0.1:4321", "http://localhost:4321"]);
    expect(at("0.0.0.0")).toEqual(["http://127.0.0.1:4321", "http://localhost:4321"]);
    expect(at("::1")).toEqual(["http://[::1]:4321", "http://localhost:4321"]);
    expect(at("::")).toEqual(["http://[::1]:4321", "http://localhost:4321", "http://127.0.0.1:4321"]);
    expect(at("localhost")).toEqual(["http://localhost:4321", "http://127.0.0.1:4321", "http://[::1]:4321"]);
  });

  it("without a public URL on a specific address: that address only", () => {
    expect(trustedOrigins({ publicUrl: undefined, host: "192.168.1.20", port: 80 })).toEqual([
      "http://192.168.1.20",
    ]);
    expect(trustedOrigins({ publicUrl: undefined, host: "fd00::5", port: 4100 })).toEqual([
      "http://[fd00::5]:4100",
    ]);
  });
});
