// Entry point: sign-in, programme choice, routing, the « État au … » controls, live updates.
import { gql, token, ApiError, hooks, subscribeTimeline, loadSession, chooseRole, endSession, session } from './api.js';
import { h, clear, $ } from './dom.js';
import * as f from './format.js';
import * as timeline from './views/timeline.js';
import * as actionView from './views/action.js';
import * as sessionView from './views/session.js';
import * as budgetView from './views/budget.js';
import * as settingsView from './views/settings.js';
import * as proposeView from './views/propose.js';
import * as pilotageView from './views/pilotage.js';
import { setProvenance } from './ui.js';
import { takeFlash, setFlash, flashNode, openForm } from './forms.js';
import { PROGRAMME_FORMS, ESTABLISH } from './commands.js';

const PROGRAMME_KEY = 'chronique.programme';

const ME = `query Me { me { role programmeId partnerId name } }`;
const PROGRAMMES = `query Programmes { programmes { id name } }`;
const PROGRAMME = `query Programme($id: ID!) {
  programme(id: $id) { id name territory qpv schools labelledOn position version availableCommands
    axes(includeRetired: true) { code title objective retired }
    funders { id name kind }
    bodies { body organisations } }
  sessions(programmeId: $id) { id body date title held cancelled }
}`;
export const TIMELINE_FIELDS = 'position effectiveOn recordedAt kind summary actor actionId sessionId axis amount supersededBy';
const SUBSCRIPTION = `subscription Live($programmeId: ID!, $fromPosition: Int) {
  timeline(programmeId: $programmeId, fromPosition: $fromPosition) { ${TIMELINE_FIELDS} }
}`;

const app = { me: null, programmes: [], programmeId: null, programme: null, sessions: [], sub: null, seq: 0, current: null };

// ---------------------------------------------------------------- routing

function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, qs] = raw.split('?');
  const q = new URLSearchParams(qs || '');
  const d = q.get('asof');
  const asOf = d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? { date: d, recorded: q.get('recorded') === '1' } : null;
  return { path, parts: path.split('/').filter(Boolean).map(decodeURIComponent), asOf };
}

/** A link to a route that keeps the « État au » of the page. */
export function link(path, asOf = parseHash().asOf) {
  let s = '#' + path;
  if (asOf) s += '?asof=' + asOf.date + (asOf.recorded ? '&recorded=1' : '');
  return s;
}

function asOfInput(asOf) {
  if (!asOf) return null;
  return asOf.recorded ? { recordedAt: asOf.date + 'T23:59:59Z' } : { effectiveOn: asOf.date };
}

export function asOfText(asOf) {
  if (!asOf) return '';
  return 'État au ' + f.date(asOf.date) + (asOf.recorded ? ', tel qu’enregistré ce jour-là' : ', tel que décidé à cette date');
}

const ROUTES = {
  '': { view: timeline, nav: 'timeline' },
  action: { view: actionView, nav: null },
  session: { view: sessionView, nav: 'sessions' },
  sessions: { view: sessionView, nav: 'sessions', list: true },
  budget: { view: budgetView, nav: 'budget' },
  parametres: { view: settingsView, nav: 'settings' },
  proposer: { view: proposeView, nav: 'propose' },
  pilotage: { view: pilotageView, nav: 'pilotage' },
};

