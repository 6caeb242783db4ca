import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: Node (jobs, db, dev tools, core, end-to-end) and workerd (the edge Worker).
// Each run gets its own database and Redis key prefix, created in globalSetup and removed after.
export default defineConfig({
  test: {
    // Runs in plain Node (outside the workerd project's module graph) and provides the Worker's bindings.
    globalSetup: ["test/setup/worker-stack.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: ["core/**/*.test.ts", "db/**/*.test.ts", "integrations/**/*.test.ts", "domain/**/*.test.ts", "jobs/**/*.test.ts", "dev/**/*.test.ts", "test/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: inject("workerBindings") },
          })),
        ],
        test: {
          name: "workerd",
          include: ["worker/test/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
