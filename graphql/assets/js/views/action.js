// Fiche action: card, money per funder, grants, payments, decisions, reports, indicators,
// evaluation and the whole history.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, dl, historyList, csvButton } from '../ui.js';
import { commandBar, openForm } from '../forms.js';
import { ACTION_FORMS, eraseText } from '../commands.js';

const HISTORY = 'position summary kind effectiveOn recordedAt actor supersededBy erasableFields';
function query(withOpinions) {
  return `query Action($p: ID!, $id: ID!, $asOf: AsOf) {
  action(programmeId: $p, id: $id, asOf: $asOf) {
    id reference title summary status lastReason version availableCommands availableReportKinds
    holder { id name kind }
    axis { code title objective } secondaryAxes { code title }
    publics qpv periodStart periodEnd year totalCost externalRefs
    money { funder { id name } requested proposed retained granted paid toPay repaymentRequested repaid refused }
    grants { id funder { id name } year amount actKind reference signedOn }
    payments { id funder { id name } amount kind paidOn cancelled }
    complements { requestedOn items providedOn note }
    ${withOpinions ? 'opinions { session { id title date body } opinion proposed { funder { name } amount } comment givenOn }' : ''}
    decision { session { id title date } outcome retained { funder { name } amount } reason decidedOn revised }
    reports { kind submittedOn spent summary beneficiaries { public ageBand sex qpvResident count hidden } }
    indicators { code label target measured measuredOn measurements { value measuredOn } }
    evaluation { rating findings recommendation evaluatedOn }
    history { ${HISTORY} }
  }
}`;
}

const money = (k) => ({ label: k[1], num: true, cell: (r) => f.money(r[k[0]]), csv: (r) => f.moneyCsv(r[k[0]]) });
const lines = (ls) => ls.map((l) => l.funder.name + ' : ' + f.money(l.amount)).join(' ; ');
const sum = (rows, k) => rows.reduce((s, r) => s + Number(r[k] || 0), 0);
const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);
/** « COTECH de printemps 2024 », or « COTECH — Séance de printemps » when the title does not name the body. */
function sessionName(s) {
  const body = f.fr('BodyKind', s.body);
  return s.title.toLowerCase().startsWith(body.toLowerCase()) ? s.title : capitalise(body) + ' — ' + s.title;
}

