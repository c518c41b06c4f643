import v8 from 'node:v8';

/**
 * Under load V8 lets garbage promoted by requests in flight pile up to several times the live heap
 * before a full collection (up to 4x). A full collection once the heap is `percent`% over what the last
 * one kept held the API with its worker under 300 MB, at no CPU cost the benchmarks could tell from
 * noise (docs/benchmarks.md). V8 reads the flag at each collection, so setting it after start takes
 * effect; 0 leaves V8 its own choice.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
