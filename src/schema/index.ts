import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './user.js';
import './session.js';
import './access-token.js';
import './card-details.js';
import './purchase.js';
import './refund.js';
import './callback-delivery.js';
import './callback-recovery.js';
import './purchase-timeline.js';
import './stripe-event.js';
import './stripe-config.js';
import './live.js';

export const schema = builder.toSchema();
export const printedSchema = () => printSchema(lexicographicSortSchema(schema));
