// Types of front.mjs (plain JavaScript so scripts/cluster.sh can run it with node alone).
export interface Front {
  port: number;
  url: string;
  setUpstreams(list: string[]): void;
  served(): number[];
  close(): Promise<void>;
}

export function startFront(o?: { port?: number; upstreams?: string[] }): Promise<Front>;
