-- CreateEnum
CREATE TYPE "PurchaseWait" AS ENUM ('CARD_AUTHENTICATION');

-- AlterTable
ALTER TABLE "Purchase" ADD COLUMN     "waitingFor" "PurchaseWait";
