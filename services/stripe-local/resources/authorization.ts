import type { Decline } from '../errors.js';
import type { CardRecord } from './payment-methods.js';
import { AUTHENTICATION_REQUIRED } from './test-cards.js';

export type Authorization =
  | { result: 'approved' }
  | { result: 'declined'; decline: Decline }
  /** On-session: the cardholder must pass 3-D Secure first. */
  | { result: 'requires_action' }
  /** Off-session (or the Charges API, which cannot ask): the bank wants 3-D Secure that nobody can do now. */
  | { result: 'authentication_required'; decline: Decline };

export interface AttemptContext {
  offSession: boolean;
  /** The cardholder completed 3-D Secure for this very attempt. */
  authenticated: boolean;
  /** The legacy Charges API: no way to authenticate, so a card that asks is declined. */
  legacy: boolean;
  /** `request_three_d_secure` is `any` or `challenge`: 3-D Secure whenever the card supports it. */
  threeDSecureRequested?: boolean;
}

/** docs/testing, 3D Secure cards: this American Express card does not support 3D Secure, so it cannot be asked for. */
const NO_THREE_D_SECURE = new Set(['378282246310005']);

/** What the card's bank answers to a payment, as Stripe's test cards behave. */
export function authorize(
  saved: Pick<CardRecord, 'card' | 'setUpForOffSession'>,
  attempt: AttemptContext,
): Authorization {
  const { card } = saved;
  if (card.decline) {
    const { when: _when, ...decline } = card.decline;
    return { result: 'declined', decline };
  }
  const asks =
    card.authentication === 'always' ||
    (attempt.threeDSecureRequested === true && !NO_THREE_D_SECURE.has(card.number)) ||
    (card.authentication === 'on_setup' && !(attempt.offSession && saved.setUpForOffSession));
  if (!asks || attempt.authenticated) return { result: 'approved' };
  if (attempt.legacy)
    return {
      result: 'declined',
      decline: {
        code: 'card_declined',
        decline_code: 'authentication_required',
        message: AUTHENTICATION_REQUIRED.message,
      },
    };
  return attempt.offSession
    ? { result: 'authentication_required', decline: AUTHENTICATION_REQUIRED }
    : { result: 'requires_action' };
}

/** Saving a card (SetupIntent): cards that ask for 3-D Secure ask here too. */
export function authorizeSetup(saved: Pick<CardRecord, 'card'>, authenticated: boolean): Authorization {
  const { card } = saved;
  if (card.decline?.when === 'attach') {
    const { when: _when, ...decline } = card.decline;
    return { result: 'declined', decline };
  }
  return card.authentication && !authenticated ? { result: 'requires_action' } : { result: 'approved' };
}
