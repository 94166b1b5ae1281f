// The only door to the server: POST /graphql and the graphql-transport-ws subscription.

const TOKEN_KEY = 'chronique.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// A person signed in through the identity provider: the session is the server's (an HttpOnly
// cookie); the page proves each request comes from it with this value, in a header.
export const session = { csrf: null, header: 'X-Chronique-CSRF' };

/** The headers that say who asks: the token, else the session's value. */
export function authHeaders() {
  const t = token.get();
  if (t) return { Authorization: 'Bearer ' + t };
  if (session.csrf) return { [session.header]: session.csrf };
  return {};
}

/**
 * The person signed in through the identity provider, or null; `available` says whether this
 * server offers that sign-in at all.
 */
export async function loadSession() {
  let res;
  try {
    res = await fetch('/auth/session', { headers: { Accept: 'application/json' } });
  } catch {
    return { person: null, available: false };
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.signedIn) {
    session.csrf = null;
    return { person: null, available: Boolean(body.signInAvailable) };
  }
  session.csrf = body.csrf;
  if (body.csrfHeader) session.header = body.csrfHeader;
  return { person: body, available: true };
}

/** Chooses the role the session acts in (its index in the person's roles). */
export async function chooseRole(index) {
  const res = await fetch('/auth/role', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ role: index }),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(body.error || 'Le rôle n’a pas pu être choisi.', 'VALIDATION');
  }
}

/** Ends the session on the server. */
export async function endSession() {
  if (!session.csrf) return;
  try {
    await fetch('/auth/logout', { method: 'POST', headers: authHeaders() });
  } catch {
    // The cookie is HttpOnly: the server's answer removes it; offline, it expires by itself.
  }
  session.csrf = null;
}

export class ApiError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.code = code;
    this.errors = errors || [];
  }
}

/** Called with the errors of a response that still carried data (partial results). */
export const hooks = { onPartialErrors: null };

function clean(variables) {
  const out = {};
  for (const [k, v] of Object.entries(variables || {})) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** Runs one GraphQL operation; throws ApiError with the server's French message. */
export async function gql(query, variables) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...authHeaders(),
      },
      body: JSON.stringify({ query, variables: clean(variables) }),
    });
  } catch {
    throw new ApiError('Le serveur ne répond pas. Vérifiez la connexion puis réessayez.', 'NETWORK');
  }
  let body;
  try {
    body = await res.json();
  } catch {
    if (res.status === 401) throw new ApiError('Jeton inconnu ou révoqué, ou session terminée : reconnectez-vous.', 'UNAUTHENTICATED');
    throw new ApiError(`Réponse illisible du serveur (HTTP ${res.status}).`, 'INTERNAL');
  }
  const errors = body.errors || [];
  const data = body.data;
  const hasData = data && Object.values(data).some((v) => v !== null);
  if (errors.length && !hasData) {
    const first = errors[0];
    throw new ApiError(first.message || 'Erreur inconnue.', (first.extensions && first.extensions.code) || 'INTERNAL', errors);
  }
  if (errors.length && hooks.onPartialErrors) hooks.onPartialErrors(errors);
  return data || {};
}

/**
 * Subscription.timeline over /graphql/ws (graphql-transport-ws). Reconnects with a growing delay
 * and resumes after the last position seen, so nothing is missed; the caller de-duplicates.
 * Returns { close() }.
 */
export function subscribeTimeline({ programmeId, query, fromPosition, onEntry, onStatus }) {
  let ws = null;
  let closed = false;
  let retry = 0;
  // The last position received: entries after it are asked again after a reconnection.
  let last = Number.isInteger(fromPosition) ? fromPosition : null;
  let timer = null;

  function status(s) { if (onStatus) onStatus(s); }

  function connect() {
    if (closed) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
    try {
      ws = new WebSocket(url, 'graphql-transport-ws');
    } catch {
      schedule();
      return;
    }
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: token.get() ? { token: token.get() } : { csrf: session.csrf } }));
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg.type === 'connection_ack') {
        retry = 0;
        status('connected');
        const variables = { programmeId };
        if (last !== null) variables.fromPosition = last;
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (msg.type === 'next' && msg.payload && msg.payload.data && msg.payload.data.timeline) {
        const entry = msg.payload.data.timeline;
        if (last === null || entry.position > last) last = entry.position;
        onEntry(entry);
      } else if (msg.type === 'error') {
        status('error');
      }
    };
    ws.onclose = (ev) => {
      ws = null;
      if (closed) return;
      // 4401/4403: the token is refused; retrying would not help.
      if (ev.code === 4401 || ev.code === 4403) { status('refused'); return; }
      status('disconnected');
      schedule();
    };
  }

  function schedule() {
    if (closed) return;
    const delay = Math.min(30000, 1000 * 2 ** retry++);
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) { try { ws.send(JSON.stringify({ id: '1', type: 'complete' })); } catch { /* closing anyway */ } ws.close(1000); }
    },
  };
}
