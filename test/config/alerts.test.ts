import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createTestResources, memoryLogger, metricsToken, type TestResources } from "../../jobs/test/support/resources";
import { startJobs, type RunningJobs } from "../../jobs/src/start";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), "utf8");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; runbook: string };
}
const rules = (parse(read("deploy/prometheus/alerts.yml")) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((group) => group.rules);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  read("docs/operations.md")
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) =>
      line
        .replace(/^#+ /, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, "")
        .replace(/\s/g, "-"),
    ),
);

const metricsIn = (expr: string) => [...new Set([...expr.matchAll(/\b(autoecom_[a-z_]+)\b/g)].map((match) => match[1]!))];
/** Counters exist only once something counted: checked in the source, not in a fresh scrape. */
const counters = new Set(["autoecom_token_refresh_failures_total"]);
const jobsSource = (dir: string): string =>
  readdirSync(join(repo, dir), { withFileTypes: true })
    .map((entry) => (entry.isDirectory() ? jobsSource(join(dir, entry.name)) : entry.name.endsWith(".ts") ? read(join(dir, entry.name)) : ""))
    .join("\n");

describe("deploy/prometheus/alerts.yml", () => {
  it("covers what the issue asks, each alert with a severity, a summary and a runbook section that exists in docs/operations.md", () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual(
      [
        "AutoEcomDeadLettersGrowing",
        "AutoEcomJobsContainerDown",
        "AutoEcomJobsFailing",
        "AutoEcomMetricsSourceDown",
        "AutoEcomQueueBacklog",
        "AutoEcomQueueStuck",
        "AutoEcomTinyPushesNeedAttention",
        "AutoEcomTokenRefreshFailing",
        "AutoEcomWebhookEventsFailing",
      ].sort(),
    );
    for (const rule of rules) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      const [page, anchor] = rule.annotations.runbook.split("#");
      expect(page, rule.alert).toBe("docs/operations.md");
      expect([...anchors], rule.alert).toContain(anchor);
    }
  });

  it("uses only metrics the jobs container exports (and Prometheus' own `up` for the scrape target)", () => {
    const source = jobsSource("jobs/src");
    for (const rule of rules) {
      const names = metricsIn(rule.expr);
      if (names.length === 0) expect(rule.expr, rule.alert).toMatch(/^up\{job="autoecom-jobs"\}/);
      for (const name of names) expect(source, `${rule.alert}: ${name}`).toContain(name.replace(/_(count|sum|bucket)$/, ""));
    }
    expect(read("deploy/prometheus/prometheus.yml")).toContain("job_name: autoecom-jobs");
  });

  describe("against a live /metrics", () => {
    let resources: TestResources;
    let jobs: RunningJobs;
    beforeAll(async () => {
      resources = await createTestResources();
      // No processors: nothing consumes, so an added job stays waiting.
      jobs = await startJobs(resources.env(), { processors: {}, log: memoryLogger() });
    });
    afterAll(async () => {
      await jobs?.close();
      await resources?.cleanup();
    });

    it("every gauge and histogram an alert reads is in the scrape; the oldest waiting job's age is reported per queue", async () => {
      const queue = new Queue("ml-sync", { connection: { url: "redis://127.0.0.1:6379" }, prefix: resources.prefix });
      try {
        // Added an hour ago as far as BullMQ knows: the age is then at least 3,600 s, whatever the clock does meanwhile.
        await queue.add("ml.sync", { runId: "00000000-0000-7000-8000-000000000000" }, { timestamp: Date.now() - 3_600_000 });
      } finally {
        await queue.close();
      }
      // One push a seller must look at (failed) and one that is fine (still an intent).
      const db = new pg.Client({ connectionString: resources.databaseUrl });
      await db.connect();
      try {
        await db.query(`
          with u as (insert into users (id, email, password_hash) values (gen_random_uuid(), 'alerts@example.com', 'x') returning id),
               t as (insert into tiny_accounts (id, user_id, company_name, cnpj) select gen_random_uuid(), id, 'Alerts Ltda', '11222333000181' from u returning id, user_id)
          insert into tiny_order_pushes (id, user_id, tiny_account_id, ml_order_id, status)
          select gen_random_uuid(), user_id, id, 2000000001, 'failed'::tiny_order_push_status from t
          union all select gen_random_uuid(), user_id, id, 2000000002, 'intent'::tiny_order_push_status from t`);
      } finally {
        await db.end();
      }
      const response = await fetch(`${jobs.adminUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      const body = await response.text();
      for (const name of rules.flatMap((rule) => metricsIn(rule.expr)).filter((name) => !counters.has(name))) {
        expect(body, name).toMatch(new RegExp(`^# TYPE ${name.replace(/_(count|sum|bucket)$/, "")} `, "m"));
      }
      const age = Number(/^autoecom_queue_oldest_waiting_seconds\{queue="ml-sync"\} (\S+)$/m.exec(body)?.[1]);
      expect(age).toBeGreaterThanOrEqual(3_600);
      expect(body).toMatch(/^autoecom_queue_oldest_waiting_seconds\{queue="ml-webhook"\} 0$/m);
      expect(body).toMatch(/^autoecom_tiny_order_pushes_needing_attention 1$/m);
      expect(body).toMatch(/^autoecom_metrics_source_up\{source="database"\} 1$/m);
    });
  });
});
