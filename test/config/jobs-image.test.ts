import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { dropDatabase, ensureDatabase } from "#db/migrate";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), "utf8");
const dockerfile = read("Dockerfile.jobs");
const instructions = DockerfileParser.parse(dockerfile).getInstructions();
const lastFrom = instructions.findLastIndex((instruction) => instruction.getKeyword() === "FROM");
const runtime = instructions.slice(lastFrom);
const of = (keyword: string) => runtime.filter((instruction) => instruction.getKeyword() === keyword);

describe("Dockerfile.jobs (no Docker engine here: lint and structure)", () => {
  it("passes dockerfile-utils' validation with no diagnostics", () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it("the running stage is not root, has a HEALTHCHECK on /health, and dispatches commands through the entrypoint", () => {
    const users = of("USER").map((instruction) => instruction.getArgumentsContent());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const healthcheck = of("HEALTHCHECK");
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]!.getArgumentsContent()).toContain("/health");
    expect(of("ENTRYPOINT").map((i) => i.getArgumentsContent())).toEqual(['["node", "dist/jobs/entrypoint.js"]']);
    expect(of("CMD").map((i) => i.getArgumentsContent())).toEqual(['["serve"]']);
    // The bundle db/migrate.ts is in resolves ./migrations beside itself.
    expect(of("COPY").map((i) => i.getArgumentsContent())).toContain("db/migrations ./dist/jobs/migrations");
    expect(dockerfile).toContain("RUN npm run build:jobs");
    expect(JSON.parse(read("package.json")).scripts["build:jobs"]).toContain("--outfile=dist/jobs/entrypoint.js");
  });

  it("bakes in no secrets: no secret-like ENV or ARG, and the build context is an allow-list without env files", () => {
    for (const instruction of instructions.filter((i) => ["ENV", "ARG"].includes(i.getKeyword()))) {
      expect(instruction.getArgumentsContent(), instruction.getKeyword()).not.toMatch(/SECRET|TOKEN|PASSWORD|_KEY|DATABASE_URL|REDIS_URL/);
    }
    const ignore = read(".dockerignore")
      .split("\n")
      .filter((line) => line && !line.startsWith("#"));
    expect(ignore[0]).toBe("*");
    expect(ignore.filter((line) => line.startsWith("!")).some((line) => /env|dev\.vars|deploy/.test(line))).toBe(false);
  });
});

describe("the image's commands, run from the same bundle and layout as the image", () => {
  const dir = mkdtempSync(join(tmpdir(), "autoecom-image-"));
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/autoecom_image_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it("`migrate` applies the shipped migrations; an unknown command exits 2 naming the commands", async () => {
    // package.json's build:jobs with the output moved here: the image's /app/dist/jobs.
    const script: string = JSON.parse(read("package.json")).scripts["build:jobs"];
    const args = script
      .split(" ")
      .slice(1)
      .map((arg) => (arg.startsWith("--outfile=") ? `--outfile=${join(dir, "entrypoint.js")}` : arg));
    await run(join(repo, "node_modules/.bin/esbuild"), args, { cwd: repo });
    cpSync(join(repo, "db/migrations"), join(dir, "migrations"), { recursive: true });
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));

    await ensureDatabase(databaseUrl);
    const migrated = await run(process.execPath, [join(dir, "entrypoint.js"), "migrate"], { env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } });
    expect(JSON.parse(migrated.stdout)).toMatchObject({ migrated: new URL(databaseUrl).pathname.slice(1) });
    const journal = JSON.parse(read("db/migrations/meta/_journal.json")) as { entries: unknown[] };
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from drizzle.__drizzle_migrations");
      expect(rows[0]!.n).toBe(journal.entries.length);
    } finally {
      await client.end();
    }

    const unknown = await run(process.execPath, [join(dir, "entrypoint.js"), "migrat"]).catch((error: { code: number; stderr: string }) => error);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("Commands: serve, migrate, tokens:rotate") });
    const noUrl = await run(process.execPath, [join(dir, "entrypoint.js"), "migrate"], { env: { PATH: process.env.PATH } }).catch((error: { code: number; stderr: string }) => error);
    expect(noUrl).toMatchObject({ code: 1, stderr: expect.stringContaining("DATABASE_URL is required") });
  }, 60_000);
});
