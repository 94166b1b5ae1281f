// Séances: the list of sessions, and one session with its agenda and relevé de décisions.
import { gql, ApiError } from '../api.js';
import { h, clear } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, dl, historyList } from '../ui.js';
import { staleNotice } from './action.js';
import { commandBar, openForm, drafts, parseMoney, frMoney, dismissConfirmations } from '../forms.js';
import { SESSION_FORMS, opinionAt } from '../commands.js';

const LIST = `query Sessions($p: ID!, $asOf: AsOf) {
  sessions(programmeId: $p, asOf: $asOf) { id body date title held cancelled }
}`;
// What only full readers get: the agenda, and the actions awaiting the body (the saisie's rows).
const AGENDA = 'agenda { id reference title status holder { name } } awaiting { id reference title status version holder { name } money { funder { id name } requested proposed } }';
function one(withAgenda) {
  return `query Session($p: ID!, $id: ID!, $asOf: AsOf) {
  session(programmeId: $p, id: $id, asOf: $asOf) {
    id body date title held cancelled present version availableCommands
    ${withAgenda ? AGENDA : ''}
    decisions { action { id reference title holder { name } } opinion outcome retained { funder { name } amount } amount reason revision }
    history { position summary kind effectiveOn recordedAt actor supersededBy }
  }
}`;
}

export function sessionState(s) {
  if (s.cancelled) return 'annulée';
  if (s.held) return 'tenue';
  return 'programmée';
}

export async function render(ctx) {
  return ctx.list ? renderList(ctx) : renderOne(ctx);
}

async function renderList(ctx) {
  const { sessions } = await gql(LIST, { p: ctx.programmeId, asOf: ctx.asOfVar });
  const rows = [...sessions].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  return h('div', { class: 'view view-sessions' },
    viewHeader('Séances des instances', 'COPIL, COTECH et comités de sélection, de la plus récente à la plus ancienne.'),
    dataTable({
      caption: 'Séances', testid: 'sessions', csvName: 'seances' + (ctx.asOf ? '-etat-' + ctx.asOf.date : '') + '.csv', rows,
      empty: 'Aucune séance.',
      rowAttrs: (s) => ({ 'data-session-id': s.id, class: s.cancelled ? 'is-cancelled' : null }),
      columns: [
        { label: 'Date', cell: (s) => f.date(s.date), csv: (s) => s.date },
        { label: 'Instance', cell: (s) => f.fr('BodyKind', s.body) },
        { label: 'Titre', cell: (s) => h('a', { href: ctx.link('/session/' + encodeURIComponent(s.id)) }, s.title), csv: (s) => s.title },
        { label: 'État', cell: (s) => sessionState(s) },
      ],
    }));
}

