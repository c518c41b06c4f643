-- AlterTable
ALTER TABLE "callback_delivery" ADD COLUMN     "leased_by" TEXT;

-- CreateTable
CREATE TABLE "callback_worker" (
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "missing_since" TIMESTAMPTZ(3),

    CONSTRAINT "callback_worker_pkey" PRIMARY KEY ("name")
);
