import { readFileSync } from "node:fs";
import { validateWorkflow } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const workflows = ["ci", "deploy"] as const;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  services?: Record<string, { image: string; ports?: string[] }>;
  steps: Step[];
  environment?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflow = (name: string) => parse(read(`.github/workflows/${name}.yml`)) as Workflow;
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));

/** The test command README's quick start gives (`npm ci && npm test  # passes the tests…`). */
function readmeTestCommand(): string {
  const line = read("README.md")
    .split("\n")
    .find((text) => /^npm ci && npm test\b/.test(text) && text.includes("# passes the tests"));
  if (!line) throw new Error("README's quick start no longer has its test command");
  return line.slice(0, line.indexOf("#")).trim();
}

describe("GitHub Actions workflows", () => {
  it.each(workflows)("%s.yml is valid against GitHub's workflow schema", (name) => {
    expect(validateWorkflow(read(`.github/workflows/${name}.yml`)).errors).toEqual([]);
  });

  it("the validator does catch a broken workflow (so a pass above means something)", () => {
    const broken = read(".github/workflows/ci.yml").replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04");
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it("CI runs on every push and pull request, with Postgres and Redis, the project's Node and exactly README's test command", () => {
    const ci = workflow("ci");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    const [job] = Object.values(ci.jobs);
    expect(Object.keys(job!.services ?? {}).sort()).toEqual(["postgres", "redis"]);
    expect(job!.services!.postgres!.ports).toEqual(["5432:5432"]);
    expect(job!.services!.redis!.ports).toEqual(["6379:6379"]);
    const setupNode = job!.steps.find((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(setupNode?.with).toEqual({ "node-version": "${{ steps.node.outputs.version }}", cache: "npm" });
    expect(runs(job!)).toContain(`echo "version=$(jq -r '.devDependencies.node' package.json)" >> "$GITHUB_OUTPUT"`);
    expect(JSON.parse(read("package.json")).devDependencies.node).toMatch(/^\^24\./);
    expect(runs(job!).at(-1)).toBe(readmeTestCommand());
  });

  it("deploy runs after green CI on main or by hand: image → migrations → jobs container → Worker, secrets only from GitHub", () => {
    const deploy = workflow("deploy");
    expect(deploy.on).toEqual({ workflow_run: { workflows: ["CI"], types: ["completed"], branches: ["main"] }, workflow_dispatch: null });
    const needs = Object.fromEntries(Object.entries(deploy.jobs).map(([name, job]) => [name, [job.needs ?? []].flat()]));
    expect(needs).toEqual({ image: [], migrate: ["image"], "jobs-container": ["image", "migrate"], worker: ["jobs-container"] });
    const all = (name: string) => JSON.stringify(deploy.jobs[name]);
    expect(all("image")).toContain("Dockerfile.jobs");
    expect(all("image")).toContain(":${{ env.COMMIT }}");
    expect(runs(deploy.jobs.migrate!)).toEqual(['docker run --rm -e DATABASE_URL "${{ needs.image.outputs.image }}:${COMMIT}" migrate']);
    expect(runs(deploy.jobs["jobs-container"]!).at(-1)).toBe(`ssh -i ~/.ssh/deploy_key "$VPS" "bash -s -- '\${COMMIT}'" < deploy/rollout.sh`);
    expect(runs(deploy.jobs.worker!).at(-1)).toBe('npx wrangler deploy --env production --message "${COMMIT}"');
    // Every secret the workflow reads is documented in its header and in docs/deploy.md.
    const text = read(".github/workflows/deploy.yml");
    const secrets = [...new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((match) => match[1]!))].filter((name) => name !== "GITHUB_TOKEN");
    expect(secrets.sort()).toEqual(["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN", "DATABASE_URL", "VPS_HOST", "VPS_SSH_KEY", "VPS_SSH_KNOWN_HOSTS", "VPS_USER"]);
    const guide = read("docs/deploy.md");
    for (const name of secrets) {
      expect(
        text
          .split("\n")
          .filter((line) => line.startsWith("#"))
          .join("\n"),
        name,
      ).toContain(name);
      expect(guide, name).toContain(`\`${name}\``);
    }
  });
});
