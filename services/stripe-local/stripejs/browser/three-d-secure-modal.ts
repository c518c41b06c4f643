/// <reference lib="dom" />
import { AUTHENTICATION_FRAME, type AuthenticationMessage } from '../protocol.js';

/**
 * The 3-D Secure challenge, as Stripe.js shows it: an overlay over the page with the bank's page (here
 * the emulator's) in an iframe of its origin. Resolves once the cardholder answered (the page says so);
 * "Cancel" (or Escape) fails the authentication, as closing Stripe's modal does.
 */
export function authenticateInModal(pageUrl: string, origin: string): Promise<void> {
  const url = new URL(pageUrl, origin);
  // Only the emulator's own page is shown: its answer is the only one the page trusts.
  if (url.origin !== origin) return Promise.resolve();
  url.searchParams.set('origin', location.origin);
  return new Promise((resolve) => {
    const opener = document.activeElement as HTMLElement | null;
    const overlay = document.createElement('div');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', '3D Secure authentication');
    overlay.style.cssText =
      'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.55);display:flex;flex-direction:column;align-items:center;justify-content:center;gap:8px;';
    const frame = document.createElement('iframe');
    frame.name = '__privateStripeFrame3ds';
    frame.title = '3D Secure authentication';
    frame.src = url.href;
    frame.style.cssText =
      'border:none;background:#fff;border-radius:8px;width:min(480px,94vw);height:min(420px,80vh);box-shadow:0 8px 32px rgba(0,0,0,.35);';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel authentication';
    cancel.style.cssText =
      'font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #ccc;background:#fff;cursor:pointer;';
    const cancelMessage: AuthenticationMessage = { source: AUTHENTICATION_FRAME, type: 'cancel' };
    const cancelAuthentication = () => frame.contentWindow?.postMessage(cancelMessage, origin);
    cancel.addEventListener('click', cancelAuthentication);
    // Escape closes it too, wherever the focus is in the page (the 3-D Secure page handles its own).
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') cancelAuthentication();
    };
    document.addEventListener('keydown', onKey);
    overlay.append(frame, cancel);

    const onMessage = (event: MessageEvent<AuthenticationMessage>) => {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      if (event.data?.source !== AUTHENTICATION_FRAME || event.data.type !== 'done') return;
      window.removeEventListener('message', onMessage);
      document.removeEventListener('keydown', onKey);
      overlay.remove();
      opener?.focus?.();
      resolve();
    };
    window.addEventListener('message', onMessage);
    frame.addEventListener('load', () => frame.focus(), { once: true });
    document.body.append(overlay);
  });
}
