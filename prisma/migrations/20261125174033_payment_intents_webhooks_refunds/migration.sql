-- CreateEnum
CREATE TYPE "RefundStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

-- AlterEnum: values placed where schema.prisma lists them (the drift test compares label order).
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "CardStatus" ADD VALUE 'REQUIRES_ACTION' BEFORE 'ACTIVE';
ALTER TYPE "CardStatus" ADD VALUE 'DETACHED';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "PurchaseStatus" ADD VALUE 'PROCESSING' BEFORE 'PAID';
ALTER TYPE "PurchaseStatus" ADD VALUE 'REQUIRES_ACTION' BEFORE 'PAID';
ALTER TYPE "PurchaseStatus" ADD VALUE 'PARTIALLY_REFUNDED';
ALTER TYPE "PurchaseStatus" ADD VALUE 'REFUNDED';
ALTER TYPE "PurchaseStatus" ADD VALUE 'DISPUTED';

-- AlterTable
ALTER TABLE "CardDetails" ADD COLUMN     "brand" TEXT,
ADD COLUMN     "expMonth" INTEGER,
ADD COLUMN     "expYear" INTEGER,
ADD COLUMN     "last4" TEXT,
ADD COLUMN     "livemode" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "setupClientSecret" TEXT,
ADD COLUMN     "stripePaymentMethodId" TEXT,
ADD COLUMN     "stripeSetupIntentId" TEXT;

-- AlterTable
ALTER TABLE "Purchase" ADD COLUMN     "amountRefunded" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "clientSecret" TEXT,
ADD COLUMN     "disputeStatus" TEXT,
ADD COLUMN     "livemode" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "stripePaymentIntentId" TEXT;

-- AlterTable
ALTER TABLE "callback_delivery" ADD COLUMN     "woken_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "Refund" (
    "id" TEXT NOT NULL,
    "purchaseId" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "reason" TEXT,
    "status" "RefundStatus" NOT NULL DEFAULT 'PENDING',
    "stripeRefundId" TEXT,
    "failureCode" TEXT,
    "failureMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stripe_event" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Refund_stripeRefundId_key" ON "Refund"("stripeRefundId");

-- CreateIndex
CREATE INDEX "Refund_purchaseId_id_idx" ON "Refund"("purchaseId", "id");

-- CreateIndex
CREATE INDEX "CardDetails_stripePaymentMethodId_idx" ON "CardDetails"("stripePaymentMethodId");

-- CreateIndex
CREATE INDEX "CardDetails_stripeSetupIntentId_idx" ON "CardDetails"("stripeSetupIntentId");

-- CreateIndex
CREATE UNIQUE INDEX "Purchase_stripePaymentIntentId_key" ON "Purchase"("stripePaymentIntentId");

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_purchaseId_fkey" FOREIGN KEY ("purchaseId") REFERENCES "Purchase"("id") ON DELETE CASCADE ON UPDATE CASCADE;
