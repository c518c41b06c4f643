import { z } from 'zod';
import { BUILTIN_TRIGGERS, MODELS, OPERATIONS } from './events.js';

const triggerPattern = new RegExp(
  `^((${MODELS.join('|')})\\.(${OPERATIONS.join('|')})|${BUILTIN_TRIGGERS.join('|').replaceAll('.', '\\.')})$`,
);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const comparison = z
  .object({
    eq: scalar,
    ne: scalar,
    in: z.array(scalar),
    notIn: z.array(scalar),
    gt: z.number(),
    gte: z.number(),
    lt: z.number(),
    lte: z.number(),
  })
  .partial()
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'a comparison needs at least one operator');
const fieldConditions = z.record(z.string(), z.union([scalar, comparison]));

/** `when`: every part present must hold. Field maps compare the node or its previous values. */
export type Condition = {
  changed?: string[];
  node?: z.infer<typeof fieldConditions>;
  previous?: z.infer<typeof fieldConditions>;
  any?: Condition[];
  not?: Condition;
};
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({
      changed: z.array(z.string()).min(1),
      node: fieldConditions,
      previous: fieldConditions,
      any: z.array(conditionSchema).min(1),
      not: conditionSchema,
    })
    .partial()
    .strict(),
);

const duration = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m)$/, 'a duration like 500ms, 15s or 2m')
    .transform((text) => {
      const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text)!;
      return Number(amount) * (unit === 'ms' ? 0.001 : unit === 'm' ? 60 : 1);
    }),
]);

const LONG_UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A span of minutes to days ("30m", "12h", "5d"), in milliseconds: how long failing lasts, a rotation's grace. */
export const longDuration = z
  .string()
  .regex(/^\d+(\.\d+)?(m|h|d)$/, 'a duration like 30m, 12h or 5d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text)!;
    return Math.round(Number(amount) * LONG_UNITS_MS[unit as keyof typeof LONG_UNITS_MS]);
  });

/** One entry of callbacks.yml, as written (after ${ENV} interpolation). */
export const callbackEntrySchema = z
  .object({
    trigger: z
      .string()
      .regex(
        triggerPattern,
        `a trigger like Purchase.created (models: ${MODELS.join(', ')}), or ${BUILTIN_TRIGGERS.join(' or ')}`,
      ),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    payload: z.string().min(1),
    when: conditionSchema.optional(),
    timeout: duration.default(15).describe('seconds'),
    maxAttempts: z.number().int().min(1).max(100).default(25),
    ordered: z.boolean().default(false),
    enabled: z.boolean().default(true),
    secret: z.string().startsWith('whsec_').optional(),
    // Rotation: every listed secret signs each request (Standard Webhooks multi-signature), newest first.
    secrets: z.array(z.string().startsWith('whsec_')).min(1).max(5).optional(),
    // Flow control, across every worker process: deliveries beyond these wait their turn, none is dropped.
    maxInFlight: z
      .number({
        error: 'a whole number from 1 to 1000: deliveries in flight to this endpoint at once, across all workers',
      })
      .int('a whole number from 1 to 1000: deliveries in flight to this endpoint at once, across all workers')
      .min(1, 'a whole number from 1 to 1000: deliveries in flight to this endpoint at once, across all workers')
      .max(1000, 'a whole number from 1 to 1000: deliveries in flight to this endpoint at once, across all workers')
      .optional(),
    ratePerSecond: z
      .number({ error: 'a number above 0 and at most 10000: deliveries started per second, across all workers' })
      .positive('a number above 0 and at most 10000: deliveries started per second, across all workers')
      .max(10_000, 'a number above 0 and at most 10000: deliveries started per second, across all workers')
      .optional(),
    // Continuous failure for this long switches the callback off (announced through CallbackDelivery.disabled); false: never.
    disableAfterFailingFor: z
      .union([longDuration.refine((ms) => ms > 0, 'longer than 0'), z.literal(false)], {
        error: 'a duration like 30m, 12h or 5d, or false (never)',
      })
      .default(5 * 86_400_000),
  })
  .strict()
  .refine((entry) => !(entry.secret && entry.secrets), {
    message: 'give secret or secrets, not both',
    path: ['secrets'],
  });

export type CallbackEntry = z.infer<typeof callbackEntrySchema>;
