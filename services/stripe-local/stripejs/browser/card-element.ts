/// <reference lib="dom" />
import { CARD_FRAME, type CardChange, type FrameCommand, type FrameMessage } from '../protocol.js';
import type { ApiAnswer } from './api.js';
import { IntegrationError } from './integration-error.js';

export interface CardElementOptions {
  hidePostalCode?: boolean;
  value?: { postalCode?: string };
  style?: Record<string, unknown>;
  classes?: Partial<Record<'base' | 'complete' | 'empty' | 'focus' | 'invalid', string>>;
  disabled?: boolean;
}

type Handler = (event: unknown) => void;
const EVENTS = ['change', 'ready', 'focus', 'blur', 'escape'];
let lastId = 0;

/**
 * The page's half of a card Element: an iframe of the emulator's origin holds the inputs, and this only
 * passes commands in and events out (`postMessage`, origin and source checked by both sides).
 */
export class CardElement {
  readonly id = `card-${++lastId}-${Math.random().toString(36).slice(2, 10)}`;
  private frame: HTMLIFrameElement | null = null;
  private container: HTMLElement | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly pending = new Map<number, (answer: ApiAnswer) => void>();
  private ready: Promise<void> = Promise.resolve();
  private markReady = () => {};
  private lastRequest = 0;
  private state: { focus: boolean; change: CardChange | null } = { focus: false, change: null };
  destroyed = false;

  constructor(
    private readonly context: { origin: string; key: string },
    private options: CardElementOptions,
    private readonly onDestroy: (element: CardElement) => void,
  ) {}

  mount(target: string | HTMLElement): void {
    if (this.destroyed) throw new IntegrationError('This Element has already been destroyed. Please create a new one.');
    if (this.frame)
      throw new IntegrationError(
        'This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.',
      );
    const container = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
    if (!container)
      throw new IntegrationError(
        `The selector you specified (${String(target)}) applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().`,
      );
    const frame = document.createElement('iframe');
    frame.name = `__privateStripeFrame${this.id}`;
    frame.title = 'Secure card payment input frame';
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('scrolling', 'no');
    frame.setAttribute('allowtransparency', 'true');
    frame.style.cssText = 'border:none;margin:0;padding:0;width:100%;min-width:100%;height:24px;display:block;';
    frame.src = `${this.context.origin}/v3/elements/card?${this.frameQuery()}`;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    container.append(frame);
    this.frame = frame;
    this.container = container;
    this.updateClasses();
  }

  private frameQuery(): string {
    const query = new URLSearchParams({ id: this.id, key: this.context.key, parent: location.origin });
    if (this.options.hidePostalCode) query.set('hidePostalCode', 'true');
    if (this.options.value?.postalCode) query.set('postalCode', this.options.value.postalCode);
    if (this.options.style) query.set('style', JSON.stringify(this.options.style));
    if (this.options.disabled) query.set('disabled', 'true');
    return query.toString();
  }

  unmount(): void {
    this.frame?.remove();
    this.frame = null;
    for (const resolve of this.pending.values()) resolve(notMounted());
    this.pending.clear();
    this.updateClasses(true);
    this.container = null;
  }

  destroy(): void {
    this.unmount();
    this.destroyed = true;
    this.onDestroy(this);
  }

  on(event: string, handler: Handler): this {
    if (!EVENTS.includes(event))
      throw new IntegrationError(`${event} is not a supported event for a card Element: ${EVENTS.join(', ')}.`);
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(handler);
    return this;
  }

  off(event: string, handler?: Handler): this {
    if (handler) this.handlers.get(event)?.delete(handler);
    else this.handlers.delete(event);
    return this;
  }

  once(event: string, handler: Handler): this {
    const wrapped = (payload: unknown) => {
      this.off(event, wrapped);
      handler(payload);
    };
    return this.on(event, wrapped);
  }

  focus = () => {
    // The page gives its frame the focus first: a frame may not take it on its own.
    this.frame?.focus();
    this.command({ type: 'focus' });
  };
  blur = () => this.command({ type: 'blur' });
  clear = () => this.command({ type: 'clear' });

  update(options: CardElementOptions): void {
    // The frame reads its options once; a remount applies new ones.
    this.options = { ...this.options, ...options };
    const container = this.container;
    if (container && this.frame) {
      this.unmount();
      this.mount(container);
    }
  }

  /** The frame posts the card to the emulator itself: the page gets the answer, never the number. */
  async create(kind: 'payment_method' | 'token', params: Record<string, unknown>): Promise<ApiAnswer> {
    if (!this.frame || this.destroyed) return notMounted();
    await this.ready;
    return new Promise((resolve) => {
      const requestId = ++this.lastRequest;
      this.pending.set(requestId, resolve);
      this.command({ type: 'create', requestId, kind, params });
    });
  }

  /** A message from this element's frame (its origin and window already checked). */
  receive(message: FrameMessage, source: MessageEventSource | null): boolean {
    if (!this.frame || source !== this.frame.contentWindow) return false;
    if (message.type === 'ready') {
      this.markReady();
      this.emit('ready', { elementType: 'card' });
    } else if (message.type === 'height') this.frame.style.height = `${Math.ceil(message.height)}px`;
    else if (message.type === 'created') {
      this.pending.get(message.requestId)?.({ status: message.status, body: message.body as ApiAnswer['body'] });
      this.pending.delete(message.requestId);
    } else if (message.type === 'change') {
      this.state.change = message.change;
      this.emit('change', message.change);
    } else {
      this.state.focus = message.type === 'focus';
      this.emit(message.type, { elementType: 'card' });
    }
    this.updateClasses();
    return true;
  }

  private emit(event: string, payload: unknown) {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler(payload);
  }

  private command(command: FrameCommand) {
    this.frame?.contentWindow?.postMessage(command, this.context.origin);
  }

  /** Stripe.js's classes on the container, for the page's own CSS. */
  private updateClasses(removeAll = false) {
    if (!this.container) return;
    const names = { base: 'StripeElement', ...this.options.classes };
    const change = this.state.change;
    const on: Record<string, boolean> = {
      base: true,
      empty: change?.empty ?? true,
      focus: this.state.focus,
      invalid: Boolean(change?.error),
      complete: Boolean(change?.complete),
    };
    for (const [state, active] of Object.entries(on)) {
      const className =
        (names as Record<string, string | undefined>)[state] ??
        (state === 'base' ? names.base : `${names.base}--${state}`);
      this.container.classList.toggle(className, active && !removeAll);
    }
  }
}

const notMounted = (): ApiAnswer => ({
  status: 400,
  body: {
    error: {
      type: 'invalid_request_error',
      message:
        'We could not retrieve data from the specified Element. Please make sure the Element you are attempting to use is still mounted.',
    },
  },
});

/** The page's listener for every card frame of this script: only the emulator's origin is heard. */
export function listenToFrames(origin: string, elements: Set<CardElement>): void {
  window.addEventListener('message', (event: MessageEvent<FrameMessage>) => {
    if (event.origin !== origin || event.data?.source !== CARD_FRAME) return;
    for (const element of elements)
      if (element.id === event.data.id && element.receive(event.data, event.source)) return;
  });
}
