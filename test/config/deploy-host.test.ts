import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), "utf8");

interface Service {
  image: string;
  command?: string[];
  init?: boolean;
  restart?: string;
  env_file?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  logging?: { driver: string; options: Record<string, string> };
  stop_grace_period?: string;
}
const compose = parse(read("deploy/compose.yml"), { merge: true }) as { services: Record<string, Service> };

describe("deploy/compose.yml and the Caddyfile", () => {
  it("runs the jobs container and Caddy only: BullMQ's Redis is the Worker's Upstash database (docs/deploy.md)", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["caddy", "jobs"]);
    expect(read("deploy/compose.yml")).toContain("docs/deploy.md");
    expect(read("docs/deploy.md")).toContain("## Why BullMQ runs on Upstash Redis");
  });

  it("the jobs container restarts, drains, checks /health, rotates its logs and publishes nothing beyond loopback", () => {
    const jobs = compose.services.jobs!;
    expect(jobs).toMatchObject({ restart: "unless-stopped", init: true, command: ["serve"], env_file: ["jobs.env"], stop_grace_period: "35s" });
    expect(jobs.healthcheck!.test.join(" ")).toContain("http://127.0.0.1:8788/health");
    expect(jobs.logging).toEqual({ driver: "json-file", options: { "max-size": "10m", "max-file": "5" } });
    expect(jobs.ports).toEqual(["127.0.0.1:8788:8788", "127.0.0.1:8789:8789"]);
    // Signatures are checked against JOBS_PUBLIC_URL: it is built from the domain Caddy serves.
    expect(jobs.environment).toEqual({ NODE_ENV: "production", JOBS_PUBLIC_URL: "https://${JOBS_DOMAIN:?set JOBS_DOMAIN in .env}" });
  });

  it("Caddy is the only public listener and proxies /health and /qstash/* alone, never the admin port", () => {
    const caddy = compose.services.caddy!;
    expect(caddy.restart).toBe("unless-stopped");
    expect(caddy.logging?.driver).toBe("json-file");
    expect(caddy.ports).toEqual(["80:80", "443:443", "443:443/udp"]);
    const caddyfile = read("deploy/Caddyfile");
    const handled = [...caddyfile.matchAll(/^\s*handle(?:\s+(\S+))?\s*\{/gm)].map((match) => match[1] ?? "(everything else)");
    expect(handled).toEqual(["/health", "/qstash/*", "(everything else)"]);
    expect([...caddyfile.matchAll(/reverse_proxy\s+(\S+)/g)].map((match) => match[1])).toEqual(["jobs:8788", "jobs:8788"]);
    expect(caddyfile).toMatch(/handle \{\s*respond 404\s*\}/);
    expect(caddyfile).not.toContain("8789");
  });

  it("holds no secret: values come from .env and jobs.env on the host", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        expect(`${name}.${variable}=${value}`).toMatch(/^[a-z]+\.[A-Z_]+=(production|.*\$\{[A-Z_]+[^}]*\}.*)$/);
      }
    }
  });
});

describe("deploy/rollout.sh, with stand-ins for docker and curl", () => {
  const run = promisify(execFile);
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** A host whose docker runs the tags in `healthy` healthy and any other tag unhealthy; `missing` tags cannot be pulled. */
  function host(options: { current: string; healthy: string[]; missing?: string[] }) {
    const dir = mkdtempSync(join(tmpdir(), "autoecom-rollout-"));
    dirs.push(dir);
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, ".env"), `JOBS_IMAGE=ghcr.io/example/autoecom-jobs\nJOBS_IMAGE_TAG=${options.current}\nJOBS_DOMAIN=jobs.example.com\n`);
    const running = `$(sed -n 's/^JOBS_IMAGE_TAG=//p' "${dir}/.env")`;
    const healthy = `case " ${options.healthy.join(" ")} " in *" ${running} "*) true;; *) false;; esac`;
    writeFileSync(
      join(dir, "bin/docker"),
      `#!/usr/bin/env bash
echo "docker $* tag=\${JOBS_IMAGE_TAG:-${running}}" >> "${dir}/calls"
case "$1 $2" in
  "compose pull") case " ${(options.missing ?? []).join(" ")} " in *" $JOBS_IMAGE_TAG "*) echo "manifest unknown" >&2; exit 1;; esac ;;
  "compose ps") echo container-1 ;;
  "compose logs") echo "jobs | refused: METRICS_TOKEN" ;;
  "inspect "*) if ${healthy}; then echo healthy; else echo unhealthy; fi ;;
esac
`,
    );
    writeFileSync(join(dir, "bin/curl"), `#!/usr/bin/env bash\necho "curl $*" >> "${dir}/calls"\n${healthy}\n`);
    chmodSync(join(dir, "bin/docker"), 0o755);
    chmodSync(join(dir, "bin/curl"), 0o755);
    const rollout = (tag: string) =>
      run("bash", [join(repo, "deploy/rollout.sh"), tag], {
        env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, AUTOECOM_DIR: dir, HEALTH_TIMEOUT_SECONDS: "5", HEALTH_POLL_SECONDS: "0" },
      }).then(
        (result) => ({ code: 0, ...result }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const tag = () => /JOBS_IMAGE_TAG=(.*)/.exec(readFileSync(join(dir, ".env"), "utf8"))![1];
    const calls = () => readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
    return { rollout, tag, calls };
  }

  it("pulls, restarts and keeps the new tag once /health answers", async () => {
    const vps = host({ current: "aaa111", healthy: ["aaa111", "bbb222"] });
    const result = await vps.rollout("bbb222");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("rollout: aaa111 -> bbb222");
    expect(vps.tag()).toBe("bbb222");
    expect(vps.calls()).toEqual(
      expect.arrayContaining(["docker compose pull jobs tag=bbb222", "docker compose up -d --no-deps jobs tag=bbb222", "curl -fsS --max-time 5 http://127.0.0.1:8788/health"]),
    );
  });

  it("rolls back to the previous tag when the new one is unhealthy, and fails the deploy", async () => {
    const vps = host({ current: "aaa111", healthy: ["aaa111"] });
    const result = await vps.rollout("bad333");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("rolling back to aaa111");
    expect(result.stderr).toContain("back on aaa111, healthy");
    expect(vps.tag()).toBe("aaa111");
    expect(vps.calls().filter((call) => call.startsWith("docker compose up"))).toEqual(["docker compose up -d --no-deps jobs tag=bad333", "docker compose up -d --no-deps jobs tag=aaa111"]);
  });

  it("touches nothing running when the image cannot be pulled", async () => {
    const vps = host({ current: "aaa111", healthy: ["aaa111"], missing: ["ccc444"] });
    const result = await vps.rollout("ccc444");
    expect(result.code).not.toBe(0);
    expect(vps.tag()).toBe("aaa111");
    expect(vps.calls().some((call) => call.startsWith("docker compose up"))).toBe(false);
  });
});
