// Two small DOM helpers; text is always set as text, so nothing the API returns can inject markup.

/** `h('button', { type: 'button', onclick }, 'Buy')`: an element with attributes, listeners and children. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== null && child !== undefined && child !== false)
      node.append(child instanceof Node ? child : String(child));
  return node;
}

/** Shows a message where the user looks; `error` styles it as one. */
export function say(element, text, error = false) {
  element.textContent = text;
  element.classList.toggle('error', error);
}

/** Cents as the shopper reads them: 1200 usd → $12.00. */
export const money = (amount, currency = 'usd') =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
