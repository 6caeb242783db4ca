import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A local stand-in that is listening; `close()` is idempotent. */
export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 picks an ephemeral port (what tests should use). */
  port?: number;
  /** Defaults to loopback: these tools have no auth worth exposing to a network. */
  host?: string;
}

export const DEFAULT_HOST = "127.0.0.1";

/**
 * Starts `server` and returns a handle whose `close()` first runs `beforeClose`
 * (so owners can stop timers and upgraded sockets) and then drops keep-alive
 * connections, which `server.close()` alone would wait on forever.
 */
export async function listen(server: Server, opts: ListenOptions, beforeClose?: () => Promise<void> | void): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await beforeClose?.();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    })();
    return closing;
  };
  return { url: `http://${formatHost(host)}:${port}`, host, port, close };
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
