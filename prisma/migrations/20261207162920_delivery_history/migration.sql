-- DropIndex
DROP INDEX "callback_delivery_node_id_idx";

-- DropIndex
DROP INDEX "callback_delivery_callback_created_at_idx";

-- CreateTable
CREATE TABLE "callback_delivery_count" (
    "id" BIGSERIAL NOT NULL,
    "callback" TEXT NOT NULL,
    "status" "callback_delivery_status" NOT NULL,
    "deliveries" BIGINT NOT NULL,

    CONSTRAINT "callback_delivery_count_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "callback_last_error" (
    "callback" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "callback_last_error_pkey" PRIMARY KEY ("callback")
);

-- CreateIndex
CREATE INDEX "callback_delivery_created_at_id_idx" ON "callback_delivery"("created_at", "id");

-- CreateIndex
CREATE INDEX "callback_delivery_node_id_created_at_id_idx" ON "callback_delivery"("node_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "callback_delivery_callback_created_at_id_idx" ON "callback_delivery"("callback", "created_at", "id");

-- CreateIndex
CREATE INDEX "callback_delivery_live_idx" ON "callback_delivery"("status", "created_at", "id") WHERE (status <> 'DELIVERED');

-- CreateIndex
CREATE INDEX "callback_delivery_callback_live_idx" ON "callback_delivery"("callback", "status", "created_at", "id") WHERE (status <> 'DELIVERED');

-- CreateIndex
CREATE INDEX "callback_delivery_finished_idx" ON "callback_delivery"("status", "completed_at") WHERE (completed_at IS NOT NULL);

-- Counts per callback and status, kept as appended changes (no row two writers wait on); the retention
-- sweep sums them up. Statement triggers for inserts and deletes (one row per statement and status);
-- a row trigger only for status changes, so the claims, which touch only the lease, pay nothing.
CREATE FUNCTION "callback_delivery_count_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "callback_delivery_count" ("callback", "status", "deliveries")
  SELECT "callback", "status", count(*) FROM "inserted" GROUP BY "callback", "status";
  RETURN NULL;
END $$;

CREATE FUNCTION "callback_delivery_count_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "callback_delivery_count" ("callback", "status", "deliveries")
  SELECT "callback", "status", -count(*) FROM "deleted" GROUP BY "callback", "status";
  RETURN NULL;
END $$;

CREATE FUNCTION "callback_delivery_count_moved"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "callback_delivery_count" ("callback", "status", "deliveries")
  VALUES (OLD."callback", OLD."status", -1), (NEW."callback", NEW."status", 1);
  RETURN NULL;
END $$;

CREATE TRIGGER "callback_delivery_count_inserted" AFTER INSERT ON "callback_delivery"
  REFERENCING NEW TABLE AS "inserted" FOR EACH STATEMENT EXECUTE FUNCTION "callback_delivery_count_inserted"();
CREATE TRIGGER "callback_delivery_count_deleted" AFTER DELETE ON "callback_delivery"
  REFERENCING OLD TABLE AS "deleted" FOR EACH STATEMENT EXECUTE FUNCTION "callback_delivery_count_deleted"();
CREATE TRIGGER "callback_delivery_count_moved" AFTER UPDATE OF "status", "callback" ON "callback_delivery"
  FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."callback" IS DISTINCT FROM NEW."callback")
  EXECUTE FUNCTION "callback_delivery_count_moved"();

-- The deliveries already there (the triggers' lock keeps writers out until this commits).
INSERT INTO "callback_delivery_count" ("callback", "status", "deliveries")
SELECT "callback", "status", count(*) FROM "callback_delivery" GROUP BY "callback", "status";

-- The newest failed attempt per callback (a "waiting" one is no failure: waiting for the cardholder), for the console's lastError without a scan of every attempt.
-- The callback is looked up by id (a subquery), never by joining the transition table, whose size
-- the planner cannot know.
CREATE FUNCTION "callback_last_error_recorded"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "callback_last_error" ("callback", "message", "at")
  SELECT DISTINCT ON ("callback") "callback", "message", "at" FROM (
    SELECT (SELECT d."callback" FROM "callback_delivery" d WHERE d."id" = a."delivery_id") AS "callback",
           coalesce(a."error", 'HTTP ' || a."http_status" || coalesce(': ' || left(a."response", 200), '')) AS "message",
           a."started_at" AS "at"
      FROM "recorded" a WHERE a."outcome" NOT IN ('delivered', 'waiting')) failed
  WHERE "callback" IS NOT NULL AND "message" IS NOT NULL
  ORDER BY "callback", "at" DESC
  ON CONFLICT ("callback") DO UPDATE SET "message" = excluded."message", "at" = excluded."at"
    WHERE "callback_last_error"."at" <= excluded."at";
  RETURN NULL;
END $$;

CREATE TRIGGER "callback_last_error_recorded" AFTER INSERT ON "callback_attempt"
  REFERENCING NEW TABLE AS "recorded" FOR EACH STATEMENT EXECUTE FUNCTION "callback_last_error_recorded"();

INSERT INTO "callback_last_error" ("callback", "message", "at")
SELECT DISTINCT ON (d."callback") d."callback",
       coalesce(a."error", 'HTTP ' || a."http_status" || coalesce(': ' || left(a."response", 200), '')), a."started_at"
  FROM "callback_attempt" a JOIN "callback_delivery" d ON d."id" = a."delivery_id"
 WHERE a."outcome" NOT IN ('delivered', 'waiting')
   AND coalesce(a."error", 'HTTP ' || a."http_status" || coalesce(': ' || left(a."response", 200), '')) IS NOT NULL
 ORDER BY d."callback", a."started_at" DESC;
