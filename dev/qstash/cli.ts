import { closeOnSignal } from "../lib/cli";
import { qstashOptionsFromEnv } from "./env";
import { startQStashServer } from "./server";

const server = await startQStashServer(qstashOptionsFromEnv());
console.log(`local QStash listening on ${server.url} (in-memory: a restart loses pending messages and the DLQ)`);
console.log(`QSTASH_URL=${server.url}`);
console.log(`QSTASH_TOKEN=${server.token}`);
console.log(`QSTASH_CURRENT_SIGNING_KEY=${server.signingKeys.current}`);
console.log(`QSTASH_NEXT_SIGNING_KEY=${server.signingKeys.next}`);
closeOnSignal([server]);
