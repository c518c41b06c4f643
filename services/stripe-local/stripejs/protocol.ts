/**
 * The messages between the page's Stripe.js and the frames of the emulator's origin (the card field and
 * the 3-D Secure page). Both sides check `event.origin` and `event.source` before reading one.
 */
export const CARD_FRAME = 'stripe-local-card';
export const AUTHENTICATION_FRAME = 'stripe-local-3ds';

export interface ElementError {
  type: 'validation_error';
  code: string;
  message: string;
}

export interface CardChange {
  elementType: 'card';
  empty: boolean;
  complete: boolean;
  brand: string;
  value: { postalCode: string };
  error?: ElementError;
}

/** What the card frame tells the page. */
export type FrameEvent =
  | { type: 'ready' | 'focus' | 'blur' }
  | { type: 'change'; change: CardChange }
  | { type: 'height'; height: number }
  | { type: 'created'; requestId: number; status: number; body: unknown };
export type FrameMessage = { source: typeof CARD_FRAME; id: string } & FrameEvent;

/** What the page asks of the card frame; the frame posts card data to the emulator itself. */
export type FrameCommand =
  | { type: 'create'; requestId: number; kind: 'payment_method' | 'token'; params: Record<string, unknown> }
  | { type: 'focus' | 'blur' | 'clear' };

/** The 3-D Secure page, answered in the modal: the page re-reads the intent. The modal may ask it to fail (closed). */
export type AuthenticationMessage = { source: typeof AUTHENTICATION_FRAME; type: 'done' | 'cancel' };
