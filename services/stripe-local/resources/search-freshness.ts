/**
 * Stripe's search is not read-after-write: a new or changed object is "searchable in under 1 minute"
 * (docs/search#data-freshness). With a lag set, an object written within the last `lagMs` of the account's
 * clock is left out of `/v1/<type>/search` results (lists and retrieval see it at once, as at Stripe).
 */
export class SearchFreshness {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly lagMs: number,
    private readonly now: () => number,
  ) {}

  /** The object was created or changed now. */
  wrote(id: string): void {
    if (this.lagMs <= 0) return;
    const now = this.now();
    // Only the writes of the last lag are kept: a sweep once the map has grown keeps it that small.
    if (this.written.size >= 1_000)
      for (const [seen, at] of this.written) if (now - at >= this.lagMs) this.written.delete(seen);
    this.written.delete(id);
    this.written.set(id, now);
  }

  /** Whether search shows the object yet. */
  readonly shows = (record: { id: string }): boolean => {
    const at = this.written.get(record.id);
    return at === undefined || this.now() - at >= this.lagMs;
  };
}
