-- AlterTable
ALTER TABLE "Purchase" ADD COLUMN     "refundFailureReportedAt" TIMESTAMP(3);
