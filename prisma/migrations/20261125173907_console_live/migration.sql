-- AlterTable
ALTER TABLE "callback_attempt" ADD COLUMN     "request_headers" JSONB;

-- CreateIndex
CREATE INDEX "callback_delivery_callback_created_at_idx" ON "callback_delivery"("callback", "created_at");

-- Live updates (src/live/): every committed change a subscriber may watch is announced on one channel.
-- NOTIFY inside the writing transaction is delivered only if it commits, to every API process that LISTENs.
-- Written by hand: Prisma's diff does not see functions or triggers (the drift check compares tables).
-- The body is an E'' string with \073 for each semicolon: the migration runner splits scripts on every one.
CREATE FUNCTION paygraph_notify_change() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''paygraph_change'', json_build_object(''type'', TG_ARGV[0], ''id'', NEW.id::text)::text)\073 RETURN NULL\073 END';

CREATE TRIGGER purchase_change AFTER INSERT OR UPDATE ON "Purchase"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_change('Purchase');
CREATE TRIGGER card_details_change AFTER INSERT OR UPDATE ON "CardDetails"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_change('CardDetails');
-- Only changes an operator sees: a claim (leased_until) alone is not one.
CREATE TRIGGER callback_delivery_insert AFTER INSERT ON "callback_delivery"
  FOR EACH ROW EXECUTE FUNCTION paygraph_notify_change('CallbackDelivery');
CREATE TRIGGER callback_delivery_change AFTER UPDATE ON "callback_delivery"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.attempts IS DISTINCT FROM NEW.attempts)
  EXECUTE FUNCTION paygraph_notify_change('CallbackDelivery');
