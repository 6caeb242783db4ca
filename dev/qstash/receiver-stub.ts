import { createServer, type IncomingHttpHeaders } from "node:http";
import { Receiver } from "@upstash/qstash";
import { readBody } from "../lib/http";
import { listen, type RunningServer } from "../lib/server";
import type { SigningKeys } from "./types";

/** Test helper: a destination that records what QStash delivered and checks it with the official Receiver. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: string;
  at: number;
  /** Undefined when the signature verified with the official Receiver. */
  signatureError?: string;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** Decides the response; `nth` counts earlier requests to the same path. */
export type Responder = (req: ReceivedRequest, nth: number) => Reply | number;

export interface ReceiverStub extends RunningServer {
  requests: ReceivedRequest[];
  on(path: string, responder: Responder): void;
  /** Waits until `count` requests to `path` have arrived. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  receiver: Receiver;
}

export async function startReceiverStub(keys: SigningKeys): Promise<ReceiverStub> {
  const receiver = new Receiver({ currentSigningKey: keys.current, nextSigningKey: keys.next });
  const requests: ReceivedRequest[] = [];
  const responders = new Map<string, Responder>();
  let base = "";
  const server = createServer((req, res) => {
    const handle = async () => {
      const rawBody = await readBody(req, 10 * 1024 * 1024);
      const path = req.url ?? "/";
      const received: ReceivedRequest = {
        method: req.method ?? "GET",
        path,
        headers: req.headers,
        rawBody,
        body: rawBody.toString("utf8"),
        at: Date.now(),
      };
      received.signatureError = await verify(receiver, received, `${base}${path}`);
      const nth = requests.filter((r) => r.path === path).length;
      requests.push(received);
      const reply = responders.get(path)?.(received, nth) ?? 200;
      const { status, body, headers, delayMs } = typeof reply === "number" ? { status: reply } : reply;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (!res.destroyed) res.writeHead(status, headers).end(body ?? "");
    };
    handle().catch(() => res.destroy());
  });
  const running = await listen(server, { port: 0 });
  base = running.url;
  return {
    ...running,
    requests,
    receiver,
    on: (path, responder) => void responders.set(path, responder),
    waitFor: async (path, count, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hits = requests.filter((r) => r.path === path);
        if (hits.length >= count) return hits;
        if (Date.now() > deadline) throw new Error(`expected ${count} request(s) to ${path}, got ${hits.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

async function verify(receiver: Receiver, req: ReceivedRequest, url: string): Promise<string | undefined> {
  const signature = req.headers["upstash-signature"];
  if (typeof signature !== "string") return "missing Upstash-Signature";
  try {
    await receiver.verify({ signature, body: req.body, url, clockTolerance: 5 });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
