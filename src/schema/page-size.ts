/** A hard ceiling: no list answers more than this many items at once. */
export const MAX_PAGE_SIZE = 100;
/** A list asked for without `first` answers (and costs) a full page. */
export const DEFAULT_PAGE_SIZE = 100;
