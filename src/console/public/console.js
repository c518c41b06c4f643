// The delivery console: plain browser JavaScript, no framework and no build step. It speaks only to
// this origin's /graphql with the operator's access token, and re-reads the page it shows when a
// callbackDeliveryUpdated event arrives (a GraphQL subscription over SSE).
const TOKEN_KEY = 'paygraph.console.token';
const PAGE_SIZE = 25;
const main = document.getElementById('main');

/** Builds DOM nodes; text is always set as text, so payloads and errors cannot inject markup. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

async function gql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) {
    const error = new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    error.codes = body.errors.map((e) => e.extensions?.code);
    throw error;
  }
  return body.data;
}

// ---- routing: #/page/arg?query ----
function route() {
  const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
  const [, page = 'callbacks', arg] = path.split('/');
  return { page, arg: arg && decodeURIComponent(arg), params: new URLSearchParams(search) };
}
const link = (hash, text) => h('a', { href: hash }, text);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const status = (value) => h('span', { class: `status-${value}` }, value);
const toIso = (local) => (local ? new Date(local).toISOString() : null);

const PAGES = {
  async callbacks() {
    const { callbacks } =
      await gql(`{ callbacks { name trigger url enabled disabledReason failingSince pausedUntil maxInFlight ratePerSecond
      counts { pending delivered failed dead } failureRate lastError lastErrorAt } }`);
    const limits = (c) =>
      [c.maxInFlight && `≤ ${c.maxInFlight} in flight`, c.ratePerSecond && `${c.ratePerSecond}/s`]
        .filter(Boolean)
        .join(' · ') || '—';
    const REASONS = { gone: 'endpoint answered 410', failing: 'failed too long' };
    return h(
      'section',
      {},
      h('h2', {}, 'Callbacks'),
      h(
        'table',
        { id: 'callbacks' },
        h(
          'tr',
          {},
          [
            'name',
            'trigger',
            'endpoint',
            'enabled',
            'limits',
            'pending',
            'delivered',
            'failed',
            'dead',
            'failure rate',
            'last error',
            '',
          ].map((t) => h('th', {}, t)),
        ),
        callbacks.map((c) =>
          h(
            'tr',
            { 'data-callback': c.name },
            h('td', {}, link(`#/deliveries?callback=${encodeURIComponent(c.name)}`, c.name)),
            h('td', {}, c.trigger),
            h('td', {}, c.url),
            h(
              'td',
              { class: 'enabled' },
              c.enabled ? 'yes' : 'no',
              c.disabledReason
                ? h('div', { class: 'error' }, `switched off: ${REASONS[c.disabledReason] ?? c.disabledReason}`)
                : null,
              c.pausedUntil ? h('div', { class: 'muted' }, `paused until ${when(c.pausedUntil)} (Retry-After)`) : null,
              c.failingSince ? h('div', { class: 'muted' }, `failing since ${when(c.failingSince)}`) : null,
            ),
            h('td', {}, limits(c)),
            ['pending', 'delivered', 'failed', 'dead'].map((k) =>
              h(
                'td',
                {},
                link(`#/deliveries?callback=${encodeURIComponent(c.name)}&status=${k.toUpperCase()}`, c.counts[k]),
              ),
            ),
            h('td', {}, c.failureRate === null ? '—' : `${(c.failureRate * 100).toFixed(1)} %`),
            h(
              'td',
              { class: 'error' },
              c.lastError ?? '',
              c.lastErrorAt ? h('div', { class: 'muted' }, when(c.lastErrorAt)) : null,
            ),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  onclick: () =>
                    act(() =>
                      gql(
                        'mutation($n: String!, $e: Boolean!) { setCallbackEnabled(name: $n, enabled: $e) { name } }',
                        { n: c.name, e: !c.enabled },
                      ),
                    ),
                },
                c.enabled ? 'Disable' : 'Enable',
              ),
            ),
          ),
        ),
      ),
    );
  },

  async deliveries({ params }) {
    const filter = {
      callback: params.get('callback') || null,
      status: params.get('status') || null,
      nodeId: params.get('node') || null,
      createdAfter: toIso(params.get('from')),
      createdBefore: toIso(params.get('to')),
    };
    const vars = { ...filter, first: PAGE_SIZE, after: params.get('after') || null };
    const { callbackDeliveries: rows, callbackDeliveryCount: total } = await gql(
      `query($callback: String, $status: CallbackDeliveryStatus, $nodeId: ID, $createdAfter: DateTime, $createdBefore: DateTime, $first: Int, $after: ID) {
        callbackDeliveries(callback: $callback, status: $status, nodeId: $nodeId, createdAfter: $createdAfter, createdBefore: $createdBefore, first: $first, after: $after) { id callback trigger nodeId status attempts createdAt }
        callbackDeliveryCount(callback: $callback, status: $status, nodeId: $nodeId, createdAfter: $createdAfter, createdBefore: $createdBefore) }`,
      vars,
    );
    const field = (name, label, input) =>
      h('label', {}, label, input ?? h('input', { name, value: params.get(name) ?? '' }));
    const form = h(
      'form',
      {
        id: 'filter',
        onsubmit: (event) => {
          event.preventDefault();
          const query = new URLSearchParams([...new FormData(event.target)].filter(([, v]) => v));
          location.hash = `#/deliveries?${query}`;
        },
      },
      field('callback', 'callback'),
      field(
        'status',
        'status',
        h(
          'select',
          { name: 'status' },
          ['', 'PENDING', 'DELIVERED', 'FAILED', 'DEAD'].map((s) =>
            h('option', { value: s, selected: s === (params.get('status') ?? '') }, s || 'any'),
          ),
        ),
      ),
      field('node', 'node id'),
      field(
        'from',
        'from',
        h('input', { name: 'from', type: 'datetime-local', step: '0.001', value: params.get('from') ?? '' }),
      ),
      field(
        'to',
        'to',
        h('input', { name: 'to', type: 'datetime-local', step: '0.001', value: params.get('to') ?? '' }),
      ),
      h('button', { type: 'submit' }, 'Filter'),
    );
    const next = new URLSearchParams(params);
    if (rows.length) next.set('after', rows[rows.length - 1].id);
    const first = new URLSearchParams(params);
    first.delete('after');
    return h(
      'section',
      {},
      // The API counts up to 10,000 (callbackDeliveryCount): beyond, "at least".
      h(
        'h2',
        {},
        'Deliveries ',
        h('span', { class: 'muted' }, `(${total >= 10000 ? '10,000+' : total}, newest first)`),
      ),
      form,
      h(
        'table',
        { id: 'deliveries' },
        h(
          'tr',
          {},
          ['created', 'callback', 'trigger', 'node', 'status', 'attempts', ''].map((t) => h('th', {}, t)),
        ),
        rows.map((d) =>
          h(
            'tr',
            { 'data-delivery': d.id, 'data-status': d.status },
            h('td', {}, when(d.createdAt)),
            h('td', {}, d.callback),
            h('td', {}, d.trigger),
            h(
              'td',
              {},
              d.trigger.startsWith('Purchase.')
                ? link(`#/purchase/${encodeURIComponent(d.nodeId)}`, d.nodeId)
                : d.nodeId,
            ),
            h('td', {}, status(d.status)),
            h('td', {}, d.attempts),
            h('td', {}, link(`#/delivery/${d.id}`, 'open')),
          ),
        ),
      ),
      params.get('after') ? link(`#/deliveries?${first}`, '« first page') : null,
      ' ',
      rows.length === PAGE_SIZE ? link(`#/deliveries?${next}`, 'next page »') : null,
    );
  },

  async delivery({ arg }) {
    const { callbackDelivery: d } = await gql(
      `query($id: ID!) { callbackDelivery(id: $id) { id callback trigger nodeId status attempts maxAttempts createdAt completedAt nextAttemptAt changedFields payload
      attemptLog { attempt startedAt durationMs httpStatus outcome response error requestHeaders } } }`,
      { id: arg },
    );
    if (!d) return h('p', {}, 'No such delivery (removed by retention, or a wrong id).');
    const pretty = (json) => (json ? JSON.stringify(JSON.parse(json), null, 2) : '—');
    return h(
      'section',
      { id: 'delivery', 'data-status': d.status },
      h('h2', {}, `Delivery ${d.id}`),
      h(
        'p',
        {},
        `${d.callback} · ${d.trigger} · node ${d.nodeId} · `,
        status(d.status),
        ` · attempt ${d.attempts} of ${d.maxAttempts} · created ${when(d.createdAt)}`,
        d.nextAttemptAt ? ` · next attempt ${when(d.nextAttemptAt)}` : '',
      ),
      h(
        'button',
        {
          id: 'redeliver',
          type: 'button',
          onclick: () => act(() => gql('mutation($id: ID!) { redeliverCallback(id: $id) { id } }', { id: d.id })),
        },
        'Redeliver',
      ),
      h('h3', {}, 'Payload as last sent'),
      h('pre', { id: 'payload' }, pretty(d.payload)),
      h('h3', {}, 'Attempts'),
      h(
        'table',
        { id: 'attempts' },
        h(
          'tr',
          {},
          ['#', 'started', 'duration', 'HTTP status', 'outcome', 'response or error', 'request headers'].map((t) =>
            h('th', {}, t),
          ),
        ),
        d.attemptLog.map((a) =>
          h(
            'tr',
            { 'data-attempt': a.attempt, 'data-outcome': a.outcome },
            h('td', {}, a.attempt),
            h('td', {}, when(a.startedAt)),
            h('td', {}, `${a.durationMs} ms`),
            h('td', { class: 'http-status' }, a.httpStatus ?? '—'),
            h('td', {}, a.outcome),
            h('td', {}, h('pre', {}, a.error ?? a.response ?? '')),
            h('td', {}, h('pre', {}, pretty(a.requestHeaders))),
          ),
        ),
      ),
    );
  },

  async recover({ params }) {
    const { callbacks } = await gql('{ callbacks { name } }');
    const out = h('p', { id: 'recover-result' });
    const form = h(
      'form',
      { id: 'recover' },
      h(
        'label',
        {},
        'callback',
        h(
          'select',
          { name: 'callback' },
          callbacks.map((c) => h('option', { value: c.name, selected: c.name === params.get('callback') }, c.name)),
        ),
      ),
      h(
        'label',
        {},
        'statuses',
        h(
          'select',
          { name: 'statuses' },
          h('option', { value: 'FAILED,DEAD' }, 'failed and dead'),
          h('option', { value: 'DEAD' }, 'dead'),
          h('option', { value: 'FAILED' }, 'failed'),
        ),
      ),
      h('label', {}, 'from', h('input', { name: 'from', type: 'datetime-local', step: '0.001' })),
      h('label', {}, 'to', h('input', { name: 'to', type: 'datetime-local', step: '0.001' })),
      h('button', { type: 'submit' }, 'Count'),
    );
    const args = () => {
      const data = new FormData(form);
      return {
        callback: data.get('callback'),
        statuses: String(data.get('statuses')).split(','),
        createdAfter: toIso(data.get('from')),
        createdBefore: toIso(data.get('to')),
      };
    };
    const ARGS =
      '$callback: String!, $statuses: [RedeliverableStatus!], $createdAfter: DateTime, $createdBefore: DateTime';
    const PASS = 'callback: $callback, statuses: $statuses, createdAfter: $createdAfter, createdBefore: $createdBefore';
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = args();
      gql(`query(${ARGS}) { redeliverableCount(${PASS}) }`, chosen).then(({ redeliverableCount: count }) => {
        out.replaceChildren(
          `${count} deliveries match. `,
          count > 0
            ? h(
                'button',
                {
                  id: 'recover-confirm',
                  type: 'button',
                  onclick: () =>
                    gql(`mutation(${ARGS}) { redeliverCallbacks(${PASS}) }`, chosen).then(
                      ({ redeliverCallbacks: sent }) => out.replaceChildren(`${sent} deliveries queued again.`),
                      showError,
                    ),
                },
                `Redeliver ${count}`,
              )
            : null,
        );
      }, showError);
    });
    return h(
      'section',
      {},
      h('h2', {}, 'Bulk redeliver'),
      h('p', { class: 'muted' }, 'Failed or dead deliveries of one callback in a time range; the count comes first.'),
      form,
      out,
    );
  },

  async purchase({ arg }) {
    const form = h(
      'form',
      {
        onsubmit: (event) => {
          event.preventDefault();
          location.hash = `#/purchase/${encodeURIComponent(new FormData(event.target).get('id'))}`;
        },
      },
      h('label', {}, 'purchase id', h('input', { name: 'id', value: arg ?? '' })),
      h('button', { type: 'submit' }, 'Show'),
    );
    if (!arg) return h('section', {}, h('h2', {}, 'Purchase timeline'), form);
    const { purchaseTimeline: entries } = await gql(
      'query($id: ID!) { purchaseTimeline(id: $id) { at kind title deliveryId status } }',
      { id: arg },
    );
    return h(
      'section',
      {},
      h('h2', {}, `Purchase ${arg}`),
      form,
      entries === null
        ? h('p', {}, 'No such purchase.')
        : h(
            'table',
            { id: 'timeline' },
            h(
              'tr',
              {},
              ['when', 'what', '', 'status'].map((t) => h('th', {}, t)),
            ),
            entries.map((e) =>
              h(
                'tr',
                { 'data-kind': e.kind },
                h('td', {}, when(e.at)),
                h('td', {}, e.kind),
                h('td', {}, e.deliveryId ? link(`#/delivery/${e.deliveryId}`, e.title) : e.title),
                h('td', {}, e.status ? status(e.status) : ''),
              ),
            ),
          ),
    );
  },
};

function showError(error) {
  if (error.codes?.includes('UNAUTHENTICATED') || error.codes?.includes('FORBIDDEN'))
    return signOut(`Signed out: ${error.message}`);
  main.prepend(h('p', { class: 'error', role: 'alert' }, error.message));
}

/** Runs an action, then shows the page again as it is now. */
const act = (action) => action().then(render, showError);

