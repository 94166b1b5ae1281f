// Séances: the list of sessions, and one session with its agenda and relevé de décisions.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, dl, historyList } from '../ui.js';
import { staleNotice } from './action.js';

const LIST = `query Sessions($p: ID!, $asOf: AsOf) {
  sessions(programmeId: $p, asOf: $asOf) { id body date title held cancelled }
}`;
function one(withAgenda) {
  return `query Session($p: ID!, $id: ID!, $asOf: AsOf) {
  session(programmeId: $p, id: $id, asOf: $asOf) {
    id body date title held cancelled present
    ${withAgenda ? 'agenda { id reference title status holder { name } }' : ''}
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
  return h('div', { class: 'view view-session' },
    viewHeader(f.fr('BodyKind', s.body).replace(/^./, (c) => c.toUpperCase()) + ' du ' + f.date(s.date), s.title),
    h('section', { class: 'card', 'data-testid': 'session-card' },
      dl([
        ['Instance', f.fr('BodyKind', s.body)],
        ['Date', f.date(s.date)],
        ['Titre', s.title],
        ['État', sessionState(s), { 'data-testid': 'session-state' }],
        ['Organisations présentes', s.present.length ? h('ul', { class: 'inline-list' }, s.present.map((o) => h('li', null, o))) : (s.held ? 'non renseignées' : 'séance non encore tenue')],
      ])),
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
