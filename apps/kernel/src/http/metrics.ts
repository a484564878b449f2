/** Prometheus text exposition of the kernel's counters and gauges. */

import type { Kernel } from "../kernel.ts";

export class HttpMetrics {
  readonly #requests = new Map<string, number>();
  #durationSumMs = 0;
  #count = 0;

  record(method: string, status: number, durationMs: number): void {
    const key = `${method} ${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    this.#durationSumMs += durationMs;
    this.#count += 1;
  }

  render(kernel: Kernel): string {
    const lines: string[] = [];
    const metric = (name: string, type: "counter" | "gauge", help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
    };
    const tasks = kernel.scheduler.stats();
    metric("oxios_tasks_total", "counter", "Tasks by outcome since start.", [
      ['{outcome="submitted"}', tasks.submitted],
      ['{outcome="admitted"}', tasks.admitted],
      ['{outcome="completed"}', tasks.completed],
      ['{outcome="failed"}', tasks.failed],
      ['{outcome="cancelled"}', tasks.cancelled],
      ['{outcome="reaped"}', tasks.reaped],
    ]);
    metric("oxios_tasks", "gauge", "Tasks queued and running now.", [
      ['{state="queued"}', tasks.queued],
      ['{state="running"}', tasks.running],
    ]);
    const agents = kernel.supervisor.stats();
    metric(
      "oxios_agents",
      "gauge",
      "Agents by status.",
      Object.entries(agents.byStatus).map(([status, count]) => [`{status="${status}"}`, count]),
    );
    metric("oxios_agent_runs_total", "counter", "Agent runs by outcome.", [
      ['{outcome="started"}', agents.runsStarted],
      ['{outcome="completed"}', agents.runsCompleted],
      ['{outcome="failed"}', agents.runsFailed],
      ['{outcome="stopped"}', agents.runsStopped],
    ]);
    const bus = kernel.bus.stats();
    metric("oxios_events_total", "counter", "Events published, delivered and dropped.", [
      ['{kind="published"}', bus.published],
      ['{kind="delivered"}', bus.delivered],
      ['{kind="dropped"}', bus.dropped],
    ]);
    const audit = kernel.auditSubscriber.stats();
    metric("oxios_audit_entries_total", "counter", "Audit entries recorded by the subscriber.", [["", audit.recorded]]);
    metric("oxios_audit_backlog", "gauge", "Events waiting to be audited.", [["", audit.backlog]]);
    const memory = kernel.memory.stats();
    metric("oxios_memories", "gauge", "Stored memories.", [["", memory.memories]]);
    metric(
      "oxios_http_requests_total",
      "counter",
      "HTTP requests by method and status.",
      [...this.#requests].map(([key, count]) => {
        const [method, status] = key.split(" ");
        return [`{method="${method}",status="${status}"}`, count];
      }),
    );
    metric("oxios_http_request_duration_ms_sum", "counter", "Total HTTP handling time.", [["", this.#durationSumMs]]);
    metric("oxios_http_request_duration_ms_count", "counter", "HTTP requests timed.", [["", this.#count]]);
    return `${lines.join("\n")}\n`;
  }
}
