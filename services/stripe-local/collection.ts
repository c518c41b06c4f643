import { invalidRequest } from './errors.js';

export interface Stored {
  id: string;
  created: number;
}

export interface ListParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  created?: number | { gt?: number; gte?: number; lt?: number; lte?: number };
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** One account's objects of one type, in creation order, for retrieval by id and Stripe's newest-first lists. */
export class Collection<T extends Stored> {
  private readonly byId = new Map<string, T>();
  private readonly order: T[] = [];
  private readonly position = new Map<string, number>();
  /** How many of the oldest records were let go to stay within `capacity`; positions count them. */
  private dropped = 0;

  /** `touched` hears of every record added or handed out, so a state file can write what a request may have changed. */
  constructor(
    private readonly capacity = Infinity,
    private readonly touched?: (record: T) => void,
  ) {}

  get size(): number {
    return this.order.length;
  }

  add(record: T): T {
    this.touched?.(record);
    this.byId.set(record.id, record);
    this.position.set(record.id, this.order.length + this.dropped);
    this.order.push(record);
    if (this.order.length > this.capacity) {
      const oldest = this.order.shift()!;
      this.byId.delete(oldest.id);
      this.position.delete(oldest.id);
      this.dropped++;
    }
    return record;
  }

  get(id: string): T | undefined {
    const record = this.byId.get(id);
    if (record) this.touched?.(record);
    return record;
  }

  /** Newest first, filtered, paginated with `starting_after` / `ending_before` as Stripe does. */
  list<R>(
    params: ListParams,
    url: string,
    render: (record: T) => R,
    keep: (record: T) => boolean = () => true,
  ): ListPage<R> {
    const limit = params.limit ?? 10;
    const inRange = createdMatcher(params.created);
    const matches = (record: T) => inRange(record.created) && keep(record);
    // ending_before walks towards newer objects from its cursor, everything else towards older ones.
    const forward = params.ending_before !== undefined;
    const start = forward
      ? this.cursor(params.ending_before!, 'ending_before') + 1
      : params.starting_after !== undefined
        ? this.cursor(params.starting_after, 'starting_after') - 1
        : this.order.length - 1;
    const data: T[] = [];
    let hasMore = false;
    for (let i = start; forward ? i < this.order.length : i >= 0; i += forward ? 1 : -1) {
      const record = this.order[i]!;
      if (!matches(record)) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(record);
    }
    // Pages are always newest first.
    if (forward) data.reverse();
    return { object: 'list', data: data.map(render), has_more: hasMore, url };
  }

  /** Every record, newest first, that passes `keep`. */
  *newestFirst(keep: (record: T) => boolean = () => true): Generator<T> {
    for (let i = this.order.length - 1; i >= 0; i--)
      if (keep(this.order[i]!)) {
        this.touched?.(this.order[i]!);
        yield this.order[i]!;
      }
  }

  /** Every record, oldest first, unseen by `touched`: what a state file's snapshot writes. */
  oldestFirst(): readonly T[] {
    return this.order;
  }

  private cursor(id: string, param: string): number {
    const index = this.position.get(id);
    if (index !== undefined) return index - this.dropped;
    throw invalidRequest(`No such object: '${id}'`, { param, code: 'resource_missing' });
  }
}

function createdMatcher(created: ListParams['created']): (value: number) => boolean {
  if (created === undefined) return () => true;
  if (typeof created === 'number') return (value) => value === created;
  const { gt, gte, lt, lte } = created;
  return (value) =>
    (gt === undefined || value > gt) &&
    (gte === undefined || value >= gte) &&
    (lt === undefined || value < lt) &&
    (lte === undefined || value <= lte);
}
