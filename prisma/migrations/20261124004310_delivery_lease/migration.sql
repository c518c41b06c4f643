-- AlterTable
ALTER TABLE "callback_delivery" ADD COLUMN     "leased_until" TIMESTAMPTZ(3);
