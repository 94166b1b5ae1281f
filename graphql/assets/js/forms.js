// Saisie: one engine for every form of the page. A form is declared in commands.js (its
// mutation, its fields, how its values become variables); this module draws it, reads what
// people type the way they type it (« 12 000,50 € », « 14/03/2026 »), keeps a draft with its
// commandId in sessionStorage until the write is confirmed, sends it with the expectedVersion
// of the state it was opened on, and puts each error next to the field it concerns.
import { gql, ApiError } from './api.js';
import { h, clear } from './dom.js';
import * as f from './format.js';

// ---------------------------------------------------------------- French input

/** « 12 000,50 », « 12000,5 », « 12 000 € », « 12000.50 » → cents; null when empty. */
export function parseMoney(text) {
  const raw = String(text ?? '').replace(/[\s\u00A0\u202F€]/g, '');
  if (raw === '') return { value: null };
  const m = /^(\d+)(?:[,.](\d{1,2}))?$/.exec(raw);
  if (!m) return { error: 'Montant illisible : écrivez par exemple 12 000,50 (en euros, deux décimales au plus).' };
  const cents = Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
  if (!Number.isSafeInteger(cents) || cents > 1e13) return { error: 'Montant trop grand.' };
  return { value: cents };
}

/** « 14/03/2026 », « 14.03.2026 », « 2026-03-14 » → "2026-03-14"; null when empty. */
export function parseDate(text) {
  const raw = String(text ?? '').trim();
  if (raw === '') return { value: null };
  let y, m, d;
  let match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(raw);
  if (match) [, d, m, y] = match;
  else if ((match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw))) [, y, m, d] = match;
  else return { error: 'Date illisible : écrivez-la jour/mois/année, par exemple 14/03/2026.' };
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const check = new Date(iso + 'T12:00:00Z');
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== iso) {
    return { error: `Cette date n’existe pas : ${raw}.` };
  }
  return { value: iso };
}

/** "2026-03-14" → « 14/03/2026 », as the date fields show it. */
export function frDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** Cents → « 12 000,50 » as a money field shows it (no € sign, which people need not type). */
export function frMoney(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  return f.money(cents).replace(/\u00A0€$/, '').replace(/,00$/, '');
}

function parseInteger(text) {
  const raw = String(text ?? '').replace(/[\s\u00A0\u202F]/g, '');
  if (raw === '') return { value: null };
  if (!/^\d+$/.test(raw)) return { error: 'Écrivez un nombre entier.' };
  return { value: Number(raw) };
}

function parseNumber(text) {
  const raw = String(text ?? '').replace(/[\s\u00A0\u202F]/g, '').replace(',', '.');
  if (raw === '') return { value: null };
  if (!/^-?\d+(\.\d+)?$/.test(raw)) return { error: 'Écrivez un nombre, par exemple 12,5.' };
  return { value: Number(raw) };
}

const lines = (text) => String(text ?? '').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------- drafts

const DRAFT = 'chronique.draft.';

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The draft of the form `name` on `target`: its commandId, the version it was opened on, the values typed. */
export const drafts = {
  key: (name, target) => DRAFT + name + ':' + (target || ''),
  get(name, target) {
    try { return JSON.parse(sessionStorage.getItem(this.key(name, target)) || 'null'); } catch { return null; }
  },
  put(name, target, draft) { sessionStorage.setItem(this.key(name, target), JSON.stringify(draft)); },
  drop(name, target) { sessionStorage.removeItem(this.key(name, target)); },
  /** A draft for a form being opened: the one kept, else a new commandId for `version`. */
  open(name, target, version) {
    return this.get(name, target) || { commandId: newId(), version, values: null, conflict: false };
  },
};

// ---------------------------------------------------------------- after a write

let flash = null;
let reopen = null;

/** Sets the confirmation the next view drawn shows (forms drawn by hand, such as the relevé). */
export function setFlash(x) { flash = x; }

/** The confirmation of the last write, shown once by the view drawn after it. */
export function takeFlash() { const x = flash; flash = null; return x; }

/** Whether the form `name` on `target` must open again when the view is drawn (after a conflict). */
export function takeReopen(name, target) {
  if (reopen && reopen.name === name && reopen.target === target) { reopen = null; return true; }
  return false;
}

/** Removes the confirmations shown (a new form opens, or the relevé is sent again). */
export function dismissConfirmations() {
  for (const el of document.querySelectorAll('[data-testid=form-confirmation]')) el.remove();
}

