// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeOnly = ["bullmq", "ioredis", "pg", "ws", "@hono/node-server", "@bull-board/*"];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".wrangler/", "db/migrations/", "coverage/"] },
  // dependency-cruiser reads its configuration as CommonJS.
  { files: [".dependency-cruiser.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable" } } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip)$/]",
          message: "Focused or skipped tests are defects.",
        },
      ],
    },
  },
  {
    // The edge Worker and the runtime-neutral code run inside workerd: fetch and WebCrypto only.
    files: ["worker/**/*.ts", "core/**/*.ts", "integrations/**/*.ts", "domain/**/*.ts", "db/schema/**/*.ts", "db/client-worker.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "Runtime-neutral code uses fetch and WebCrypto only." },
            { group: nodeOnly, message: "BullMQ, ioredis and Node servers never enter the Worker or core/." },
          ],
        },
      ],
    },
  },
);
