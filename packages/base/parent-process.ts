/**
 * For a process `npm start` started with an IPC channel: `stop` runs when that parent dies, however it
 * dies, including before this process finished loading (the disconnect event has then gone by
 * unheard). A process started any other way has no IPC channel and is left alone.
 */
export function stopWithParent(stop: () => void): void {
  if (!process.send) return;
  if (!process.connected) return stop();
  process.once('disconnect', stop);
}