/** The confirmation box: what was recorded, and the warnings of the rules accepted with one. */
export function flashNode(x) {
  return h('div', { class: 'confirmation', role: 'status', tabindex: '-1', 'data-testid': 'form-confirmation' },
    h('p', null, x.text),
    x.secret ? h('p', null, 'Jeton à remettre à la personne (il ne sera plus affiché) : ', h('code', { 'data-testid': 'token-secret' }, x.secret)) : null,
    x.warnings && x.warnings.length ? h('ul', { class: 'warnings' }, x.warnings.map((w) =>
      h('li', { 'data-testid': 'form-warning', 'data-code': w.code }, 'Attention : ' + w.message))) : null);
}

// ---------------------------------------------------------------- the mutation

const TARGET_ARGS = { none: [], programme: ['programmeId: ID!'], action: ['programmeId: ID!', 'actionId: ID!'], session: ['programmeId: ID!', 'sessionId: ID!'] };

/** The declared arguments of a form's mutation: its target's ids, its own, the options. */
function declarations(def) {
  const decls = [...(def.targetArgs || TARGET_ARGS[def.on]), ...(def.args ? def.args.split(/,\s*(?![^[]*\])/) : [])];
  if (def.options !== false) decls.push('options: CommandOptions');
  return decls.map((d) => d.trim());
}

function argNames(decls) { return decls.map((d) => d.split(':')[0].trim()); }

/** The mutation text of a form. */
export function mutationText(def) {
  const decls = declarations(def);
  const vars = decls.map((d) => '$' + d).join(', ');
  const call = argNames(decls).map((n) => `${n}: $${n}`).join(', ');
  return `mutation ${def.name[0].toUpperCase() + def.name.slice(1)}(${vars}) { ${def.name}(${call}) { ${def.select || 'position warnings warningMessages'} } }`;
}

// ---------------------------------------------------------------- fields

function fieldId(def, field) { return 'f-' + def.name + '-' + field.name; }

function describedBy(...ids) { return ids.filter(Boolean).join(' ') || null; }

/** One field: label, hint, control, error slot. `value` is what the draft holds for it. */
function drawField(def, field, value, c) {
  const id = fieldId(def, field);
  const hint = hintOf(field);
  const hintId = hint ? id + '-hint' : null;
  const errId = id + '-error';
  const common = { id, name: field.name, 'data-testid': 'field-' + field.name, 'aria-describedby': describedBy(hintId), required: field.optional ? null : true };
  let control;
  switch (field.type) {
    case 'textarea':
      control = h('textarea', { ...common, rows: field.rows || 4 }, value ?? '');
      break;
    case 'list':
      control = h('textarea', { ...common, rows: 4 }, Array.isArray(value) ? value.join('\n') : (value ?? ''));
      break;
    case 'enum':
    case 'select': {
      const opts = field.type === 'enum' ? f.choices(field.enum) : field.options(c);
      control = h('select', common,
        field.optional || opts.length !== 1 ? h('option', { value: '' }, field.optional ? '— aucun —' : '— choisir —') : null,
        opts.map(([v, label]) => h('option', { value: v, selected: String(value ?? '') === String(v) }, label)));
      break;
    }
    case 'bool':
      control = h('input', { ...common, type: 'checkbox', required: null, checked: Boolean(value) });
      return h('div', { class: 'form-field field-check', 'data-field': field.name },
        control, h('label', { for: id }, field.label), h('p', { class: 'field-error', id: errId, 'data-testid': 'error-' + field.name, hidden: true }));
    case 'checks': {
      const chosen = new Set(value || []);
      return h('fieldset', { class: 'form-field', 'data-field': field.name, 'data-testid': 'field-' + field.name, 'aria-describedby': errId },
        h('legend', null, field.label),
        (field.options ? field.options(c) : f.choices(field.enum)).map(([v, label]) => h('div', { class: 'field-check' },
          h('input', { type: 'checkbox', id: id + '-' + v, name: field.name, value: v, checked: chosen.has(v) }),
          h('label', { for: id + '-' + v }, label))),
        h('p', { class: 'field-error', id: errId, 'data-testid': 'error-' + field.name, hidden: true }));
    }
    case 'lines': {
      const amounts = value || {};
      return h('fieldset', { class: 'form-field', 'data-field': field.name, 'data-testid': 'field-' + field.name, 'aria-describedby': describedBy(id + '-hint', errId) },
        h('legend', null, field.label),
        h('p', { class: 'help', id: id + '-hint' }, field.hint || 'En euros, par financeur ; laissez vide un financeur sans montant.'),
        field.options(c).map(([funderId, name]) => h('div', { class: 'form-field line' },
          h('label', { for: id + '-' + funderId }, name),
          h('input', { type: 'text', inputmode: 'decimal', id: id + '-' + funderId, name: field.name, 'data-funder': funderId, 'data-testid': 'field-' + field.name + '-' + funderId, value: amounts[funderId] ?? '', autocomplete: 'off' }))),
        h('p', { class: 'field-error', id: errId, 'data-testid': 'error-' + field.name, hidden: true }));
    }
    case 'beneficiaries':
      return beneficiariesField(def, field, value, errId);
    default:
      control = h('input', {
        ...common, type: 'text', value: value ?? '', autocomplete: 'off',
        inputmode: field.type === 'money' ? 'decimal' : field.type === 'int' || field.type === 'date' ? 'numeric' : null,
        placeholder: field.type === 'date' ? 'jj/mm/aaaa' : null,
        class: field.type === 'money' || field.type === 'date' || field.type === 'int' || field.type === 'number' ? 'short' : null,
      });
  }
  return h('div', { class: 'form-field', 'data-field': field.name },
    h('label', { for: id }, field.label, field.optional ? h('span', { class: 'optional' }, ' (facultatif)') : null),
    hintId ? h('p', { class: 'help', id: hintId, 'data-privacy': FREE_TEXT.has(field.name) ? 'true' : null }, hint) : null,
    control,
    h('p', { class: 'field-error', id: errId, 'data-testid': 'error-' + field.name, hidden: true }));
}

