import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import { listen as listenServer, type ListenOptions, type RunningServer } from "../../lib/server";

export type { ListenOptions, RunningServer };

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Binds a sandbox's fetch handler on Node with the stand-ins' listen(), which also drops hung connections on close. */
export function listen(fetch: FetchHandler, opts: ListenOptions = {}): Promise<RunningServer> {
  return listenServer(createAdaptorServer({ fetch }) as Server, opts);
}
