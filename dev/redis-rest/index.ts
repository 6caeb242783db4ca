export { redisRestOptionsFromEnv } from "./env";
export { DEFAULT_PORT, DEFAULT_REDIS_URL, DEFAULT_TOKEN, startRedisRestServer, type RedisRestServer, type RedisRestServerOptions } from "./server";
