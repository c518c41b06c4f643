import { readdirSync, readFileSync } from 'node:fs';

/** A process of the stack under test, named by what it runs. */
export interface ProcessMemory {
  pid: number;
  name: string;
  rssMb: number;
}

/** Resident memory of `rootPid` and every process under it (Linux /proc), each named from its command line. */
export function processTreeMemory(rootPid: number, nameOf: (args: string[], pid: number) => string): ProcessMemory[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat) parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree.flatMap((pid) => {
    const rss = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
    const args = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
    return rss ? [{ pid, name: nameOf(args, pid), rssMb: Number(rss) / 1024 }] : [];
  });
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // the process ended meanwhile
  }
}
