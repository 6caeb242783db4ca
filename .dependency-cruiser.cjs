// The layers of docs/architecture.md, enforced in `npm run lint`. Imports point down only:
//   worker/, jobs/ (adapters)  →  domain/ (business rules)  →  integrations/ (one client per provider)
//   →  db/ (schema, queries)  →  core/ (runtime-neutral infrastructure)
// Tests may reach across (a test of core/ may make a real database error); production code may not.
const test = "(\\.test\\.ts$|/test/|^test/)";
const above = (...layers) => `^(${layers.join("|")})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-is-the-ground",
      comment: "core/ is infrastructure every layer uses; it imports none of them.",
      severity: "error",
      from: { path: "^core/", pathNot: test },
      to: { path: above("db", "integrations", "domain", "worker", "jobs", "dev", "bench", "test") },
    },
    {
      name: "db-imports-only-core",
      comment: "db/ holds schema, migrations and queries: no provider shapes, no business rules.",
      severity: "error",
      from: { path: "^db/", pathNot: test },
      to: { path: above("integrations", "domain", "worker", "jobs", "dev", "bench", "test") },
    },
    {
      name: "integrations-below-domain",
      comment: "A provider client knows its provider's API and our rows, not what the business does with them.",
      severity: "error",
      from: { path: "^integrations/", pathNot: test },
      to: { path: above("domain", "worker", "jobs", "dev", "bench", "test") },
    },
    {
      name: "one-client-per-provider",
      comment: "MercadoLibre and Tiny clients never call each other; the domain combines them.",
      severity: "error",
      from: { path: "^integrations/(mercadolibre|tiny)/" },
      to: { path: "^integrations/", pathNot: "^integrations/$1/" },
    },
    {
      name: "domain-below-adapters",
      comment: "Business rules are called by the Worker and the jobs, never the other way round.",
      severity: "error",
      from: { path: "^domain/", pathNot: test },
      to: { path: above("worker", "jobs", "dev", "bench", "test") },
    },
    {
      name: "worker-and-jobs-apart",
      comment: "The two wings share code only through the layers below them.",
      severity: "error",
      from: { path: "^worker/" },
      to: { path: "^jobs/" },
    },
    {
      name: "jobs-and-worker-apart",
      severity: "error",
      from: { path: "^jobs/" },
      to: { path: "^worker/" },
    },
    {
      name: "production-never-imports-dev",
      comment: "The local stack and the sandboxes never ship.",
      severity: "error",
      from: { path: "^(core|db|integrations|domain|worker/src|jobs/src)/", pathNot: test },
      to: { path: above("dev", "test", "bench") },
    },
    {
      name: "sandboxes-are-independent",
      comment: "A sandbox that reuses product code cannot catch that code's bugs.",
      severity: "error",
      from: { path: "^dev/sandbox/", pathNot: test },
      to: { path: above("core", "db", "integrations", "domain", "worker", "jobs") },
    },
    {
      name: "processors-share-through-shared",
      comment: "A processor folder imports another only through jobs/src/processors/shared/.",
      severity: "error",
      from: { path: "^jobs/src/processors/(mercadolibre|tiny|maintenance)/" },
      to: { path: "^jobs/src/processors/(mercadolibre|tiny|maintenance)/", pathNot: "^jobs/src/processors/$1/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(node_modules|dist|\\.wrangler)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".mts", ".js", ".json"] },
  },
};