async function route() {
  if (!app.programme) return;
  const r = parseHash();
  const def = ROUTES[r.parts[0] || ''] || ROUTES[''];
  syncAsOfControls(r.asOf);
  for (const a of document.querySelectorAll('#main-nav a')) {
    a.href = link(a.dataset.path, r.asOf);
    if (a.dataset.route === def.nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const seq = ++app.seq;
  const ctx = {
    me: app.me, programmeId: app.programmeId, programme: app.programme, sessions: app.sessions,
    asOf: r.asOf, asOfVar: asOfInput(r.asOf), parts: r.parts, list: Boolean(def.list), link,
    isObserver: app.me.role === 'OBSERVER', announce, showError,
    // Saisie: redraw after a write (read-your-writes), the form a link asks to open
    // (#/action/a1/recordPayment), the programme read again after its settings changed.
    refresh: () => route(), openForm: r.parts[2] || null, flash: setFlash,
    reloadProgramme: () => loadProgramme(app.programmeId, false),
    // DOMAIN.md, reading rules: these roles see everything of the programme; the others see
    // requested and proposed amounts of their own actions only (the API gives 0 for the rest).
    seesAll: ['ADMIN', 'PILOT', 'COORDINATOR', 'EVALUATOR'].includes(app.me.role),
  };
  const view = $('#view');
  // Only a pilotage document says which state of the register it was computed from.
  setProvenance(null);
  $('#main').setAttribute('aria-busy', 'true');
  hideError();
  let node;
  try {
    node = await def.view.render(ctx);
  } catch (e) {
    if (seq !== app.seq) return;
    if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') { signOut(e.message); return; }
    node = h('div', null, h('h1', { tabindex: '-1', id: 'view-title' }, 'Page indisponible'),
      h('p', null, e instanceof ApiError ? e.message : 'Une erreur inattendue est survenue.'));
    if (!(e instanceof ApiError)) console.error(e);
  }
  if (seq !== app.seq) return;
  clear(view).append(node);
  app.current = { def, ctx };
  $('#main').removeAttribute('aria-busy');
  document.title = ($('#view-title')?.textContent || 'Chronique') + ' — Chronique';
  // After a write: the confirmation (and its warnings) at the top of the new state, focused.
  const done = takeFlash();
  if (done) {
    const box = flashNode(done);
    (view.querySelector('.view-header') || view.firstChild)?.after(box);
    box.focus();
    announce(done.text);
    app.routed = true;
    return;
  }
  // Move focus to the new heading after a navigation, but never away from the « État au »
  // controls while someone is using them (the slider redraws the page at each step).
  const ae = document.activeElement;
  if (app.routed && (!ae || ae === document.body || $('#view').contains(ae) || $('#main-nav').contains(ae) || !ae.isConnected)) $('#view-title')?.focus();
  app.routed = true;
}

// ---------------------------------------------------------------- errors and announcements

export function showError(message) {
  const el = $('#error');
  el.textContent = message;
  el.hidden = false;
}
function hideError() { const el = $('#error'); el.hidden = true; el.textContent = ''; }
export function announce(message) {
  const el = $('#live');
  el.textContent = '';
  setTimeout(() => { el.textContent = message; }, 50);
}
hooks.onPartialErrors = (errors) => showError(errors.map((e) => e.message).join(' '));

// ---------------------------------------------------------------- « État au … »

function pastSessions() {
  const today = f.todayIso();
  return app.sessions.filter((s) => !s.cancelled && s.date <= today)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.title.localeCompare(b.title)));
}

function sliderText(i, list) {
  if (i >= list.length) return 'Aujourd’hui';
  const s = list[i];
  return f.fr('BodyKind', s.body) + ' du ' + f.date(s.date) + ' — ' + s.title;
}

function syncAsOfControls(asOf) {
  const list = pastSessions();
  const slider = $('#asof-slider');
  slider.max = String(list.length);
  let idx = list.length;
  if (asOf) {
    idx = 0;
    list.forEach((s, i) => { if (s.date <= asOf.date) idx = i; });
  }
  slider.value = String(idx);
  const label = asOf && (idx >= list.length || list[idx].date !== asOf.date) ? 'Date choisie : ' + f.date(asOf.date) : sliderText(idx, list);
  slider.setAttribute('aria-valuetext', label);
  $('#asof-slider-label').textContent = label;
  $('#asof-date').value = asOf ? asOf.date : '';
  $('#asof-date').max = f.todayIso();
  if (asOf) $('#asof-recorded').checked = asOf.recorded;
  const banner = $('#asof-banner');
  banner.hidden = !asOf;
  $('#asof-banner-text').textContent = asOf
    ? 'Vous consultez un état passé du programme : ' + asOfText(asOf).replace(/^État/, 'état') + '. Les modifications ultérieures ne sont pas affichées.'
    : '';
  $('#print-asof').textContent = asOf ? asOfText(asOf) : 'État au ' + f.date(f.todayIso());
  document.body.classList.toggle('is-past', Boolean(asOf));
}

/** Shows the state as of `asOf` (null: today); `replace` rewrites the current history entry. */
function setAsOf(asOf, replace = false) {
  const target = link(parseHash().path, asOf);
  if (replace) location.replace(target); else location.hash = target;
}

// The oldest date the « État au » field applies by itself: while a year is typed, the field
// holds 0002, 0020, 0202 before 2025.
const FIRST_DATE = '2000-01-01';

