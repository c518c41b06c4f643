-- DropIndex
DROP INDEX "callback_delivery_status_callback_idx";

-- CreateIndex
CREATE INDEX "callback_delivery_status_attempts_seq_idx" ON "callback_delivery"("status", "attempts", "seq");

-- A new delivery's notification says it is new ("created": true), with its callback and node, so
-- workers send its first attempt at once (src/callbacks/dispatcher.ts) with no graphile-worker job
-- written in the mutation's transaction. The live feed reads type and id as before. Written by hand: Prisma's diff does not see
-- functions or triggers. \073 is a semicolon (the migration runner splits scripts on every one).
CREATE FUNCTION paygraph_notify_new_delivery() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''paygraph_change'', json_build_object(''type'', ''CallbackDelivery'', ''id'', NEW.id::text, ''created'', true, ''callback'', NEW.callback, ''node'', NEW.node_id)::text)\073 RETURN NULL\073 END';

DROP TRIGGER callback_delivery_insert ON "callback_delivery";
CREATE TRIGGER callback_delivery_insert AFTER INSERT ON "callback_delivery"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_new_delivery();

-- Room on each page for a claim's lease (leased_until, in no index) to be a HOT update: no new
-- entry in any of the table's indexes for the update every attempt starts with. Not a schema change
-- Prisma sees (the drift check compares tables, columns, indexes and constraints).
ALTER TABLE "callback_delivery" SET (fillfactor = 70);
