// Loaded with --import through NODE_OPTIONS (which refuses --cpu-prof): profiles this process from start
// to exit and writes <BENCH_CPU_PROFILE>/<pid>-<script>.cpuprofile. A same-thread inspector session answers
// synchronously, so the profile can be written in the exit handler.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      const name = process.argv
        .slice(1)
        .map((arg) => path.basename(arg).replace(/\W+/g, '_'))
        .join('-')
        .slice(0, 80);
      writeFileSync(path.join(dir, `${process.pid}-${name}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