async function renderOne(ctx) {
  const id = ctx.parts[1];
  let data;
  try {
    data = await gql(one(!ctx.isObserver), { p: ctx.programmeId, id, asOf: ctx.asOfVar });
  } catch (e) {
    // Agendas are not for observers (nor for a porteur reading as one): ask again without it.
    if (e.code !== 'FORBIDDEN' || ctx.isObserver) throw e;
    data = await gql(one(false), { p: ctx.programmeId, id, asOf: ctx.asOfVar });
  }
  const s = data.session;
  if (!s) {
    return h('div', null, viewHeader('Séance introuvable'),
      h('p', null, 'Cette séance n’existe pas à la date choisie, ou vous n’avez pas le droit de la consulter.'),
      h('p', null, h('a', { href: ctx.link('/sessions') }, 'Liste des séances')));
  }
  const base = 'seance-' + s.id + (ctx.asOf ? '-etat-' + ctx.asOf.date : '');
  const copil = s.body === 'COPIL';
  const available = s.availableCommands || [];
  const c = { ...ctx, session: s };
  const saisie = commandBar({
    title: 'Saisie', defs: SESSION_FORMS, available, c, target: 'session:' + s.id, version: s.version,
    onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(), testid: 'session-commands',
  });
  const opinions = available.includes('giveOpinion') && s.awaiting ? opinionsToGive(ctx, s) : null;
  const releve = available.includes('recordCopilDecisions') && s.awaiting ? releveForm(ctx, s) : null;
  return h('div', { class: 'view view-session' },
    viewHeader(f.fr('BodyKind', s.body).replace(/^./, (c) => c.toUpperCase()) + ' du ' + f.date(s.date), s.title),
    h('section', { class: 'card', 'data-testid': 'session-card' },
      dl([
        ['Instance', f.fr('BodyKind', s.body)],
        ['Date', f.date(s.date)],
        ['Titre', s.title],
        ['État', sessionState(s), { 'data-testid': 'session-state' }],
        ['Organisations présentes', s.present.length ? h('ul', { class: 'inline-list' }, s.present.map((o) => h('li', null, o))) : (s.held ? 'non renseignées' : 'séance non encore tenue')],
        // « Ce que le COPIL savait »: for the roles that read the pilotage's reports.
        s.body === 'COPIL' && s.held && ctx.seesAll && !ctx.asOf ? ['Registre à jour ?', h('a', {
          href: ctx.link('/pilotage/copil/' + encodeURIComponent(s.id)), 'data-testid': 'session-hindsight',
        }, 'Ce que le COPIL savait ce jour-là')] : null,
      ])),
    saisie,
    opinions,
    releve,
    s.agenda ? section('Ordre du jour', dataTable({
      // A porteur sees the agenda of its own actions only (DOMAIN.md, reading rules).
      caption: (s.held ? 'Actions examinées' : 'Actions en attente de cette instance') + (ctx.me.role === 'PORTEUR' ? ' (vos actions seulement)' : ''),
      testid: 'session-agenda', csvName: base + '-ordre-du-jour.csv',
      rows: s.agenda, empty: 'Aucune action à l’ordre du jour.',
      columns: [
        { label: 'Référence', cell: (a) => h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id)) }, a.reference), csv: (a) => a.reference },
        { label: 'Action', cell: (a) => a.title },
        { label: 'Porteur', cell: (a) => a.holder.name },
        { label: 'Statut', cell: (a) => f.fr('ActionStatus', a.status) },
      ],
    })) : null,
    section('Relevé de décisions', dataTable({
      caption: copil ? 'Décisions et révisions du COPIL' : 'Avis rendus', testid: 'session-decisions', csvName: base + '-releve-de-decisions.csv',
      rows: s.decisions, empty: 'Aucune décision enregistrée pour cette séance.',
      columns: [
        { label: 'Référence', cell: (d) => h('a', { href: ctx.link('/action/' + encodeURIComponent(d.action.id)) }, d.action.reference), csv: (d) => d.action.reference },
        { label: 'Action', cell: (d) => d.action.title },
        { label: 'Porteur', cell: (d) => d.action.holder.name },
        { label: copil ? 'Décision' : 'Avis', cell: (d) => (d.outcome ? f.fr('DecisionOutcome', d.outcome) : f.fr('Opinion', d.opinion)) + (d.revision ? ' (révision)' : '') },
        { label: 'Montants par financeur', cell: (d) => d.retained.map((l) => l.funder.name + ' : ' + f.money(l.amount)).join(' ; '), csv: (d) => d.retained.map((l) => l.funder.name + ' ' + f.moneyCsv(l.amount)).join(' / ') },
        { label: 'Montant total', num: true, cell: (d) => f.money(d.amount), csv: (d) => f.moneyCsv(d.amount) },
        { label: 'Motif', cell: (d) => d.reason || '' },
      ],
    })),
    h('section', { class: 'block print-break' }, h('h2', null, 'Historique de la séance'), historyList(s.history, 'session-history')));
}

export function onLive(entry, ctx) {
  if (ctx.asOf) return;
  if (ctx.list ? entry.kind.startsWith('Session') : entry.sessionId === ctx.parts[1]) staleNotice(ctx, 'Cette page vient d’évoluer.');
}

// ---------------------------------------------------------------- saisie at a séance

/** Opinions to give at a COTECH or a selection committee: one button per action awaiting it. */
function opinionsToGive(ctx, s) {
  if (!s.awaiting.length) return section('Avis à rendre', h('p', null, 'Aucune action n’attend d’avis.'));
  const place = h('div', { class: 'form-place' });
  return h('section', { class: 'block no-print', 'data-testid': 'session-opinions' }, h('h2', null, 'Avis à rendre'),
    h('ul', { class: 'todo-list' }, s.awaiting.map((a) => {
      const b = h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'opinion-' + a.id },
        'Rendre un avis', h('span', { class: 'visually-hidden' }, ' sur ' + a.reference));
      b.addEventListener('click', () => openForm(opinionAt(s, a), { ...ctx, action: a, session: s }, {
        container: place, target: 'opinion:' + s.id + ':' + a.id, version: a.version, opener: b,
        onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
      }));
      return h('li', null, h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id)) }, a.reference), ' — ', a.title, ' (', a.holder.name, ') ', b);
    })), place);
}

