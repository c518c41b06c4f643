import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Whether a process with this pid runs (signal 0 only asks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid and every process it started, and theirs, from /proc (Linux). */
export function processTree(pid: number): number[] {
  const children = (() => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
        readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  })();
  return [pid, ...children.flatMap(processTree)];
}

/** The TCP addresses these processes listen on, as a server would report them ('127.0.0.1', '::'), from /proc (Linux). */
export function listeningAddresses(pids: number[]): { address: string; port: number; pid: number }[] {
  const owners = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkOrEmpty(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) owners.set(inode, pid);
    }
  }
  return ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .flatMap((line) => {
        const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
        // 0A: LISTEN
        if (state !== '0A' || !inode || !owners.has(inode)) return [];
        const [hex, port] = local!.split(':');
        return [{ address: procAddress(hex!), port: Number.parseInt(port!, 16), pid: owners.get(inode)! }];
      }),
  );
}

// /proc/net/tcp{,6} write addresses as 32-bit words in host (little-endian) byte order.
function procAddress(hex: string): string {
  const bytes = hex.match(/.{8}/g)!.flatMap((word) => word.match(/../g)!.reverse());
  if (bytes.length === 4) return bytes.map((byte) => Number.parseInt(byte, 16)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.slice(i * 2, i * 2 + 2).join(''));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

function readlinkOrEmpty(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
}