const HINTS = {
  money: 'En euros, par exemple 12 000,50.',
  date: 'Jour/mois/année, par exemple 14/03/2026.',
  list: 'Un élément par ligne.',
};

// Free texts are kept in the register and read by others (DOMAIN.md, rule 20): each says, under
// its field, that it must not name a child nor hold personal data.
const FREE_TEXT = new Set(['reason', 'title', 'text', 'summary', 'note', 'comment', 'findings', 'items']);
const PRIVACY = 'N’y nommez aucun enfant ni aucune famille, et n’y écrivez ni adresse, ni téléphone, ni date de naissance : ce texte reste dans le registre.';

function hintOf(field) {
  const own = field.hint || HINTS[field.type] || '';
  if (!FREE_TEXT.has(field.name) || !['text', 'textarea', 'list'].includes(field.type)) return own;
  // A hint that already says it (« sans nom d’enfant ni donnée personnelle ») is enough.
  if (/donnée personnelle/.test(own)) return own;
  return own ? own + ' ' + PRIVACY : PRIVACY;
}

/** Beneficiary counts: one row per public, age band, sex and QPV residence. */
function beneficiariesField(def, field, value, errId) {
  const id = fieldId(def, field);
  const rows = h('tbody');
  const addRow = (r = {}) => {
    const n = rows.children.length + 1;
    const sel = (name, en, label) => h('td', null, h('label', { class: 'visually-hidden', for: `${id}-${n}-${name}` }, label + ', ligne ' + n),
      h('select', { id: `${id}-${n}-${name}`, 'data-col': name }, f.choices(en).map(([v, l]) => h('option', { value: v, selected: r[name] === v }, l))));
    rows.append(h('tr', { 'data-testid': 'beneficiary-row' },
      sel('public', 'PublicKind', 'Public'), sel('ageBand', 'AgeBand', 'Tranche d’âge'), sel('sex', 'Sex', 'Sexe'),
      h('td', null, h('input', { type: 'checkbox', id: `${id}-${n}-qpv`, 'data-col': 'qpvResident', checked: Boolean(r.qpvResident) }),
        h('label', { for: `${id}-${n}-qpv` }, 'QPV', h('span', { class: 'visually-hidden' }, ', ligne ' + n))),
      h('td', null, h('label', { class: 'visually-hidden', for: `${id}-${n}-count` }, 'Nombre, ligne ' + n),
        h('input', { type: 'text', inputmode: 'numeric', class: 'short', id: `${id}-${n}-count`, 'data-col': 'count', value: r.count ?? '' }))));
  };
  for (const r of value && value.length ? value : [{}]) addRow(r);
  return h('fieldset', { class: 'form-field', 'data-field': field.name, 'data-testid': 'field-' + field.name, 'aria-describedby': errId },
    h('legend', null, field.label),
    h('p', { class: 'help' }, 'Une ligne par public, tranche d’âge, sexe et résidence en QPV ; une ligne sans nombre est ignorée.'),
    h('table', { class: 'beneficiaries' }, h('thead', null, h('tr', null, ['Public', 'Âge', 'Sexe', 'Résident QPV', 'Nombre'].map((t) => h('th', { scope: 'col' }, t)))), rows),
    h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'beneficiary-add', onclick: () => { addRow(); rows.lastElementChild.querySelector('select').focus(); } }, 'Ajouter une ligne'),
    h('p', { class: 'field-error', id: errId, 'data-testid': 'error-' + field.name, hidden: true }));
}