let rendering = null;
async function render() {
  if (!token()) return showSignIn();
  const current = route();
  const page = PAGES[current.page] ?? PAGES.callbacks;
  const run = (rendering = page(current));
  try {
    const view = await run;
    if (run === rendering) main.replaceChildren(view);
  } catch (error) {
    main.replaceChildren();
    showError(error);
  }
}

// A live event re-reads the page, except where the operator is typing or acting (a form keeps its state).
function renderLive() {
  if (
    !token() ||
    route().page === 'recover' ||
    (main.contains(document.activeElement) && document.activeElement.matches('input, select'))
  )
    return;
  render();
}

function showSignIn(message) {
  document.getElementById('nav').hidden = true;
  main.replaceChildren(
    h(
      'form',
      {
        id: 'signin',
        onsubmit: (event) => {
          event.preventDefault();
          signIn(String(new FormData(event.target).get('token')).trim());
        },
      },
      message ? h('p', { class: 'error' }, message) : null,
      h(
        'label',
        {},
        'Access token with callbacks:admin',
        h('input', { name: 'token', type: 'password', size: 60, autocomplete: 'off' }),
      ),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  );
}

function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  document.getElementById('nav').hidden = false;
  watchDeliveries();
  render();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  stream?.abort();
  showSignIn(message);
}

