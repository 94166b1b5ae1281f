// Frise chronologique: the programme's timeline, grouped per axis, with filters and live entries.
import { gql } from '../api.js';
import { h, clear } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, entryMeta, summaryNode, csvButton } from '../ui.js';
import { todo } from './todo.js';

const FIELDS = 'position effectiveOn recordedAt kind summary actor actionId sessionId axis amount supersededBy';
const TIMELINE = `query Timeline($p: ID!, $filter: TimelineFilter, $asOf: AsOf, $first: Int, $after: String) {
  timeline(programmeId: $p, filter: $filter, asOf: $asOf, first: $first, after: $after) {
    edges { cursor node { ${FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ACTIONS = `query ActionChoices($p: ID!) {
  actions(programmeId: $p, first: 500) { edges { node { id reference title } } }
}`;
const PAGE = 50;

let filters = {};
let actionChoices = null;
let st = null; // { entries, endCursor, hasNext, ctx, root }

export function reset() { filters = {}; actionChoices = null; st = null; }

function filterInput() {
  const out = {};
  if (filters.from) out.from = filters.from;
  if (filters.to) out.to = filters.to;
  if (filters.axis) out.axis = filters.axis;
  if (filters.actionId) out.actionId = filters.actionId;
  if (filters.sessionId) out.sessionId = filters.sessionId;
  if (filters.kind) out.kinds = [filters.kind];
  return Object.keys(out).length ? out : null;
}

async function fetchPage(ctx, after, first = PAGE) {
  const data = await gql(TIMELINE, { p: ctx.programmeId, filter: filterInput(), asOf: ctx.asOfVar, first, after });
  const c = data.timeline;
  return { entries: c.edges.map((e) => e.node), endCursor: c.pageInfo.endCursor, hasNext: c.pageInfo.hasNextPage };
}

function isSession(e) { return Boolean(e.sessionId) || e.kind.startsWith('Session'); }

function axisTitle(ctx, code) {
  const a = ctx.programme.axes.find((x) => x.code === code);
  return a ? a.code + ' — ' + a.title + (a.retired ? ' (axe retiré)' : '') : 'Axe ' + code;
}

function entryItem(e, ctx) {
  const superseded = e.supersededBy !== null && e.supersededBy !== undefined;
  const cls = ['entry', isSession(e) ? 'is-session' : null, superseded ? 'is-superseded' : null, e.isNew ? 'is-new' : null].filter(Boolean).join(' ');
  return h('li', {
    id: 'entry-' + e.position, tabindex: '-1', class: cls, 'data-testid': 'timeline-entry',
    'data-position': e.position, 'data-kind': e.kind, 'data-axis': e.axis || '',
    'data-superseded-by': superseded ? e.supersededBy : null,
  },
  isSession(e) ? h('span', { class: 'badge badge-session' }, 'Séance') : null,
  superseded ? h('span', { class: 'badge badge-superseded' }, 'Remplacée') : null,
  e.isNew ? h('span', { class: 'badge badge-new' }, 'Nouveau') : null,
  summaryNode(e),
  entryMeta(e),
  (e.actionId || e.sessionId) ? h('p', { class: 'entry-links' },
    e.actionId ? h('a', { href: ctx.link('/action/' + encodeURIComponent(e.actionId)) }, 'Voir l’action') : null,
    e.actionId && e.sessionId ? ' · ' : null,
    e.sessionId ? h('a', { href: ctx.link('/session/' + encodeURIComponent(e.sessionId)) }, 'Voir la séance') : null) : null);
}

function drawList() {
  const { ctx, listRoot } = st;
  const focusedId = document.activeElement && listRoot.contains(document.activeElement) ? document.activeElement.id : null;
  clear(listRoot);
  const groups = new Map([['', []]]);
  for (const a of ctx.programme.axes) groups.set(a.code, []);
  for (const e of st.entries) {
    const k = e.axis || '';
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(e);
  }
  let shown = 0;
  for (const [code, entries] of groups) {
    if (entries.length === 0) continue;
    shown++;
    const headingId = 'lane-' + (code || 'programme');
    listRoot.append(h('section', { class: 'lane', 'aria-labelledby': headingId, 'data-testid': 'timeline-lane', 'data-axis': code },
      h('h2', { id: headingId }, code ? axisTitle(ctx, code) : 'Programme',
        h('span', { class: 'count' }, ' (' + entries.length + (entries.length > 1 ? ' entrées)' : ' entrée)'))),
      h('ol', { class: 'entries' }, entries.map((e) => entryItem(e, ctx)))));
  }
  if (shown === 0) listRoot.append(h('p', { class: 'empty', 'data-testid': 'timeline-empty' }, 'Aucune entrée ne correspond à ces critères.'));
  st.countEl.textContent = st.entries.length + (st.entries.length > 1 ? ' entrées affichées' : ' entrée affichée') + (st.hasNext ? ', d’autres sont disponibles.' : '.');
  st.moreBtn.hidden = !st.hasNext;
  if (focusedId) document.getElementById(focusedId)?.focus();
}

function select(id, label, testid, value, options) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id, 'data-testid': testid },
      h('option', { value: '' }, 'Tous'),
      options.map((o) => (o.group
        ? h('optgroup', { label: o.group }, o.options.map((x) => h('option', { value: x.value, selected: x.value === value }, x.label)))
        : h('option', { value: o.value, selected: o.value === value }, o.label)))));
}

function filterForm(ctx) {
  const axes = ctx.programme.axes.map((a) => ({ value: a.code, label: a.code + ' — ' + a.title + (a.retired ? ' (retiré)' : '') }));
  const sessions = [...ctx.sessions].sort((a, b) => (a.date < b.date ? 1 : -1))
    .map((s) => ({ value: s.id, label: f.fr('BodyKind', s.body) + ' du ' + f.date(s.date) + ' — ' + s.title }));
  const actions = (actionChoices || []).map((a) => ({ value: a.id, label: a.reference + ' — ' + a.title }));
  const kinds = f.KINDS.map(([group, m]) => ({ group, options: Object.entries(m).map(([value, label]) => ({ value, label })) }));
  const form = h('form', { class: 'filters no-print', 'data-testid': 'timeline-filters', 'aria-label': 'Filtres de la frise' },
    h('fieldset', null, h('legend', null, 'Filtrer la frise'),
      h('div', { class: 'field' }, h('label', { for: 'filter-from' }, 'Du'),
        h('input', { type: 'date', id: 'filter-from', 'data-testid': 'filter-from', value: filters.from || '' })),
      h('div', { class: 'field' }, h('label', { for: 'filter-to' }, 'Au'),
        h('input', { type: 'date', id: 'filter-to', 'data-testid': 'filter-to', value: filters.to || '' })),
      select('filter-axis', 'Axe', 'filter-axis', filters.axis, axes),
      select('filter-action', 'Action', 'filter-action', filters.actionId, actions),
      select('filter-session', 'Séance', 'filter-session', filters.sessionId, sessions),
      select('filter-kind', 'Type d’événement', 'filter-kind', filters.kind, kinds),
      h('div', { class: 'field-buttons' },
        h('button', { type: 'submit', class: 'btn', 'data-testid': 'filter-apply' }, 'Filtrer'),
        h('button', { type: 'button', class: 'btn btn-light', 'data-testid': 'filter-clear', onclick: () => { filters = {}; reload(); } }, 'Effacer les filtres'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = (id) => form.querySelector('#' + id).value || null;
    filters = { from: v('filter-from'), to: v('filter-to'), axis: v('filter-axis'), actionId: v('filter-action'), sessionId: v('filter-session'), kind: v('filter-kind') };
    if (filters.from && filters.to && filters.from > filters.to) { st.ctx.showError('La date de début est après la date de fin.'); return; }
    reload();
  });
  return form;
}

async function reload() {
  const ctx = st.ctx;
  st.listRoot.setAttribute('aria-busy', 'true');
  try {
    const page = await fetchPage(ctx, null);
    Object.assign(st, page);
    const old = st.formEl;
    st.formEl = filterForm(ctx);
    old.replaceWith(st.formEl);
    st.formEl.nextElementSibling.replaceWith(filterSummary(ctx));
    drawList();
    ctx.announce(st.countEl.textContent);
  } catch (e) {
    ctx.showError(e.message);
  } finally {
    st.listRoot.removeAttribute('aria-busy');
  }
}

async function more() {
  const ctx = st.ctx;
  st.moreBtn.disabled = true;
  try {
    const page = await fetchPage(ctx, st.endCursor);
    const known = new Set(st.entries.map((e) => e.position));
    st.entries.push(...page.entries.filter((e) => !known.has(e.position)));
    st.endCursor = page.endCursor;
    st.hasNext = page.hasNext;
    drawList();
    ctx.announce(page.entries.length + ' entrées de plus affichées.');
    if (!st.hasNext) st.countEl.focus();
  } catch (e) {
    ctx.showError(e.message);
  } finally {
    st.moreBtn.disabled = false;
  }
}

function csvRows() {
  const axis = (code) => (code ? axisTitle(st.ctx, code) : '');
  return [
    ['Position', 'Date d’effet', 'Enregistré le (UTC)', 'Type', 'Code de l’événement', 'Résumé', 'Acteur', 'Axe', 'Action', 'Séance', 'Montant (€)', 'Remplacée par'],
    st.entries.map((e) => [e.position, e.effectiveOn, e.recordedAt, f.kindLabel(e.kind), e.kind, e.summary, e.actor,
      axis(e.axis), e.actionId || '', e.sessionId || '', f.moneyCsv(e.amount), e.supersededBy ?? '']),
  ];
}

export async function render(ctx) {
  if (actionChoices === null) {
    try {
      const d = await gql(ACTIONS, { p: ctx.programmeId });
      actionChoices = d.actions.edges.map((e) => e.node).sort((a, b) => a.reference.localeCompare(b.reference, 'fr'));
    } catch {
      actionChoices = [];
    }
  }
  const [page, waiting] = await Promise.all([fetchPage(ctx, null), todo(ctx)]);
  const listRoot = h('div', { class: 'lanes', id: 'timeline', 'data-testid': 'timeline' });
  const countEl = h('p', { class: 'count-line', tabindex: '-1', 'data-testid': 'timeline-count' });
  const moreBtn = h('button', { type: 'button', class: 'btn no-print', 'data-testid': 'timeline-more', onclick: () => more() }, 'Afficher plus');
  st = { ...page, ctx, listRoot, countEl, moreBtn, formEl: filterForm(ctx) };
  const csvName = 'frise-' + ctx.programmeId + (ctx.asOf ? '-etat-' + ctx.asOf.date : '') + '.csv';
  const root = h('div', { class: 'view view-timeline' },
    viewHeader('Frise chronologique', 'Ce qui a été décidé et quand, du plus récent au plus ancien (date d’effet), par axe.'),
    waiting,
    st.formEl,
    filterSummary(ctx),
    h('div', { class: 'toolbar no-print' }, countEl, csvButton('csv-timeline', csvName, csvRows, 'entrées affichées de la frise')),
    h('p', { class: 'legend' }, h('span', { class: 'badge badge-session' }, 'Séance'), ' marque les entrées liées à une séance ; les entrées ',
      h('del', null, 'barrées'), ' ont été remplacées par une entrée ultérieure.'),
    listRoot,
    h('div', { class: 'more no-print' }, moreBtn));
  drawList();
  return root;
}

/** What the printed sheet was filtered on, since the filter form itself is not printed. */
function filterSummary(ctx) {
  const parts = [];
  if (filters.from) parts.push('du ' + f.date(filters.from));
  if (filters.to) parts.push('au ' + f.date(filters.to));
  if (filters.axis) parts.push('axe ' + axisTitle(ctx, filters.axis));
  if (filters.actionId) parts.push('action ' + ((actionChoices || []).find((a) => a.id === filters.actionId)?.reference || filters.actionId));
  if (filters.sessionId) parts.push('séance ' + (ctx.sessions.find((x) => x.id === filters.sessionId)?.title || filters.sessionId));
  if (filters.kind) parts.push('type « ' + f.kindLabel(filters.kind) + ' »');
  return h('p', { class: 'print-only', 'data-testid': 'timeline-filter-summary' }, parts.length ? 'Filtres : ' + parts.join(', ') + '.' : 'Sans filtre.');
}

function matches(e) {
  if (filters.from && e.effectiveOn < filters.from) return false;
  if (filters.to && e.effectiveOn > filters.to) return false;
  if (filters.axis && e.axis !== filters.axis) return false;
  if (filters.actionId && e.actionId !== filters.actionId) return false;
  if (filters.sessionId && e.sessionId !== filters.sessionId) return false;
  if (filters.kind && e.kind !== filters.kind) return false;
  return true;
}

function before(a, b) { // newest first: effective date, then position
  if (a.effectiveOn !== b.effectiveOn) return a.effectiveOn > b.effectiveOn;
  return a.position > b.position;
}

// Kinds whose arrival marks an older entry as superseded: reload what is shown to strike it.
const SUPERSEDING = new Set(['DecisionRevised', 'PaymentCancelled', 'EnvelopeRevised', 'PeriodChanged', 'AxisRetired']);

export function onLive(entry, ctx) {
  if (!st || st.ctx !== ctx || ctx.asOf || !st.listRoot.isConnected) return;
  if (SUPERSEDING.has(entry.kind)) {
    fetchPage(ctx, null, Math.min(500, Math.max(PAGE, st.entries.length + 1))).then((page) => {
      if (!st || st.ctx !== ctx) return;
      for (const e of page.entries) if (e.position === entry.position) e.isNew = true;
      st.entries = page.entries;
      st.endCursor = page.endCursor;
      st.hasNext = page.hasNext;
      drawList();
    }).catch((e) => ctx.showError(e.message));
    return;
  }
  if (!matches(entry) || st.entries.some((e) => e.position === entry.position)) return;
  const i = st.entries.findIndex((e) => before(entry, e));
  if (i === -1 && st.hasNext) return; // older than what is shown: it will come with « Afficher plus »
  const e = { ...entry, isNew: true };
  if (i === -1) st.entries.push(e); else st.entries.splice(i, 0, e);
  drawList();
}
