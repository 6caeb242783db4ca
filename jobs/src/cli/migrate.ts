import { migrateDatabase } from "#db/migrate";

/**
 * `docker run --rm -e DATABASE_URL autoecom-jobs migrate`: applies the migrations shipped in the
 * image (db/migrations, next to the bundle) to DATABASE_URL, and nothing else. Unlike
 * `npm run db:migrate` it never creates the database: Neon creates it with the branch, and a
 * typo in the URL should fail here rather than leave an empty database behind.
 */
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("DATABASE_URL is required: the Postgres URL to migrate (on Neon, the direct URL, not the -pooler one).");
  process.exit(1);
}
const started = performance.now();
await migrateDatabase(databaseUrl);
console.log(JSON.stringify({ migrated: new URL(databaseUrl).pathname.slice(1), durationMs: Math.round(performance.now() - started) }));
