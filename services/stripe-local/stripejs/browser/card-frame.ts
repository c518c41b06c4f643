/// <reference lib="dom" />
import { CARD_FRAME, type FrameCommand, type FrameEvent } from '../protocol.js';
import { callApi } from './api.js';
import {
  cardError,
  cardParams,
  cardState,
  cvcLength,
  formatExpiry,
  formatNumber,
  numberFilled,
  type CardFields,
} from './card-rules.js';

// The card field, in a frame of the emulator's origin: the number never reaches the page that embeds it.
const query = new URLSearchParams(location.search);
const parentOrigin = originOf(query.get('parent'));
const key = query.get('key') ?? '';
const id = query.get('id') ?? '';

const input = (name: string) => document.getElementById(name) as HTMLInputElement;
const fields = { number: input('number'), expiry: input('expiry'), cvc: input('cvc'), postalCode: input('postal') };
const status = document.getElementById('status')!;
const order = [fields.number, fields.expiry, fields.cvc, fields.postalCode].filter((field) => !field.hidden);
const left = new Set<keyof CardFields>();
let lastChange = '';

function originOf(value: string | null): string | null {
  try {
    return value ? new URL(value).origin : null;
  } catch {
    return null;
  }
}

function send(message: FrameEvent) {
  if (parentOrigin) window.parent.postMessage({ source: CARD_FRAME, id, ...message }, parentOrigin);
}

const values = (): CardFields => ({
  number: fields.number.value,
  expiry: fields.expiry.value,
  cvc: fields.cvc.value,
  postalCode: fields.postalCode.hidden ? null : fields.postalCode.value,
});

function reportChange() {
  const state = cardState(values(), new Date(), left);
  const change = { elementType: 'card' as const, ...state, value: { postalCode: fields.postalCode.value } };
  const invalidCodes: Record<string, HTMLInputElement> = {
    number: fields.number,
    expiry: fields.expiry,
    cvc: fields.cvc,
    zip: fields.postalCode,
  };
  for (const [part, field] of Object.entries(invalidCodes))
    field.setAttribute('aria-invalid', String(state.error?.code.includes(part) ?? false));
  status.textContent = state.error?.message ?? '';
  const serialized = JSON.stringify(change);
  if (serialized === lastChange) return;
  lastChange = serialized;
  send({ type: 'change', change });
}

fields.number.addEventListener('input', () => {
  fields.number.value = formatNumber(fields.number.value);
  reportChange();
  if (numberFilled(fields.number.value)) fields.expiry.focus();
});
fields.expiry.addEventListener('input', (event) => {
  const deleting = (event as InputEvent).inputType?.startsWith('delete');
  if (!deleting) fields.expiry.value = formatExpiry(fields.expiry.value);
  reportChange();
  if (!deleting && fields.expiry.value.replace(/\D/g, '').length === 4) fields.cvc.focus();
});
fields.cvc.addEventListener('input', () => {
  fields.cvc.value = fields.cvc.value.replace(/\D/g, '').slice(0, cvcLength(fields.number.value));
  reportChange();
  if (fields.cvc.value.length === cvcLength(fields.number.value) && !fields.postalCode.hidden)
    fields.postalCode.focus();
});
fields.postalCode.addEventListener('input', reportChange);

for (const [name, field] of Object.entries(fields) as [keyof CardFields, HTMLInputElement][]) {
  // Focus moving between the card's own inputs is no focus or blur of the Element.
  field.addEventListener('focus', (event) => {
    if (!order.includes(event.relatedTarget as HTMLInputElement)) send({ type: 'focus' });
  });
  field.addEventListener('blur', (event) => {
    left.add(name);
    reportChange();
    if (!order.includes((event as FocusEvent).relatedTarget as HTMLInputElement)) send({ type: 'blur' });
  });
  // Backspace in an empty input goes back to the one before it, as in one field.
  field.addEventListener('keydown', (event) => {
    const index = order.indexOf(field);
    if (event.key === 'Backspace' && field.value === '' && index > 0) {
      event.preventDefault();
      order[index - 1]!.focus();
    }
  });
}

async function create(command: Extract<FrameCommand, { type: 'create' }>) {
  for (const name of Object.keys(fields) as (keyof CardFields)[]) left.add(name);
  reportChange();
  const invalid = cardError(values(), new Date(), () => true);
  if (invalid) {
    send({ type: 'created', requestId: command.requestId, status: 400, body: { error: invalid } });
    return;
  }
  const card = cardParams(values());
  const postalCode = fields.postalCode.hidden ? undefined : fields.postalCode.value.trim();
  const params =
    command.kind === 'token'
      ? { card: { ...card, ...command.params, ...(postalCode && { address_zip: postalCode }) } }
      : withPostalCode({ ...command.params, type: 'card', card }, postalCode);
  const path = command.kind === 'token' ? '/v1/tokens' : '/v1/payment_methods';
  const answer = await callApi(location.origin, key, 'POST', path, params);
  send({ type: 'created', requestId: command.requestId, ...answer });
}

/** The postal code typed goes into billing_details.address unless the page gave one. */
function withPostalCode(params: Record<string, unknown>, postalCode: string | undefined) {
  if (!postalCode) return params;
  const billing = (params.billing_details ?? {}) as { address?: Record<string, unknown> };
  return { ...params, billing_details: { ...billing, address: { postal_code: postalCode, ...billing.address } } };
}

window.addEventListener('message', (event: MessageEvent<FrameCommand>) => {
  if (event.origin !== parentOrigin || event.source !== window.parent) return;
  const command = event.data;
  if (command.type === 'create') void create(command);
  else if (command.type === 'focus') order[0]!.focus();
  else if (command.type === 'blur') (document.activeElement as HTMLElement | null)?.blur();
  else if (command.type === 'clear') {
    for (const field of order) field.value = '';
    left.clear();
    reportChange();
  }
});

/** Stripe.js's `style` option, the few properties a card field uses; CSS variables so no value can add a rule. */
function applyStyle(json: string | null) {
  let style: { base?: Record<string, unknown>; invalid?: Record<string, unknown> } = {};
  try {
    style = JSON.parse(json ?? '{}') as typeof style;
  } catch {
    return;
  }
  const set = (name: string, value: unknown) => {
    if (typeof value === 'string') document.documentElement.style.setProperty(name, value);
  };
  set('--color', style.base?.color);
  set('--font-size', style.base?.fontSize);
  set('--font-family', style.base?.fontFamily);
  set('--placeholder', (style.base?.['::placeholder'] as { color?: unknown } | undefined)?.color);
  set('--invalid', style.invalid?.color);
}

applyStyle(query.get('style'));
new ResizeObserver(() => send({ type: 'height', height: document.documentElement.scrollHeight })).observe(
  document.body,
);
send({ type: 'ready' });