function wireAsOf() {
  const form = $('#asof-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = $('#asof-date').value;
    if (!d) { setAsOf(null); return; }
    if (d > f.todayIso()) { showError('La date choisie est dans le futur : choisissez une date passée ou aujourd’hui.'); return; }
    if (d < FIRST_DATE) { showError('Choisissez une date à partir du ' + f.date(FIRST_DATE) + '.'); return; }
    setAsOf({ date: d, recorded: $('#asof-recorded').checked });
  });
  // A date picked or typed applies at once. Typing fires « change » at every complete value
  // (each digit of the year, each day): implausible ones are skipped, and the later ones of one
  // visit to the field replace the history entry of the first, so that « Précédent » does not
  // step through every keystroke.
  const dateField = $('#asof-date');
  let dateChanges = 0;
  dateField.addEventListener('focus', () => { dateChanges = 0; });
  dateField.addEventListener('change', () => {
    const d = dateField.value;
    if (!d || d < FIRST_DATE) return;
    if (d > f.todayIso()) { showError('La date choisie est dans le futur : choisissez une date passée ou aujourd’hui.'); return; }
    hideError();
    setAsOf({ date: d, recorded: $('#asof-recorded').checked }, dateChanges++ > 0);
  });
  $('#asof-recorded').addEventListener('change', () => {
    const cur = parseHash().asOf;
    if (cur) setAsOf({ date: cur.date, recorded: $('#asof-recorded').checked });
  });
  const slider = $('#asof-slider');
  slider.addEventListener('input', () => {
    const list = pastSessions();
    const t = sliderText(Number(slider.value), list);
    slider.setAttribute('aria-valuetext', t);
    $('#asof-slider-label').textContent = t;
  });
  slider.addEventListener('change', () => {
    const list = pastSessions();
    const i = Number(slider.value);
    if (i >= list.length) setAsOf(null);
    else setAsOf({ date: list[i].date, recorded: $('#asof-recorded').checked });
  });
  for (const b of document.querySelectorAll('[data-action="today"]')) b.addEventListener('click', () => setAsOf(null));
}

// ---------------------------------------------------------------- live updates

const seenLive = new Set();
function onLive(entry) {
  if (seenLive.has(entry.position)) return;
  seenLive.add(entry.position);
  document.body.dataset.position = String(Math.max(Number(document.body.dataset.position || 0), entry.position));
  const cur = app.current;
  const past = Boolean(cur && cur.ctx.asOf);
  announce('Nouvelle entrée : ' + entry.summary + (past ? ' (non affichée : la page montre un état passé)' : ''));
  if (cur && cur.def.view.onLive) cur.def.view.onLive(entry, cur.ctx);
}

function setLiveStatus(s) {
  const el = $('#live-status');
  const text = { connected: 'En direct', disconnected: 'Hors ligne, reconnexion…', refused: 'Mises à jour refusées', error: 'Mises à jour interrompues' }[s] || s;
  el.textContent = text;
  el.dataset.state = s;
}

function startLive(fromPosition) {
  if (app.sub) app.sub.close();
  seenLive.clear();
  app.sub = subscribeTimeline({ programmeId: app.programmeId, query: SUBSCRIPTION, fromPosition, onEntry: onLive, onStatus: setLiveStatus });
}

// ---------------------------------------------------------------- sign-in and programme

function showSignIn(message) {
  $('#signin').hidden = false;
  $('#signin-oidc').hidden = !app.signInAvailable;
  for (const id of ['#main-nav', '#asof-form', '#user-tools']) $(id).hidden = true;
  $('#asof-banner').hidden = true;
  clear($('#view'));
  $('#programme-name').textContent = '';
  if (message) showError(message); else hideError();
  $('#token').focus();
}

/** An ADMIN on an empty server: the form that establishes the first programme. */
function showEstablish() {
  $('#signin').hidden = true;
  $('#user-tools').hidden = false;
  const place = h('div', { class: 'form-place' });
  clear($('#view')).append(h('div', { class: 'view' },
    h('div', { class: 'view-header' }, h('h1', { id: 'view-title', tabindex: '-1' }, 'Aucun programme pour le moment')),
    h('p', null, 'Ce serveur ne tient encore le registre d’aucune cité éducative : établissez son programme.'), place));
  openForm(ESTABLISH, { programmeId: null }, { container: place, target: 'establish', version: null, onDone: () => start(), onConflict: () => start() });
}

function signOut(message) {
  if (app.sub) { app.sub.close(); app.sub = null; }
  token.clear();
  endSession();
  sessionStorage.removeItem(PROGRAMME_KEY);
  Object.assign(app, { me: null, programmes: [], programmeId: null, programme: null, sessions: [], current: null, routed: false });
  app.seq++;
  if (location.hash && location.hash !== '#/') history.replaceState(null, '', location.pathname);
  showSignIn(message);
  if (!message) announce('Vous êtes déconnecté.');
}

async function loadProgramme(id, restartLive = true) {
  const data = await gql(PROGRAMME, { id });
  if (!data.programme) throw new ApiError('Ce programme est introuvable.', 'NOT_FOUND');
  app.programmeId = id;
  app.programme = data.programme;
  app.sessions = data.sessions || [];
  sessionStorage.setItem(PROGRAMME_KEY, id);
  // The log position the page shows, for the header of the spreadsheets it downloads.
  document.body.dataset.position = String(data.programme.position);
  $('#programme-name').textContent = data.programme.name;
  $('#print-programme').textContent = 'Chronique — ' + data.programme.name;
  // The write controls of the navigation: only what the API offers this token.
  const offered = data.programme.availableCommands;
  $('#nav-settings-item').hidden = !PROGRAMME_FORMS.some((d) => offered.includes(d.name));
  $('#nav-propose-item').hidden = !offered.includes('proposeAction');
  if (!restartLive) return;
  timeline.reset();
  // From the position this read was made at: nothing recorded since is missed.
  startLive(data.programme.position);
}

