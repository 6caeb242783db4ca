import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jobsEnvSchema } from "../../jobs/src/env";
import { workerConfigSchema } from "../../worker/src/env";
import { meanings, renderEnvTable, withFreshTable } from "#dev/deploy/env-table";

const page = readFileSync(new URL("../../docs/deploy.md", import.meta.url), "utf8");

describe("docs/deploy.md's variable table", () => {
  it("is what `npm run docs:env` generates from the schemas today (run it after changing a schema)", () => {
    expect(withFreshTable(page)).toBe(page);
  });

  it("lists every variable of both schemas once, and explains no variable that no longer exists", () => {
    const variables = [...new Set([...Object.keys(workerConfigSchema.shape), ...Object.keys(jobsEnvSchema.shape)])].sort();
    const rows = [...renderEnvTable().matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect(rows).toEqual(variables);
    expect(Object.keys(meanings).sort()).toEqual(variables);
  });

  it("says where production sets each secret, and that the local defaults are local", () => {
    const row = (name: string) =>
      renderEnvTable()
        .split("\n")
        .find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row("JWT_SECRET")).toContain("| required | — | **secret** |");
    expect(row("ADMIN_PASSWORD")).toContain("| — | `autoecom-local-admin` | **jobs.env** |");
    expect(row("TOKEN_ENCRYPTION_KEYS")).toContain("| **secret**, **jobs.env** |");
    expect(row("JOBS_PUBLIC_URL")).toContain("compose (from `JOBS_DOMAIN`)");
    expect(row("CORS_ORIGINS")).toContain("| wrangler.toml |");
  });
});
