import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { listen, type RunningServer } from "../lib/server";
import { AddressAllowlist, DEFAULT_ALLOWED_ADDRESSES, parseAddress, type Address } from "./allowlist";

export const DEFAULT_WS_PORT = 5488;
/** Above this much unsent WebSocket data, stop reading from Postgres until it drains. */
const HIGH_WATER_BYTES = 1024 * 1024;

export interface NeonWsProxyOptions {
  /** Default 5488; use 0 in tests. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `host:port` targets clients may reach. Default 127.0.0.1:5432 and localhost:5432. */
  allow?: readonly string[];
}

export interface NeonWsProxyStats {
  open: number;
  opened: number;
  refused: number;
}

export interface NeonWsProxy extends RunningServer {
  stats(): NeonWsProxyStats;
}

/**
 * The WebSocket→TCP tunnel the Neon driver's Pool/Client use
 * (`ws://host:port/v2?address=pghost:pgport`). Bytes pass through untouched:
 * the Postgres wire protocol, auth included, runs between driver and server.
 */
export async function startNeonWsProxy(opts: NeonWsProxyOptions = {}): Promise<NeonWsProxy> {
  const allow = new AddressAllowlist(opts.allow ?? DEFAULT_ALLOWED_ADDRESSES);
  const wss = new WebSocketServer({ noServer: true });
  const tunnels = new Set<{ ws: WebSocket; tcp: Socket }>();
  const counts = { opened: 0, refused: 0 };

  const server = createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("this endpoint expects a WebSocket upgrade\n");
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const raw = new URL(req.url ?? "/", "http://local.invalid").searchParams.get("address");
    const target = raw ? parseAddress(raw) : undefined;
    if (!target) return refuse(socket, 400, "missing or invalid ?address=host:port");
    if (!allow.has(target)) {
      counts.refused++;
      return refuse(socket, 403, `address ${raw} is not allowed (allowed: ${allow})`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      counts.opened++;
      const tunnel = { ws, tcp: bridge(ws, target) };
      tunnels.add(tunnel);
      ws.once("close", () => tunnels.delete(tunnel));
    });
  });

  const running = await listen(server, { port: opts.port ?? DEFAULT_WS_PORT, host: opts.host }, () => {
    for (const { ws, tcp } of tunnels) {
      ws.terminate();
      tcp.destroy();
    }
    tunnels.clear();
    wss.close();
  });
  return { ...running, stats: () => ({ open: tunnels.size, ...counts }) };
}

function refuse(socket: Duplex, status: 400 | 403, message: string): void {
  const reason = status === 400 ? "Bad Request" : "Forbidden";
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n` + `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

function bridge(ws: WebSocket, target: Address): Socket {
  const tcp = connect({ host: target.host, port: target.port });
  tcp.setNoDelay(true);
  // The driver starts talking before the TCP connect completes; net buffers those writes.
  ws.on("message", (data: RawData) => {
    if (!tcp.write(toBuffer(data))) ws.pause();
  });
  tcp.on("drain", () => ws.resume());
  tcp.on("data", (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER_BYTES / 2) tcp.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) tcp.pause();
  });
  tcp.on("error", (err) => {
    if (ws.readyState === ws.OPEN) ws.close(1011, `upstream error: ${err.message}`.slice(0, 120));
  });
  tcp.on("close", () => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  ws.on("close", () => tcp.destroy());
  ws.on("error", () => tcp.destroy());
  return tcp;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
