import type { Identity } from '../auth/identity.js';
import type { CallbackAdmin } from '../callbacks/admin.js';
import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';

/** Everything a resolver may use; built once per request (or per callback delivery, as `system`). */
export interface Context {
  db: Db;
  identity: Identity;
  events: EventRecorder;
  callbacks: CallbackAdmin;
  sessionTtlHours: number;
}
