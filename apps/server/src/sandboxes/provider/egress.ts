// Per-sandbox egress allowlist: an HTTP CONNECT proxy on a unix socket, the sandbox's only way out.
import { lookup as dnsLookup } from "node:dns/promises";
import { createServer, type IncomingMessage } from "node:http";
import { BlockList, connect, isIP, type Socket } from "node:net";
import { dirname } from "node:path";
import { EGRESS_HOST } from "@mogplex/contract";

// The sandbox has no network namespace route out at all; inside, a socat listener on its own loopback forwards
// to this socket (bound read-only into the sandbox). Only CONNECT to an allowed name on an allowed port passes,
// and the name is resolved here, on the host, so the sandbox can't smuggle in an address of its choosing.
export const PROXY_PORT = 3128;
const INSIDE_DIR = "/run/mogplex-egress";
const DEFAULT_PORTS = [80, 443];

export interface EgressProxy {
  /** Host directory holding the socket (bound read-only at insideDir). */
  socketDir: string;
  insideDir: string;
  env: Record<string, string>;
  /** Shell lines that start the in-sandbox forwarder and wait until it listens. */
  preamble: string;
  close(): Promise<void>;
}

export interface EgressOptions {
  lookup?: (host: string) => Promise<string[]>;
  /** Addresses never dialled even when a name resolves to them (default: loopback, link-local, unspecified). */
  blocked?: (address: string) => boolean;
  /** Ports a tunnel may reach (default 80 and 443). */
  ports?: readonly number[];
}

const DEFAULT_BLOCKS = new BlockList();
DEFAULT_BLOCKS.addSubnet("127.0.0.0", 8, "ipv4");
DEFAULT_BLOCKS.addSubnet("0.0.0.0", 8, "ipv4");
DEFAULT_BLOCKS.addSubnet("169.254.0.0", 16, "ipv4"); // link-local, incl. cloud metadata endpoints
DEFAULT_BLOCKS.addSubnet("224.0.0.0", 4, "ipv4");
DEFAULT_BLOCKS.addAddress("::1", "ipv6");
DEFAULT_BLOCKS.addAddress("::", "ipv6");
DEFAULT_BLOCKS.addSubnet("fe80::", 10, "ipv6");
DEFAULT_BLOCKS.addSubnet("ff00::", 8, "ipv6");

export function defaultBlocked(address: string): boolean {
  const mapped = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  const family = isIP(mapped);
  if (family === 0) return true;
  return DEFAULT_BLOCKS.check(mapped, family === 4 ? "ipv4" : "ipv6");
}

/** `example.com` matches itself only; `*.example.com` matches its subdomains (not the bare name). */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((raw) => {
    const p = raw.toLowerCase().replace(/\.$/, "");
    if (p.startsWith("*.")) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

export function validEgressPattern(p: string): boolean {
  return EGRESS_HOST.test(p);
}

function parseTarget(url: string | undefined): { host: string; port: number } | null {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(url ?? "");
  if (!m?.[1] || !m[2]) return null;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1], port } : null;
}

export async function startEgressProxy(
  socketPath: string,
  hosts: readonly string[],
  o: EgressOptions = {},
): Promise<EgressProxy> {
  const lookup =
    o.lookup ??
    (async (h: string) => (await dnsLookup(h, { all: true, verbatim: true })).map((a) => a.address));
  const blocked = o.blocked ?? defaultBlocked;
  const ports = new Set(o.ports ?? DEFAULT_PORTS);
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    // Plain-HTTP proxying would let the sandbox speak to anything the host can read; tunnels only.
    res
      .writeHead(403, { "content-type": "text/plain" })
      .end("mogplex egress: only CONNECT tunnels are allowed\n");
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    const deny = (why: string) => {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nmogplex egress: ${why}\n`);
    };
    const target = parseTarget(req.url);
    if (!target) return deny("bad CONNECT target");
    if (!ports.has(target.port)) return deny(`port ${target.port} is not allowed`);
    if (!hostAllowed(target.host, hosts))
      return deny(`${target.host} is not in this repo's egress allowlist`);
    lookup(target.host).then(
      (addresses) => {
        const address = addresses.find((a) => !blocked(a));
        if (!address) return deny(`${target.host} resolves only to blocked addresses`);
        const upstream = connect({ host: address, port: target.port });
        sockets.add(upstream);
        upstream.on("close", () => sockets.delete(upstream));
        upstream.on("error", () => client.destroy());
        upstream.once("connect", () => {
          client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          if (head.length > 0) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
      },
      () => deny(`cannot resolve ${target.host}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${PROXY_PORT}`;
  return {
    socketDir: dirname(socketPath),
    insideDir: INSIDE_DIR,
    env: {
      HTTPS_PROXY: url,
      HTTP_PROXY: url,
      https_proxy: url,
      http_proxy: url,
      NO_PROXY: "localhost,127.0.0.1",
    },
    preamble: [
      `socat TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${INSIDE_DIR}/proxy.sock >/dev/null 2>&1 &`,
      `for _i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/${PROXY_PORT}) 2>/dev/null && break; sleep 0.02; done`,
    ].join("\n"),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
