-- AlterTable
ALTER TABLE "stripe_event" ADD COLUMN     "held_for_payment_intent" TEXT;

-- CreateIndex
CREATE INDEX "stripe_event_held_for_payment_intent_idx" ON "stripe_event"("held_for_payment_intent");
