/**
 * In-process counters and histograms for /metrics. Queue depths come from Redis at scrape
 * time; what only this process sees (how long jobs took, what processors did) is kept here.
 * Deliberately tiny: a handful of series, rendered in the Prometheus text format.
 */

type Labels = Record<string, string>;

const durationBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  labels: Labels;
  buckets: number[];
  sum: number;
  count: number;
}

const keyOf = (name: string, labels: Labels) =>
  `${name}|${Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",")}`;

export class JobMetrics {
  private readonly counters = new Map<string, { name: string; labels: Labels; value: number }>();
  private readonly histograms = new Map<string, Histogram>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const key = keyOf(name, labels);
    const entry = this.counters.get(key) ?? { name, labels, value: 0 };
    entry.value += by;
    this.counters.set(key, entry);
  }

  observeJob(labels: { queue: string; job: string; outcome: string }, seconds: number): void {
    const key = keyOf("job", labels);
    let histogram = this.histograms.get(key);
    if (!histogram) {
      histogram = { labels, buckets: durationBucketsSeconds.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(key, histogram);
    }
    durationBucketsSeconds.forEach((bound, index) => {
      if (seconds <= bound) histogram.buckets[index]! += 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
  }

  counter(name: string, labels: Labels = {}): number {
    return this.counters.get(keyOf(name, labels))?.value ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    const byName = new Map<string, Array<{ labels: Labels; value: number }>>();
    for (const entry of this.counters.values()) {
      const list = byName.get(entry.name) ?? [];
      list.push(entry);
      byName.set(entry.name, list);
    }
    for (const [name, entries] of byName) {
      lines.push(`# TYPE ${name} counter`);
      for (const entry of entries) lines.push(`${name}${formatLabels(entry.labels)} ${entry.value}`);
    }
    lines.push("# HELP autoecom_job_duration_seconds Time a processor ran, per queue, job name and outcome.");
    lines.push("# TYPE autoecom_job_duration_seconds histogram");
    for (const histogram of this.histograms.values()) {
      durationBucketsSeconds.forEach((bound, index) => {
        lines.push(`autoecom_job_duration_seconds_bucket${formatLabels({ ...histogram.labels, le: String(bound) })} ${histogram.buckets[index]}`);
      });
      lines.push(`autoecom_job_duration_seconds_bucket${formatLabels({ ...histogram.labels, le: "+Inf" })} ${histogram.count}`);
      lines.push(`autoecom_job_duration_seconds_sum${formatLabels(histogram.labels)} ${histogram.sum}`);
      lines.push(`autoecom_job_duration_seconds_count${formatLabels(histogram.labels)} ${histogram.count}`);
    }
    return lines.join("\n");
  }
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`).join(",")}}`;
}