export async function render(ctx) {
  const id = ctx.parts[1];
  let data;
  try {
    data = await gql(query(!ctx.isObserver), { p: ctx.programmeId, id, asOf: ctx.asOfVar });
  } catch (e) {
    // A porteur reads other partners' actions as an observer: opinions may be refused.
    if (e.code !== 'FORBIDDEN' || ctx.isObserver) throw e;
    data = await gql(query(false), { p: ctx.programmeId, id, asOf: ctx.asOfVar });
  }
  const a = data.action;
  if (!a) {
    return h('div', null, viewHeader('Action introuvable'),
      h('p', null, ctx.asOf ? 'Cette action n’existait pas encore à la date choisie, ou vous n’avez pas le droit de la consulter.' : 'Cette action n’existe pas, ou vous n’avez pas le droit de la consulter.'),
      h('p', null, h('a', { href: ctx.link('/') }, 'Retour à la frise')));
  }
  const suffix = ctx.asOf ? '-etat-' + ctx.asOf.date : '';
  const base = 'action-' + a.reference.replace(/[^\w.-]+/g, '_') + suffix;
  // Read as an observer (DOMAIN.md): requested and proposed amounts are withheld, and the API
  // gives 0 for them; a column of zeros would say something false, so it is left out.
  const restricted = !ctx.seesAll && !(ctx.me.role === 'PORTEUR' && a.holder.id === ctx.me.partnerId);
  const withheld = new Set(restricted ? ['requested', 'proposed'] : []);
  const moneyKeys = [['requested', 'Demandé'], ['proposed', 'Proposé'], ['retained', 'Retenu'],
    ['granted', 'Attribué'], ['paid', 'Versé'], ['toPay', 'Reste à verser'],
    ['repaymentRequested', 'Reversement demandé'], ['repaid', 'Reversement reçu']].filter(([k]) => !withheld.has(k));
  const moneyCols = [
    { label: 'Financeur', rowHeader: true, cell: (r) => r.funder.name + (r.refused ? ' (financement refusé)' : '') },
    ...moneyKeys.map(money),
  ];
  const keys = moneyKeys.map(([k]) => k);
  const moneyFooter = [{ text: 'Total' }, ...keys.map((k) => ({ text: f.money(sum(a.money, k)), csv: f.moneyCsv(sum(a.money, k)), num: true, testid: 'action-money-total-' + k }))];

  const card = h('section', { class: 'card', 'data-testid': 'action-card', 'aria-labelledby': 'view-title' },
    h('p', { class: 'status-line' }, 'Statut : ', h('strong', { class: 'status status-' + a.status.toLowerCase(), 'data-testid': 'action-status', 'data-status': a.status }, f.fr('ActionStatus', a.status))),
    h('p', { class: 'lead' }, a.summary),
    dl([
      ['Référence', a.reference, { 'data-testid': 'action-reference' }],
      ['Porteur', a.holder.name + ' (' + f.fr('PartnerKind', a.holder.kind) + ')'],
      ['Axe', a.axis.code + ' — ' + a.axis.title + ' (' + f.fr('NationalObjective', a.axis.objective) + ')'],
      a.secondaryAxes.length ? ['Axes secondaires', a.secondaryAxes.map((x) => x.code + ' — ' + x.title).join(' ; ')] : null,
      ['Période', 'du ' + f.date(a.periodStart) + ' au ' + f.date(a.periodEnd)],
      ['Exercice', String(a.year)],
      ['Publics', a.publics.map((p) => f.fr('PublicKind', p)).join(', ') || '—'],
      a.qpv.length ? ['QPV', a.qpv.join(', ')] : null,
      ['Coût total', f.money(a.totalCost)],
      a.externalRefs.length ? ['Références externes', a.externalRefs.join(', ')] : null,
      a.lastReason ? ['Dernier motif', a.lastReason] : null,
    ]));

  const decision = a.decision
    ? dl([
      ['Décision', f.fr('DecisionOutcome', a.decision.outcome) + (a.decision.revised ? ' (décision révisée)' : ''), { 'data-testid': 'action-decision' }],
      ['Séance', h('a', { href: ctx.link('/session/' + encodeURIComponent(a.decision.session.id)) }, a.decision.session.title + ' du ' + f.date(a.decision.session.date))],
      ['Décidée le', f.date(a.decision.decidedOn)],
      ['Montants retenus', lines(a.decision.retained) || '—'],
      a.decision.reason ? ['Motif', a.decision.reason] : null,
    ])
    : h('p', null, ctx.asOf ? 'Aucune décision du COPIL à cette date.' : 'Aucune décision du COPIL pour le moment.');

  // Opinions are not for observers: the API gives none, and « Aucun avis » would be false.
  const opinions = a.opinions && !restricted ? dataTable({
    caption: 'Avis rendus', testid: 'action-opinions', csvName: base + '-avis.csv', rows: a.opinions, empty: 'Aucun avis.',
    columns: [
      { label: 'Date', cell: (r) => f.date(r.givenOn), csv: (r) => r.givenOn },
      { label: 'Séance', cell: (r) => h('a', { href: ctx.link('/session/' + encodeURIComponent(r.session.id)) }, sessionName(r.session)), csv: (r) => r.session.title },
      { label: 'Avis', cell: (r) => f.fr('Opinion', r.opinion) },
      { label: 'Montants proposés', cell: (r) => lines(r.proposed), csv: (r) => r.proposed.map((l) => l.funder.name + ' ' + f.moneyCsv(l.amount)).join(' / ') },
      { label: 'Commentaire', cell: (r) => r.comment || '' },
    ],
  }) : null;

  const reports = a.reports.length === 0 ? h('p', null, 'Aucun bilan déposé.') : a.reports.map((r, i) => h('article', { class: 'report' },
    h('h3', null, capitalise(f.fr('ReportKind', r.kind)) + ' déposé le ' + f.date(r.submittedOn)),
    dl([['Dépenses réalisées', f.money(r.spent)], ['Synthèse', r.summary]]),
    dataTable({
      caption: 'Bénéficiaires (' + f.fr('ReportKind', r.kind) + ')', testid: 'action-beneficiaries-' + (i + 1), csvName: base + '-beneficiaires-' + (i + 1) + '.csv',
      rows: r.beneficiaries, empty: 'Aucun décompte.',
      columns: [
        { label: 'Public', cell: (b) => f.fr('PublicKind', b.public) },
        { label: 'Tranche d’âge', cell: (b) => f.fr('AgeBand', b.ageBand) },
        { label: 'Sexe', cell: (b) => f.fr('Sex', b.sex) },
        { label: 'Résident QPV', cell: (b) => (b.qpvResident ? 'oui' : 'non') },
        // A hidden cell reads « < 10 » on screen, in print and in the CSV; no total is drawn,
        // since the total minus the visible cells would give a hidden one back.
        { label: 'Nombre', num: true, cell: (b) => (b.hidden ? '< 10' : f.number(b.count)), csv: (b) => (b.hidden ? '< 10' : b.count) },
      ],
    })));

  // Where the form erasing a text of the history opens (a pilot's or an ADMIN's).
  const erasePlace = h('div', { class: 'form-place' });
  const evaluation = a.evaluation
    ? dl([['Appréciation', f.fr('Rating', a.evaluation.rating)], ['Constats', a.evaluation.findings],
      ['Recommandation', f.fr('Recommendation', a.evaluation.recommendation)], ['Évaluée le', f.date(a.evaluation.evaluatedOn)]])
    : h('p', null, 'Pas encore évaluée.');

  // The next steps of the action's life, as the API offers them to this token (none at a past
  // bound, none for an observer).
  const saisie = commandBar({
    title: 'Saisie', defs: ACTION_FORMS, available: a.availableCommands || [], testid: 'action-commands',
    c: { ...ctx, action: a }, target: 'action:' + a.id, version: a.version,
    onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
  });

  return h('div', { class: 'view view-action' },
    viewHeader(a.reference + ' — ' + a.title, 'Fiche action'),
    card,
    saisie,
    section('Financement par financeur', dataTable({
      caption: 'Montants par financeur', testid: 'action-money', csvName: base + '-financements.csv',
      columns: moneyCols, rows: a.money, footer: moneyFooter, empty: 'Aucun financeur.',
    }), restricted ? h('p', { class: 'note' }, 'Les montants demandés et proposés ne sont communiqués qu’au porteur de l’action et aux instances du programme.') : null),
    section('Décision du COPIL', decision),
    opinions ? section('Avis', opinions) : null,
    a.complements.length ? section('Compléments', h('ul', null, a.complements.map((c) => h('li', null,
      'Demandés le ' + f.date(c.requestedOn) + ' : ' + c.items.join(' ; ') + '. ',
      c.providedOn ? 'Fournis le ' + f.date(c.providedOn) + (c.note ? ' : ' + c.note : '') + '.' : 'En attente.')))) : null,
    section('Attributions', dataTable({
      caption: 'Subventions attribuées', testid: 'action-grants', csvName: base + '-attributions.csv', rows: a.grants, empty: 'Aucune attribution.',
      columns: [
        { label: 'Financeur', cell: (r) => r.funder.name },
        { label: 'Exercice', cell: (r) => String(r.year) },
        { label: 'Acte', cell: (r) => f.fr('ActKind', r.actKind) },
        { label: 'Référence', cell: (r) => r.reference },
        { label: 'Signé le', cell: (r) => f.date(r.signedOn), csv: (r) => r.signedOn },
        money(['amount', 'Montant']),
      ],
    })),
    section('Versements', dataTable({
      caption: 'Versements (les versements annulés sont barrés)', testid: 'action-payments', csvName: base + '-versements.csv', rows: a.payments, empty: 'Aucun versement.',
      rowAttrs: (r) => ({ class: r.cancelled ? 'is-cancelled' : null, 'data-cancelled': r.cancelled ? 'true' : null }),
      columns: [
        { label: 'Date', cell: (r) => (r.cancelled ? h('del', null, f.date(r.paidOn)) : f.date(r.paidOn)), csv: (r) => r.paidOn },
        { label: 'Financeur', cell: (r) => (r.cancelled ? h('del', null, r.funder.name) : r.funder.name), csv: (r) => r.funder.name },
        { label: 'Nature', cell: (r) => f.fr('PaymentKind', r.kind) },
        { label: 'Montant', num: true, cell: (r) => (r.cancelled ? h('del', null, f.money(r.amount)) : f.money(r.amount)), csv: (r) => f.moneyCsv(r.amount) },
        { label: 'État', cell: (r) => (r.cancelled ? 'annulé' : 'effectué') },
      ],
    })),
    section('Bilans', reports),
    section('Indicateurs', dataTable({
      caption: 'Indicateurs', testid: 'action-indicators', csvName: base + '-indicateurs.csv', rows: a.indicators, empty: 'Aucun indicateur.',
      columns: [
        { label: 'Code', cell: (r) => r.code },
        { label: 'Indicateur', cell: (r) => r.label },
        { label: 'Cible', num: true, cell: (r) => f.number(r.target), csv: (r) => (r.target ?? '').toString().replace('.', ',') },
        { label: 'Dernière mesure', num: true, cell: (r) => f.number(r.measured), csv: (r) => (r.measured ?? '').toString().replace('.', ',') },
        { label: 'Mesurée le', cell: (r) => f.date(r.measuredOn), csv: (r) => r.measuredOn || '' },
        { label: 'Mesures', cell: (r) => r.measurements.map((m) => f.number(m.value) + ' le ' + f.date(m.measuredOn)).join(' ; '), csv: (r) => r.measurements.map((m) => m.measuredOn + ' ' + String(m.value).replace('.', ',')).join(' / ') },
      ],
    })),
    section('Évaluation', evaluation),
    h('section', { class: 'block print-break' }, h('h2', null, 'Historique complet'),
      h('p', { class: 'no-print' }, csvButton('csv-action-history', base + '-historique.csv', () => [
        ['Position', 'Date d’effet', 'Enregistré le (UTC)', 'Type', 'Code de l’événement', 'Résumé', 'Acteur', 'Remplacée par'],
        a.history.map((e) => [e.position, e.effectiveOn, e.recordedAt, f.kindLabel(e.kind), e.kind, e.summary, e.actor, e.supersededBy ?? '']),
      ], 'historique de l’action')),
      erasePlace,
      historyList(a.history, 'action-history', { erase: ctx.asOf ? null : (entry, opener) => openForm(eraseText(entry), ctx, {
        container: erasePlace, target: 'erase:' + entry.position, version: null, opener, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
      }) })));
}

export function onLive(entry, ctx) {
  if (ctx.asOf || entry.actionId !== ctx.parts[1]) return;
  staleNotice(ctx, 'Cette action vient d’évoluer.');
}

/** Tells the person the page is out of date without redrawing it under their cursor. */
export function staleNotice(ctx, text) {
  const view = document.querySelector('#view .view');
  if (!view || view.querySelector('.stale')) return;
  view.prepend(h('div', { class: 'stale no-print', role: 'status', 'data-testid': 'stale-notice' }, text + ' ',
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }, 'Actualiser')));
}
