-- CreateTable
CREATE TABLE "callback_secret" (
    "callback" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "callback_secret_pkey" PRIMARY KEY ("callback","generation")
);

-- CreateIndex
CREATE INDEX "stripe_event_payload_idx" ON "stripe_event" USING GIN ("payload" jsonb_path_ops);
