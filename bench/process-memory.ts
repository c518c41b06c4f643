import { readdirSync, readFileSync } from 'node:fs';

/** A process of the stack under test, named by what it runs. */
export interface ProcessMemory {
  pid: number;
  name: string;
  rssMb: number;
  /** User + system CPU time since it started: per purchase, a figure that holds when other work steals the cores. */
  cpuMs: number;
}

// Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ) in /proc/<pid>/stat.
const TICK_MS = 10;

/** Resident memory and CPU time of `rootPid` and every process under it (Linux /proc), each named from its command line. */
export function processTreeMemory(rootPid: number, nameOf: (args: string[], pid: number) => string): ProcessMemory[] {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    // The command name is in parentheses and may hold spaces; the fields after it are fixed (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(pid, Number(fields[1]));
    cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree.flatMap((pid) => {
    const rss = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
    const args = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
    return rss ? [{ pid, name: nameOf(args, pid), rssMb: Number(rss) / 1024, cpuMs: cpu.get(pid) ?? 0 }] : [];
  });
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process ended meanwhile
  }
}