/** What the fields hold now, as typed (the draft keeps this). */
function readRaw(form, def) {
  const out = {};
  for (const field of def.fields) {
    const box = form.querySelector(`[data-field="${field.name}"]`);
    if (!box) continue;
    switch (field.type) {
      case 'checks': out[field.name] = [...box.querySelectorAll('input:checked')].map((i) => i.value); break;
      case 'bool': out[field.name] = box.querySelector('input').checked; break;
      case 'lines': out[field.name] = Object.fromEntries([...box.querySelectorAll('input[data-funder]')].map((i) => [i.dataset.funder, i.value])); break;
      case 'beneficiaries': out[field.name] = [...box.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((i) => [i.dataset.col, i.type === 'checkbox' ? i.checked : i.value]))); break;
      default: out[field.name] = box.querySelector('input, select, textarea').value;
    }
  }
  return out;
}

/** The typed values as the API wants them, or the French error of each field that is wrong. */
function parseAll(def, raw) {
  const values = {};
  const errors = {};
  for (const field of def.fields) {
    const v = raw[field.name];
    let r;
    switch (field.type) {
      case 'money': r = parseMoney(v); break;
      case 'date': r = parseDate(v); break;
      case 'int': r = parseInteger(v); break;
      case 'number': r = parseNumber(v); break;
      case 'list': r = { value: lines(v) }; break;
      case 'checks': r = { value: v || [] }; break;
      case 'bool': r = { value: Boolean(v) }; break;
      case 'lines': {
        const out = [];
        for (const [funderId, text] of Object.entries(v || {})) {
          const m = parseMoney(text);
          if (m.error) { r = { error: m.error }; break; }
          if (m.value !== null) out.push({ funderId, amount: m.value });
        }
        r = r || { value: out };
        break;
      }
      case 'beneficiaries': {
        const out = [];
        for (const [i, row] of (v || []).entries()) {
          const n = parseInteger(row.count);
          if (n.error) { r = { error: `Ligne ${i + 1} : ${n.error}` }; break; }
          if (n.value !== null) out.push({ public: row.public, ageBand: row.ageBand, sex: row.sex, qpvResident: Boolean(row.qpvResident), count: n.value });
        }
        r = r || { value: out };
        break;
      }
      default: r = { value: v === undefined || v === null || String(v).trim() === '' ? null : String(v).trim() };
    }
    if (r.error) { errors[field.name] = r.error; continue; }
    const empty = r.value === null || (Array.isArray(r.value) && r.value.length === 0 && field.type === 'checks');
    if (empty && !field.optional) { errors[field.name] = 'Ce champ est obligatoire : ' + field.label.toLowerCase() + '.'; continue; }
    values[field.name] = r.value;
  }
  return { values, errors };
}

// ---------------------------------------------------------------- errors

function showErrors(form, def, summary, list) {
  clearErrors(form);
  const items = [];
  for (const { field, message } of list) {
    const box = field && form.querySelector(`[data-field="${field}"]`);
    if (box) {
      const err = box.querySelector('.field-error');
      err.textContent = message;
      err.hidden = false;
      box.classList.add('has-error');
      for (const c of box.querySelectorAll('input, select, textarea')) {
        c.setAttribute('aria-invalid', 'true');
        if (!(c.getAttribute('aria-describedby') || '').includes(err.id)) c.setAttribute('aria-describedby', describedBy(c.getAttribute('aria-describedby'), err.id));
      }
      const target = box.querySelector('input, select, textarea');
      const label = def.fields.find((x) => x.name === field)?.label || field;
      items.push(h('li', null, h('a', { href: '#' + (target ? target.id : box.id), 'data-field-link': field }, label + ' : ' + message)));
    } else {
      items.push(h('li', null, message));
    }
  }
  clear(summary).append(
    h('p', { class: 'summary-title' }, list.length > 1 ? 'Ces saisies ne peuvent pas être enregistrées :' : 'Cette saisie ne peut pas être enregistrée :'),
    h('ul', null, items));
  summary.hidden = false;
  summary.focus();
}

