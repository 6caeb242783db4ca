import { closeOnSignal } from "../lib/cli";
import { redisRestOptionsFromEnv } from "./env";
import { startRedisRestServer } from "./server";

const server = await startRedisRestServer(redisRestOptionsFromEnv());
console.log(`Upstash Redis REST stand-in listening on ${server.url}`);
console.log(`UPSTASH_REDIS_REST_URL=${server.url}`);
console.log(`UPSTASH_REDIS_REST_TOKEN=${server.token}`);
closeOnSignal([server]);
