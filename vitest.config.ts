import { defineConfig } from "vitest/config";

// Two projects: Node (jobs, db, dev tools, core, end-to-end) and workerd (the edge Worker).
// Each run gets its own database and Redis key prefix, created in globalSetup and removed after.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["core/**/*.test.ts", "db/**/*.test.ts", "jobs/**/*.test.ts", "dev/**/*.test.ts", "test/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
