/** Schedules: scheduled goals with their next firing; run one now, enable or disable it. */

import { useState } from "preact/hooks";
import { useKernelEvents, useLoad, useSession } from "../context.ts";
import { dateTime, message } from "../format.ts";
import { ScrollRegion } from "../scroll-region.tsx";
import type { Schedule } from "../types.ts";

export function SchedulesPage() {
  const { api } = useSession();
  const schedules = useLoad((client) => client.get<{ schedules: Schedule[] }>("/api/schedules"));
  const [notice, setNotice] = useState<{ text: string; error: boolean } | undefined>(undefined);
  useKernelEvents((event) => {
    if (event.type.startsWith("schedule.")) schedules.reload();
  });
  const runNow = async (name: string) => {
    try {
      const result = await api.post<{ started: boolean; taskId?: string; queued?: boolean }>(
        `/api/schedules/${encodeURIComponent(name)}/run`,
      );
      setNotice({
        text: result.started
          ? `Started run ${result.taskId ?? ""}.`
          : result.queued
            ? "Queued after the running one."
            : "Not started.",
        error: false,
      });
      schedules.reload();
    } catch (failure) {
      setNotice({ text: message(failure), error: true });
    }
  };
  const toggle = async (schedule: Schedule) => {
    try {
      const { name, cron, every, timezone, goal, agent } = schedule;
      await api.put(`/api/schedules/${encodeURIComponent(name)}`, {
        goal,
        timezone,
        enabled: !schedule.enabled,
        ...(cron === undefined ? {} : { cron }),
        ...(every === undefined ? {} : { every }),
        ...(agent === undefined ? {} : { agent }),
      });
      schedules.reload();
    } catch (failure) {
      setNotice({ text: message(failure), error: true });
    }
  };
  const list = schedules.data?.schedules ?? [];
  return (
    <>
      <h1>Schedules</h1>
      {notice === undefined ? null : (
        <p role={notice.error ? "alert" : "status"} class={notice.error ? "error" : undefined}>
          {notice.text}
        </p>
      )}
      {list.length === 0 ? <p>No scheduled goal.</p> : null}
      <ScrollRegion label="Scheduled goals">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">When</th>
              <th scope="col">Goal</th>
              <th scope="col">Next</th>
              <th scope="col">Fired / skipped</th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((schedule) => (
              <tr key={schedule.name}>
                <td>{schedule.name}</td>
                <td>
                  <code>{schedule.cron ?? `every ${schedule.every}`}</code> {schedule.timezone}
                </td>
                <td>{schedule.goal}</td>
                <td>{dateTime(schedule.nextFireAt)}</td>
                <td>
                  {schedule.fired} / {schedule.skipped}
                </td>
                <td>
                  <label>
                    <input type="checkbox" checked={schedule.enabled} onChange={() => toggle(schedule)} />
                    <span class="visually-hidden">Enabled {schedule.name}</span>
                  </label>
                </td>
                <td>
                  <button type="button" onClick={() => runNow(schedule.name)}>
                    Run now<span class="visually-hidden"> {schedule.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
