import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint`) against a small tree with
 * one import per rule: each must be reported, and the imports that point down must not be.
 */
const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");
let dir: string;

const tree: Record<string, string> = {
  // Aliased imports (package.json "imports", as the product's) are held to the same rules as relative ones.
  "core/log.ts": `import "#db/query";`,
  "db/query.ts": `import "../domain/orders/rule"; import "../core/ids";`,
  "core/ids.ts": ``,
  "domain/orders/rule.ts": `import "../../integrations/tiny/client"; import "../../db/query"; import "../../jobs/src/queue";`,
  "integrations/tiny/client.ts": `import "../mercadolibre/client"; import "../../db/query";`,
  "integrations/mercadolibre/client.ts": `import "../../domain/orders/rule";`,
  "worker/src/route.ts": `import "../../jobs/src/queue"; import "../../domain/orders/rule";`,
  "jobs/src/queue.ts": `import "../../worker/src/route";`,
  "jobs/src/processors/tiny/push.ts": `import "../mercadolibre/fetch"; import "../shared/lock";`,
  "jobs/src/processors/mercadolibre/fetch.ts": `import "../shared/lock";`,
  "jobs/src/processors/shared/lock.ts": ``,
  "dev/sandbox/ml/items.ts": `import "#core/ids";`,
  "dev/stack/start.ts": `import "../../core/ids";`,
  "worker/src/dev-import.ts": `import "#dev/stack/start";`,
  "tsconfig.json": `{ "compilerOptions": { "module": "ESNext", "moduleResolution": "Bundler" } }`,
  "package.json": JSON.stringify({ type: "module", imports: { "#core/*": "./core/*.ts", "#db/*": "./db/*.ts", "#dev/*": "./dev/*.ts" } }),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "autoecom-deps-"));
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the layer rules", () => {
  it("report every import that points up or sideways, and only those", async () => {
    const cli = join(repo, "node_modules/.bin/depcruise");
    const result = await run(cli, ["core", "db", "integrations", "domain", "worker", "jobs", "dev", "--config", join(repo, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd: dir }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    const { summary } = JSON.parse(result.stdout) as { summary: { violations: { from: string; to: string; rule: { name: string } }[] } };
    const found = summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(
      [
        "core-is-the-ground: core/log.ts → db/query.ts",
        "db-imports-only-core: db/query.ts → domain/orders/rule.ts",
        "domain-below-adapters: domain/orders/rule.ts → jobs/src/queue.ts",
        "integrations-below-domain: integrations/mercadolibre/client.ts → domain/orders/rule.ts",
        "one-client-per-provider: integrations/tiny/client.ts → integrations/mercadolibre/client.ts",
        "worker-and-jobs-apart: worker/src/route.ts → jobs/src/queue.ts",
        "jobs-and-worker-apart: jobs/src/queue.ts → worker/src/route.ts",
        "processors-share-through-shared: jobs/src/processors/tiny/push.ts → jobs/src/processors/mercadolibre/fetch.ts",
        "sandboxes-are-independent: dev/sandbox/ml/items.ts → core/ids.ts",
        "production-never-imports-dev: worker/src/dev-import.ts → dev/stack/start.ts",
      ].sort(),
    );
  });
});
