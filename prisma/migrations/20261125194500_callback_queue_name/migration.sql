-- The named graphile-worker queue of a delivery: one per node of an `ordered` callback, so that
-- node's events run one at a time in commit order, and none (parallel) otherwise. Every statement that
-- queues a delivery job calls this function (src/callbacks/store/delivery-job.ts), and TypeScript
-- never spells the rule itself. Written by hand: Prisma's diff does not see functions.
CREATE FUNCTION paygraph_callback_queue_name(callback text, node_id text, ordered boolean) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN ordered THEN 'callback:' || callback || ':' || node_id END;