const OUTCOMES = [['RETAINED', 'retenue'], ['DEFERRED', 'ajournée'], ['REJECTED', 'rejetée'], ['', 'pas de décision']];

/**
 * The COPIL's relevé: every action awaiting the COPIL, its outcome and retained amount per
 * funder (prefilled from the opinion's proposed amounts, else the request), recorded in one
 * `recordCopilDecisions`: all or nothing. Each refused row shows its own reason.
 */
function releveForm(ctx, s) {
  if (!s.awaiting.length) return section('Relevé de décisions à saisir', h('p', null, 'Aucune action n’attend de décision du COPIL.'));
  const target = 'session:' + s.id;
  const draft = drafts.open('recordCopilDecisions', target, null);
  const kept = draft.values || {};
  const summary = h('div', { class: 'form-summary', role: 'alert', tabindex: '-1', 'data-testid': 'form-errors', hidden: true });
  const rows = s.awaiting.map((a) => {
    const mine = kept[a.id] || {};
    const proposed = a.money.some((l) => l.proposed > 0);
    const id = (x) => `releve-${a.id}-${x}`;
    const amounts = a.money.map((l) => h('div', { class: 'line' },
      h('label', { for: id(l.funder.id) }, l.funder.name, h('span', { class: 'visually-hidden' }, ', ' + a.reference)),
      h('input', { type: 'text', inputmode: 'decimal', class: 'short', id: id(l.funder.id), 'data-funder': l.funder.id, 'data-testid': `releve-amount-${a.id}-${l.funder.id}`,
        'aria-describedby': id('error'), value: mine.amounts ? mine.amounts[l.funder.id] ?? '' : frMoney(proposed ? l.proposed : l.requested) })));
    return h('tr', { 'data-action-id': a.id, 'data-testid': 'releve-row' },
      h('th', { scope: 'row' }, h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id)) }, a.reference), h('br'), a.title, h('br'), h('small', null, a.holder.name)),
      h('td', null, h('label', { class: 'visually-hidden', for: id('outcome') }, 'Décision sur ' + a.reference),
        h('select', { id: id('outcome'), 'data-col': 'outcome', 'data-testid': 'releve-outcome-' + a.id, 'aria-describedby': id('error') },
          OUTCOMES.map(([v, l]) => h('option', { value: v, selected: (mine.outcome ?? 'RETAINED') === v }, l)))),
      h('td', null, amounts, h('p', { class: 'help' }, proposed ? 'Proposé par l’avis' : 'Demandé')),
      h('td', null, h('label', { class: 'visually-hidden', for: id('reason') }, 'Motif pour ' + a.reference),
        h('input', { type: 'text', id: id('reason'), 'data-col': 'reason', 'data-testid': 'releve-reason-' + a.id, value: mine.reason ?? '', 'aria-describedby': id('error') }),
        h('p', { class: 'field-error', id: id('error'), 'data-testid': 'releve-error', hidden: true })));
  });
  const submit = h('button', { type: 'submit', class: 'btn', 'data-testid': 'releve-submit' }, 'Enregistrer le relevé');
  const form = h('form', { class: 'command-form releve', 'data-testid': 'releve-form', 'aria-labelledby': 'releve-title', novalidate: true },
    h('h2', { id: 'releve-title' }, 'Relevé de décisions à saisir'),
    h('p', { class: 'help' }, 'Une ligne par action en attente du COPIL. Tout le relevé est enregistré d’un coup, ou rien s’il y a une erreur. Les décisions prennent la date de la séance.'),
    summary,
    h('table', { class: 'releve-table' },
      h('caption', null, 'Actions en attente de décision'),
      h('thead', null, h('tr', null, ['Action', 'Décision', 'Montants retenus (€)', 'Motif'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows)),
    h('div', { class: 'form-buttons' }, submit));
  const read = () => Object.fromEntries(rows.map((tr) => [tr.dataset.actionId, {
    outcome: tr.querySelector('[data-col="outcome"]').value,
    reason: tr.querySelector('[data-col="reason"]').value,
    amounts: Object.fromEntries([...tr.querySelectorAll('input[data-funder]')].map((i) => [i.dataset.funder, i.value])),
  }]));
  const save = () => { draft.values = read(); drafts.put('recordCopilDecisions', target, draft); };
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  const rowError = (actionId, message) => {
    const tr = rows.find((r) => r.dataset.actionId === actionId);
    if (!tr) return false;
    const p = tr.querySelector('.field-error');
    p.textContent = message;
    p.hidden = false;
    tr.classList.add('has-error');
    for (const c of tr.querySelectorAll('input, select')) c.setAttribute('aria-invalid', 'true');
    return true;
  };
  const clearRows = () => {
    for (const tr of rows) {
      tr.classList.remove('has-error');
      const p = tr.querySelector('.field-error');
      p.hidden = true;
      p.textContent = '';
      for (const c of tr.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    }
  };
  const tell = (text, items) => {
    clear(summary).append(h('p', { class: 'summary-title' }, text));
    if (items && items.length) summary.append(h('ul', null, items.map((t) => h('li', null, t))));
    summary.hidden = false;
    summary.focus();
  };
  let busy = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    save();
    clearRows();
    dismissConfirmations();
    summary.hidden = true;
    const decisions = [];
    let bad = 0;
    for (const a of s.awaiting) {
      const v = draft.values[a.id];
      if (!v.outcome) continue;
      const retained = [];
      for (const [funderId, text] of Object.entries(v.amounts)) {
        const m = parseMoney(text);
        if (m.error) { rowError(a.id, m.error); bad++; break; }
        if (m.value && v.outcome === 'RETAINED') retained.push({ funderId, amount: m.value });
      }
      decisions.push({ actionId: a.id, expectedVersion: a.version, outcome: v.outcome, retained, reason: v.reason.trim() || undefined });
    }
    if (bad) { tell('Le relevé n’a pas été enregistré : corrigez les lignes signalées.'); return; }
    if (!decisions.length) { tell('Aucune décision à enregistrer : choisissez au moins une décision.'); return; }
    busy = true;
    submit.disabled = true;
    try {
      const data = await gql(`mutation RecordCopilDecisions($programmeId: ID!, $sessionId: ID!, $decisions: [CopilDecisionInput!]!, $options: CommandOptions) {
        recordCopilDecisions(programmeId: $programmeId, sessionId: $sessionId, decisions: $decisions, options: $options) { position warnings warningMessages } }`,
      { programmeId: ctx.programmeId, sessionId: s.id, decisions, options: { commandId: draft.commandId } });
      drafts.drop('recordCopilDecisions', target);
      ctx.flash({
        text: `Enregistré : le relevé de ${decisions.length} décision${decisions.length > 1 ? 's' : ''} du COPIL.`,
        warnings: data.recordCopilDecisions.warnings.map((code, i) => ({ code, message: data.recordCopilDecisions.warningMessages[i] })),
      });
      await ctx.refresh();
    } catch (err) {
      busy = false;
      submit.disabled = false;
      if (!(err instanceof ApiError)) { tell('Une erreur inattendue est survenue.'); console.error(err); return; }
      const failures = (err.errors[0] && err.errors[0].extensions && err.errors[0].extensions.failures) || [];
      if (failures.length) {
        // The command changes with the corrections: the next send is a new command.
        draft.commandId = crypto.randomUUID ? crypto.randomUUID() : String(Date.now());
        drafts.put('recordCopilDecisions', target, draft);
        const shown = failures.filter((x) => rowError(x.actionId, x.message));
        tell(`Rien n’a été enregistré : ${failures.length} ligne${failures.length > 1 ? 's' : ''} refusée${failures.length > 1 ? 's' : ''}.`,
          failures.filter((x) => !shown.includes(x)).map((x) => x.message));
        return;
      }
      tell(err.message + (err.code === 'NETWORK' ? ' Votre saisie est conservée : un nouvel essai ne l’enregistrera qu’une fois.' : ''));
    }
  });
  return h('section', { class: 'block no-print', 'data-testid': 'session-releve' }, form);
}
