-- AlterTable
ALTER TABLE "callback_delivery" ADD COLUMN     "announced_at" TIMESTAMPTZ(3),
ADD COLUMN     "flow_start_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "callback_setting" ADD COLUMN     "reason" TEXT;

-- CreateTable
CREATE TABLE "callback_secret" (
    "callback" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "callback_secret_pkey" PRIMARY KEY ("callback","generation")
);

-- CreateTable
CREATE TABLE "callback_state" (
    "callback" TEXT NOT NULL,
    "failing_since" TIMESTAMPTZ(3),
    "paused_until" TIMESTAMPTZ(3),
    "next_start_at" TIMESTAMPTZ(3),

    CONSTRAINT "callback_state_pkey" PRIMARY KEY ("callback")
);

-- CreateTable
CREATE TABLE "callback_flow_slot" (
    "callback" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "delivery_id" UUID,
    "held_until" TIMESTAMPTZ(3),

    CONSTRAINT "callback_flow_slot_pkey" PRIMARY KEY ("callback","slot")
);

-- CreateTable
CREATE TABLE "callback_flow_waiter" (
    "delivery_id" UUID NOT NULL,
    "callback" TEXT NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "woken_at" TIMESTAMPTZ(3),

    CONSTRAINT "callback_flow_waiter_pkey" PRIMARY KEY ("delivery_id")
);

-- CreateIndex
CREATE INDEX "callback_flow_waiter_callback_since_idx" ON "callback_flow_waiter"("callback", "since");

-- CreateIndex
CREATE INDEX "stripe_event_payload_idx" ON "stripe_event" USING GIN ("payload" jsonb_path_ops);