async function start() {
  hideError();
  try {
    const { me } = await gql(ME);
    app.me = me;
    showRoles();
    $('#viewer').textContent = me.name + ' (' + f.fr('Role', me.role) + ')';
    const select = $('#programme-select');
    let pid = me.programmeId;
    if (!pid) {
      const { programmes } = await gql(PROGRAMMES);
      app.programmes = programmes;
      if (programmes.length === 0) {
        showEstablish();
        return;
      }
      clear(select).append(...programmes.map((p) => h('option', { value: p.id }, p.name)));
      const stored = sessionStorage.getItem(PROGRAMME_KEY);
      pid = programmes.some((p) => p.id === stored) ? stored : programmes[0].id;
      select.value = pid;
    }
    select.hidden = $('#programme-select-label').hidden = !app.programmes.length || app.programmes.length < 2;
    await loadProgramme(pid);
  } catch (e) {
    if (e instanceof ApiError && (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN')) {
      token.clear();
      showSignIn(e.message);
      return;
    }
    showSignIn(e instanceof ApiError ? e.message : 'Une erreur inattendue est survenue.');
    if (!(e instanceof ApiError)) console.error(e);
    return;
  }
  $('#signin').hidden = true;
  for (const id of ['#main-nav', '#asof-form', '#user-tools']) $(id).hidden = false;
  await route();
}

/** A person with several roles chooses the one they act in; the server holds the choice. */
function showRoles() {
  const select = $('#role-select');
  const roles = (app.person && app.person.roles) || [];
  const usable = roles.map((r, i) => [r, i]).filter(([r]) => !r.pending);
  select.hidden = $('#role-select-label').hidden = usable.length < 2;
  if (usable.length < 2) return;
  clear(select).append(...usable.map(([r, i]) => h('option', { value: String(i) },
    f.fr('Role', roleName(r.role)) + (r.programmeId ? ' — ' + r.programmeId : '') + (r.partnerId ? ' (' + r.partnerId + ')' : ''))));
  select.value = String(app.person.active);
}

// The session answers with the domain's role names (Coordinator); the API's are upper case.
function roleName(role) { return String(role).toUpperCase(); }

function wire() {
  $('#role-select').addEventListener('change', async (e) => {
    try {
      await chooseRole(Number(e.target.value));
      sessionStorage.removeItem(PROGRAMME_KEY);
      const found = await loadSession();
      app.person = found.person;
      location.hash = '#/';
      await start();
    } catch (err) {
      showError(err.message);
    }
  });
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('#token').value.trim();
    if (!t) { showError('Saisissez votre jeton d’accès.'); $('#token').focus(); return; }
    token.set(t);
    $('#token').value = '';
    start();
  });
  $('#signout').addEventListener('click', () => signOut());
  $('#programme-select').addEventListener('change', async (e) => {
    try {
      await loadProgramme(e.target.value);
      announce('Programme choisi : ' + app.programme.name);
      location.hash = '#/';
      await route();
    } catch (err) {
      showError(err.message);
    }
  });
  // In-page anchors (« remplacée par l'entrée n° 12 », skip link) must not replace the route.
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#"]');
    if (!a) return;
    const href = a.getAttribute('href');
    if (href.startsWith('#/')) return;
    e.preventDefault();
    const target = document.getElementById(href.slice(1));
    if (target) {
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.scrollIntoView({ block: 'center' });
      target.focus({ preventScroll: true });
      target.classList.add('is-targeted');
      setTimeout(() => target.classList.remove('is-targeted'), 2500);
    } else if (href.startsWith('#entry-')) {
      announce('L’entrée n° ' + href.slice(7) + ' n’est pas affichée : utilisez « Afficher plus » ou retirez les filtres.');
      showError('L’entrée n° ' + href.slice(7) + ' n’est pas encore affichée : utilisez « Afficher plus » ou retirez les filtres.');
    }
  });
  window.addEventListener('hashchange', () => { if (location.hash === '' || location.hash.startsWith('#/')) route(); });
  wireAsOf();
}

window.addEventListener('beforeprint', () => { $('#print-date').textContent = 'Imprimé le ' + f.dateTime(new Date().toISOString()); });

wire();
(async () => {
  if (token.get()) { start(); return; }
  // Signed in through the identity provider? The server's session says so.
  const found = await loadSession();
  app.signInAvailable = found.available;
  app.person = found.person;
  if (found.person && session.csrf) start(); else showSignIn();
})();
