-- AlterTable
ALTER TABLE "stripe_event" ADD COLUMN     "outcome" TEXT,
ADD COLUMN     "reason" TEXT;

-- CreateIndex
CREATE INDEX "stripe_event_outcome_received_at_idx" ON "stripe_event"("outcome", "received_at");

-- CreateIndex
CREATE INDEX "stripe_event_received_at_idx" ON "stripe_event"("received_at");