// ---- live: a subscription over SSE, read with fetch (EventSource cannot send a token) ----
let stream = null;
async function watchDeliveries() {
  stream?.abort();
  const controller = (stream = new AbortController());
  const indicator = document.getElementById('live');
  let pending = null;
  // At most one redraw per 200 ms: a debounce would wait for a quiet moment that never comes under load.
  const refresh = () => {
    pending ??= setTimeout(() => {
      pending = null;
      renderLive();
    }, 200);
  };
  for (let delay = 500; !controller.signal.aborted; delay = Math.min(delay * 2, 10_000)) {
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${token()}`,
        },
        body: JSON.stringify({ query: 'subscription { callbackDeliveryUpdated { id status } }' }),
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      indicator.textContent = 'live: on';
      indicator.classList.add('on');
      delay = 500;
      for (let buffer = ''; ;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const events = buffer.split('\n\n');
        buffer = events.pop();
        if (events.some((event) => /^event: next/m.test(event))) refresh();
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    indicator.textContent = 'live: reconnecting';
    indicator.classList.remove('on');
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The link `npm start` prints, /console#token=pgt_..., signs in; a fragment never reaches a server or its log. */
function signInFromLink() {
  const given = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!given) return false;
  history.replaceState(null, '', '#/callbacks');
  signIn(given);
  return true;
}

document.getElementById('signout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => signInFromLink() || render());
if (!signInFromLink()) {
  if (token()) {
    document.getElementById('nav').hidden = false;
    watchDeliveries();
  }
  render();
}