function clearErrors(form) {
  for (const box of form.querySelectorAll('.has-error')) box.classList.remove('has-error');
  for (const err of form.querySelectorAll('.field-error')) { err.hidden = true; err.textContent = ''; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/** The field an API error concerns: the form's own mapping of rule codes, else none. */
function fieldOf(def, error) {
  const rule = error.extensions && (error.extensions.rule || error.extensions.code);
  if (rule === 'effective_date_invalid' || rule === 'effective_on_contradicts') {
    return def.fields.find((x) => x.type === 'date' && x.names) ? def.fields.find((x) => x.names).name : 'effectiveOn';
  }
  const field = def.fields.find((x) => (x.rules || []).includes(rule));
  return field ? field.name : null;
}

// ---------------------------------------------------------------- the form

/** Focuses `el` now, or once the view it belongs to is on the page (a form opened while drawing). */
function focusSoon(el) {
  if (el.isConnected) el.focus();
  else setTimeout(() => el.focus(), 0);
}

/**
 * Opens the form `def` in `container` for `c` (the view's data: programme, action, session…).
 * `target`: the id the draft is kept under; `version`: the expectedVersion of the state shown;
 * `opener`: the button focus returns to; `onDone(result)`: after a confirmed write;
 * `onConflict()`: redraw the view with the new state (the form opens again with its draft).
 */
export function openForm(def, c, { container, target, version, opener, onDone, onConflict }) {
  const fields = [...def.fields];
  // Rule 12: a command that names no date of its own takes an effective date, today by default.
  const dated = def.dated || fields.some((x) => x.names);
  if (!dated && def.options !== false) {
    fields.push({ name: 'effectiveOn', label: 'Date d’effet', type: 'date', default: () => f.todayIso(),
      hint: 'Le jour où c’est arrivé (aujourd’hui par défaut) ; une saisie tardive garde sa vraie date.' });
  }
  const full = { ...def, fields };
  // The confirmation of an earlier write is about another form: it goes when this one opens.
  dismissConfirmations();
  const draft = drafts.open(def.name, target, version);
  const initial = draft.values || Object.fromEntries(fields.map((x) => {
    const v = typeof x.default === 'function' ? x.default(c) : x.default;
    return [x.name, x.type === 'date' ? frDate(v) : x.type === 'money' ? frMoney(v) : v];
  }));
  const summary = h('div', { class: 'form-summary', role: 'alert', tabindex: '-1', 'data-testid': 'form-errors', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn', 'data-testid': 'form-submit' }, def.submit || 'Enregistrer');
  const cancel = h('button', { type: 'button', class: 'btn btn-light', 'data-testid': 'form-cancel' }, 'Annuler');
  const titleId = 'form-title-' + def.name;
  const form = h('form', { class: 'command-form', 'data-testid': 'form-' + def.name, 'aria-labelledby': titleId, novalidate: true },
    h('h3', { id: titleId, tabindex: '-1' }, def.label),
    def.help ? h('p', { class: 'help' }, typeof def.help === 'function' ? def.help(c) : def.help) : null,
    summary,
    fields.map((x) => drawField(full, x, initial[x.name], c)),
    h('div', { class: 'form-buttons' }, submit, cancel));
  const save = () => { draft.values = readRaw(form, full); drafts.put(def.name, target, draft); };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  form.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-field-link]');
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    document.getElementById(a.getAttribute('href').slice(1))?.focus();
  });
  const close = () => {
    drafts.drop(def.name, target);
    form.remove();
    if (opener && opener.isConnected) opener.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); close(); } });
  let busy = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return; // a double click sends once (and the commandId would make a second one a replay)
    save();
    clearErrors(form);
    summary.hidden = true;
    const { values, errors } = parseAll(full, draft.values);
    const bad = Object.entries(errors);
    if (bad.length) { showErrors(form, full, summary, bad.map(([field, message]) => ({ field, message }))); return; }
    const variables = def.vars ? def.vars(values, c, draft) : { ...values };
    delete variables.effectiveOn;
    Object.assign(variables, def.fixed ? def.fixed(c) : {});
    const declared = argNames(declarations(def));
    if (declared.includes('actionId') && def.on === 'action') variables.actionId = c.action.id;
    if (declared.includes('sessionId') && def.on === 'session') variables.sessionId = c.session.id;
    if (declared.includes('programmeId')) variables.programmeId = c.programmeId;
    if (def.options !== false) {
      variables.options = { commandId: draft.commandId };
      if (values.effectiveOn) variables.options.effectiveOn = values.effectiveOn;
      if (def.versioned !== false && Number.isInteger(draft.version)) variables.options.expectedVersion = draft.version;
    }
    busy = true;
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    const label = submit.textContent;
    submit.textContent = 'Enregistrement…';
    try {
      const data = await gql(mutationText(def), variables);
      const result = data[def.name] || {};
      drafts.drop(def.name, target);
      flash = {
        text: 'Enregistré : ' + def.label.charAt(0).toLowerCase() + def.label.slice(1) + '.',
        warnings: (result.warnings || []).map((code, i) => ({ code, message: (result.warningMessages || [])[i] || code })),
      };
      if (def.onResult) def.onResult(result, flash);
      form.remove();
      await onDone(result);
    } catch (err) {
      busy = false;
      submit.disabled = false;
      submit.textContent = label;
      form.removeAttribute('aria-busy');
      if (!(err instanceof ApiError)) { showErrors(form, full, summary, [{ message: 'Une erreur inattendue est survenue.' }]); console.error(err); return; }
      if (err.code === 'CONFLICT') {
        // Someone else wrote meanwhile: keep what was typed under a new commandId (the command
        // changes with its expectedVersion), and show the new state with the form open again.
        Object.assign(draft, { commandId: newId(), version: null, conflict: true });
        drafts.put(def.name, target, draft);
        reopen = { name: def.name, target };
        onConflict();
        return;
      }
      if (err.code === 'NETWORK') {
        showErrors(form, full, summary, [{ message: err.message + ' Votre saisie est conservée : un nouvel essai ne l’enregistrera qu’une fois.' }]);
        return;
      }
      const list = (err.errors.length ? err.errors : [{ message: err.message }]).map((e) => ({ field: fieldOf(full, e), message: e.message }));
      showErrors(form, full, summary, list);
    }
  });
  clear(container).append(form);
  if (draft.conflict) {
    // The state shown is the new one: the next send expects its version.
    Object.assign(draft, { version, conflict: false });
    drafts.put(def.name, target, draft);
    clear(summary).append(h('p', { 'data-testid': 'form-conflict' },
      'Quelqu’un d’autre a modifié cette fiche pendant votre saisie : la page montre maintenant son état actuel. Vos saisies sont conservées ; vérifiez-les puis enregistrez à nouveau.'));
    summary.hidden = false;
    focusSoon(summary);
  } else {
    focusSoon(form.querySelector('input, select, textarea') || form.querySelector('h3'));
  }
  return form;
}

