import { readFileSync } from 'node:fs';
import type pg from 'pg';

/**
 * CPU time spent by this process and by the PostgreSQL server, for figures that hold on a shared,
 * noisy machine: CPU milliseconds per request change little when other work steals the cores,
 * where requests per second change a lot.
 */
export interface CpuSample {
  nodeMs: number;
  postgresMs: number;
}

// Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ) in /proc/<pid>/stat.
const TICK_MS = 10;

export async function sampleCpu(pool: pg.Pool): Promise<CpuSample> {
  const usage = process.cpuUsage();
  const { rows } = await pool.query<{ pid: number }>('select pid from pg_stat_activity');
  const processes = rows.map((row) => statOf(row.pid)).filter((stat) => stat !== null);
  // The postmaster is every backend's parent: its own time, and that of the backends that exited
  // (an idle pool connection closed) through its children's time.
  const postmaster = processes.length > 0 ? statOf(processes[0]!.ppid) : null;
  let ticks = postmaster ? postmaster.ticks + postmaster.childTicks : 0;
  for (const stat of processes) ticks += stat.ticks;
  return { nodeMs: (usage.user + usage.system) / 1000, postgresMs: ticks * TICK_MS };
}

export const cpuBetween = (before: CpuSample, after: CpuSample): CpuSample => ({
  nodeMs: after.nodeMs - before.nodeMs,
  postgresMs: after.postgresMs - before.postgresMs,
});

function statOf(pid: number): { ppid: number; ticks: number; childTicks: number } | null {
  try {
    // The command name is in parentheses and may hold spaces; the fields after it are fixed (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') return null;
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return { ppid: fields[1]!, ticks: fields[11]! + fields[12]!, childTicks: fields[13]! + fields[14]! };
  } catch {
    return null; // a backend that exited meanwhile
  }
}
