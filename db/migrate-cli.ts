import { ensureDatabase, migrateDatabase } from "./migrate";

const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/autoecom";
const started = performance.now();
await ensureDatabase(databaseUrl);
await migrateDatabase(databaseUrl);
console.log(`migrations applied to ${new URL(databaseUrl).pathname.slice(1)} in ${Math.round(performance.now() - started)} ms`);