/**
 * The « Saisie » block of a view: one button per command the API offers here (`available`),
 * in the order of `defs`, and the place the chosen form opens. Returns null when none is offered
 * (an observer sees no write control).
 */
export function commandBar({ title, defs, available, c, target, version, onDone, onConflict, testid }) {
  const offered = defs.filter((d) => available.includes(d.command || d.name) && (!d.when || d.when(c)));
  if (!offered.length) return null;
  const place = h('div', { class: 'form-place' });
  const buttons = offered.map((d) => {
    const b = h('button', { type: 'button', class: 'btn btn-light', 'data-testid': 'command-' + d.name, 'aria-expanded': 'false' }, d.label);
    b.addEventListener('click', () => {
      for (const x of bar.querySelectorAll('[aria-expanded]')) x.setAttribute('aria-expanded', 'false');
      b.setAttribute('aria-expanded', 'true');
      openForm(d, c, { container: place, target, version, opener: b, onDone, onConflict });
    });
    return b;
  });
  const bar = h('section', { class: 'block command-bar no-print', 'data-testid': testid || 'command-bar', 'aria-label': title },
    h('h2', null, title), h('div', { class: 'command-buttons' }, buttons), place);
  // Open again the form a conflict closed, or the one a link asked for (#/action/a1/recordPayment).
  const again = offered.find((d) => takeReopen(d.name, target)) || offered.find((d) => d.name === c.openForm);
  if (again) queueMicrotask(() => buttons[offered.indexOf(again)].click());
  return bar;
}
