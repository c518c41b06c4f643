/**
 * The card field's page, in an iframe of the emulator's origin (`/v3/elements/card`): four labelled inputs on
 * one line, as Stripe's card Element shows them. Its script (`card.js`) talks to the embedding page.
 */
export function cardFramePage(query: URLSearchParams): string {
  const hidePostalCode = query.get('hidePostalCode') === 'true';
  const disabled = query.get('disabled') === 'true' ? ' disabled' : '';
  const postalCode = (query.get('postalCode') ?? '').replace(
    /[&<>"']/g,
    (character) => `&#${character.charCodeAt(0)};`,
  );
  const input = (id: string, label: string, attributes: string) =>
    `<label class="visually-hidden" for="${id}">${label}</label><input id="${id}" ${attributes}${disabled} spellcheck="false" aria-invalid="false" aria-describedby="status">`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Secure card payment input frame</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
:root{--color:#30313d;--invalid:#df1b41;--placeholder:#757680;--font-size:16px;--font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
html,body{margin:0;padding:0;background:transparent;overflow:hidden}
.row{display:flex;gap:8px;align-items:center;font-family:var(--font-family);font-size:var(--font-size);line-height:1.5}
input{font:inherit;color:var(--color);border:none;outline:none;background:transparent;padding:0;margin:0;min-width:0}
input::placeholder{color:var(--placeholder)}
input[aria-invalid=true]{color:var(--invalid)}
input:focus-visible{box-shadow:0 1px 0 0 currentColor}
#number{flex:1 1 10em}#expiry{flex:0 0 5.2em}#cvc{flex:0 0 3.4em}#postal{flex:0 0 5.5em}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
</style></head><body>
<div class="row" role="group" aria-label="Credit or debit card">
${input('number', 'Card number', 'autocomplete="cc-number" inputmode="numeric" placeholder="Card number" maxlength="23"')}
${input('expiry', 'Expiration date (MM / YY)', 'autocomplete="cc-exp" inputmode="numeric" placeholder="MM / YY" maxlength="7"')}
${input('cvc', 'Security code (CVC)', 'autocomplete="cc-csc" inputmode="numeric" placeholder="CVC" maxlength="4"')}
${input('postal', 'ZIP or postal code', `autocomplete="postal-code" placeholder="ZIP" maxlength="10" value="${postalCode}"${hidePostalCode ? ' hidden' : ''}`)}
</div>
<div id="status" class="visually-hidden" role="alert"></div>
<script src="/v3/elements/card.js"></script>
</body></html>`;
}
