/**
 * Gathers calls made in the same turn of the event loop into one: under load, many concurrent
 * deliveries share each database round trip; alone, a call waits for nothing but the next tick.
 */
export function createBatcher<In, Out>(
  run: (inputs: In[]) => Promise<Out[]>,
  maxSize = 200,
): (input: In) => Promise<Out> {
  let pending: { input: In; resolve: (value: Out) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    run(batch.map((item) => item.input)).then(
      (outputs) => batch.forEach((item, index) => item.resolve(outputs[index]!)),
      (error) => batch.forEach((item) => item.reject(error)),
    );
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      pending.push({ input, resolve, reject });
      if (pending.length === 1) setImmediate(flush);
      else if (pending.length >= maxSize) flush();
    });
}
