/**
 * Both Neon stand-ins open connections wherever a client asks, so they only
 * proxy to listed Postgres addresses; otherwise they would be an open relay
 * into anything the developer's machine can reach.
 */
export const DEFAULT_ALLOWED_ADDRESSES = ["127.0.0.1:5432", "localhost:5432"] as const;

export interface Address {
  host: string;
  port: number;
}

/** Parses `host:port` (`[::1]:5432` for IPv6). */
export function parseAddress(text: string): Address | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (m[1] ?? m[2]!).toLowerCase(), port };
}

export class AddressAllowlist {
  private readonly allowed: Set<string>;

  constructor(entries: readonly string[]) {
    this.allowed = new Set(
      entries.map((entry) => {
        const address = parseAddress(entry);
        if (!address) throw new Error(`invalid allowlist entry ${JSON.stringify(entry)}, expected host:port`);
        return key(address);
      }),
    );
  }

  has(address: Address): boolean {
    return this.allowed.has(key(address));
  }

  toString(): string {
    return [...this.allowed].join(", ");
  }
}

function key({ host, port }: Address): string {
  return `${host.toLowerCase()}:${port}`;
}
