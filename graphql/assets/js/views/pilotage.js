// « Pilotage »: the documents the chef de projet produces from the register (the monthly report
// to the COTECH, the revue de projet) and the figures of a year (beneficiaries, déploiement,
// gouvernance, finances), each with the state of the register it was computed from
// (position, hash and how to check them), printed on every page and written under every
// download.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, setProvenance, provenanceNode } from '../ui.js';
import { bars, consumption } from '../charts.js';
import { commandBar } from '../forms.js';
import { PROGRAMME_FORMS } from '../commands.js';

const PROVENANCE = 'provenance { position headHash asOf computedAt }';
const ACTION = 'id reference title status lastReason periodStart periodEnd holder { name } axis { code title }';
const ENTRY = 'position effectiveOn recordedAt kind summary actor actionId amount';
const LINE = 'funder { id name } envelope granted paid toPay consumptionPermille';

const BENEFICIARIES_FIELDS = `year total actionsCounted actionsWithInterimOnly
    cells { axis { code title } objective public ageBand sex qpvResident count hidden }`;
const DEPLOYMENT_FIELDS = `year newActions renewedActions
    byStatus { status axis { code title } objective count }
    holders { kind legalForm partners actions }
    withdrawn { ${ACTION} } notRealised { ${ACTION} } periodChanged { ${ACTION} }`;
const GOVERNANCE_FIELDS = `year sessions { body scheduled held cancelled }
    heldSessions { id body date title present }
    membershipChanges { ${ENTRY} }`;
const FINANCES_FIELDS = `fromYear toYear
    funders { funder { id name payer } year granted paid repaid toRepay sharePermille
      medianDaysToFirstPayment medianDaysToBalance firstPaymentsOver60Days grants grantsPaidInFull }
    communeSharePermille { year permille } stateSharePermille { year permille } cofinancingPermille { year permille }
    actions { action { id reference title } granted totalCost permille }`;

const BENEFICIARIES = `query Beneficiaries($p: ID!, $year: Int!, $asOf: AsOf) {
  beneficiaries(programmeId: $p, year: $year, asOf: $asOf) { ${BENEFICIARIES_FIELDS} ${PROVENANCE} }
}`;
const DEPLOYMENT = `query Deployment($p: ID!, $year: Int!, $asOf: AsOf) {
  deployment(programmeId: $p, year: $year, asOf: $asOf) { ${DEPLOYMENT_FIELDS} ${PROVENANCE} }
}`;
const GOVERNANCE = `query Governance($p: ID!, $year: Int!, $asOf: AsOf) {
  governance(programmeId: $p, year: $year, asOf: $asOf) { ${GOVERNANCE_FIELDS} ${PROVENANCE} }
}`;
const FINANCES = `query Finances($p: ID!, $from: Int!, $to: Int!, $asOf: AsOf) {
  finances(programmeId: $p, fromYear: $from, toYear: $to, asOf: $asOf) { ${FINANCES_FIELDS} ${PROVENANCE} }
}`;
const MONTHLY = `query MonthlyReport($p: ID!, $from: Date!, $to: Date!) {
  monthlyReport(programmeId: $p, from: $from, to: $to) {
    from to
    changes { fromPosition toPosition entries { ${ENTRY} } actionsAdded
      statusChanges { actionId from to } grantedDelta { funder { id name } delta } }
    lateEntries { ${ENTRY} }
    reportsDue { action { id reference title holder { name } } kind dueOn overdue }
    overdueCompletions { ${ACTION} }
    budgetAtFrom { year lines { ${LINE} } total { ${LINE} } }
    budgetAtTo { year lines { ${LINE} } total { ${LINE} } }
    ${PROVENANCE}
  }
}`;
const REVIEW_FIELDS = `year
    sections { section text writtenAt }
    validatedAt { id date title }
    beneficiaries { ${BENEFICIARIES_FIELDS} }
    deployment { ${DEPLOYMENT_FIELDS} }
    governance { ${GOVERNANCE_FIELDS} }
    finances { ${FINANCES_FIELDS} }
    budget { year lines { ${LINE} } total { ${LINE} } }
    evaluations { id reference title evaluation { rating recommendation } }
    ${PROVENANCE}`;
const REVIEW = `query AnnualReview($p: ID!, $year: Int!) {
  annualReview(programmeId: $p, year: $year) { ${REVIEW_FIELDS} declared { ${REVIEW_FIELDS} } }
  programme(id: $p) { version availableCommands }
  sessions(programmeId: $p) { id body date title held cancelled }
}`;
const HINDSIGHT = `query CopilHindsight($p: ID!, $s: ID!) {
  copilHindsight(programmeId: $p, sessionId: $s) {
    session { id body date title }
    lateEntries { ${ENTRY} }
    grantedUnknown { funder { id name } delta } paidUnknown { funder { id name } delta }
    ${PROVENANCE}
  }
}`;

const PAGES = [
  ['mensuel', 'Rapport mensuel', true],
  ['revue', 'Revue de projet', false],
  ['beneficiaires', 'Bénéficiaires', false],
  ['deploiement', 'Déploiement', false],
  ['gouvernance', 'Gouvernance', false],
  ['finances', 'Finances', false],
];

// ---------------------------------------------------------------- helpers

function lastMonth() {
  const [y, m] = f.todayIso().split('-').map(Number);
  const year = m === 1 ? y - 1 : y;
  const month = m === 1 ? 12 : m - 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const mm = String(month).padStart(2, '0');
  return [`${year}-${mm}-01`, `${year}-${mm}-${String(last).padStart(2, '0')}`];
}

function defaultYear(ctx) {
  return Number((ctx.asOf ? ctx.asOf.date : f.todayIso()).slice(0, 4));
}

function yearArg(ctx, i, fallback) {
  const y = Number(ctx.parts[i]);
  return Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : fallback;
}

function isoArg(ctx, i) {
  const d = ctx.parts[i];
  return d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : null;
}

/** The sub-navigation of the section, for the roles that may read each page. */
function tabs(ctx, current) {
  return h('nav', { class: 'subnav no-print', 'aria-label': 'Pilotage', 'data-testid': 'pilotage-nav' },
    h('ul', null, PAGES.filter(([, , reserved]) => ctx.seesAll || !reserved).map(([key, label]) => h('li', null,
      h('a', { href: ctx.link('/pilotage/' + key), 'data-testid': 'pilotage-' + key, 'aria-current': key === current ? 'page' : null }, label)))));
}

/** A form of one or two fields that changes the route. */
function rangeForm(ctx, testid, fields, to) {
  const inputs = fields.map((x) => h('input', {
    type: x.type, id: testid + '-' + x.name, 'data-testid': testid + '-' + x.name, value: String(x.value),
    min: x.type === 'number' ? '2000' : null, max: x.type === 'number' ? '2100' : null, step: x.type === 'number' ? '1' : null,
  }));
  const form = h('form', { class: 'year-form no-print', 'data-testid': testid },
    fields.map((x, i) => [h('label', { for: testid + '-' + x.name }, x.label), inputs[i]]),
    h('button', { type: 'submit', class: 'btn' }, 'Afficher'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = inputs.map((i) => i.value);
    const problem = fields.map((x, i) => x.check(values[i])).find(Boolean);
    if (problem) { ctx.showError(problem); return; }
    location.hash = ctx.link(to(values));
  });
  return form;
}

const checkYear = (v) => (/^\d{4}$/.test(v) && Number(v) >= 2000 && Number(v) <= 2100 ? null : 'Saisissez une année sur quatre chiffres, par exemple 2026.');
const checkDate = (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? null : 'Choisissez une date complète (jour, mois, année).');

function yearForm(ctx, page, year) {
  return rangeForm(ctx, 'pilotage-year-form', [{ name: 'year', label: 'Exercice', type: 'number', value: year, check: checkYear }],
    ([y]) => '/pilotage/' + page + '/' + y);
}

/** The provenance of a document, on screen, in the print header and in downloads. */
function provenance(ctx, p, state) {
  const full = { ...p, programme: ctx.programme.name, state };
  setProvenance(full);
  return provenanceNode(full);
}

function stateWords(ctx) {
  return ctx.asOf ? (ctx.asOf.recorded ? 'tel qu’enregistré le ' : 'état au ') + f.date(ctx.asOf.date) : 'état actuel du registre';
}

function actionLink(ctx, a) {
  return h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id)) }, a.reference || a.id);
}

function entriesTable(ctx, entries, { caption, testid, csvName, empty }) {
  return dataTable({
    caption, testid, csvName, rows: entries, empty,
    columns: [
      { label: 'Date d’effet', cell: (e) => f.date(e.effectiveOn), csv: (e) => e.effectiveOn },
      { label: 'Enregistré le', cell: (e) => f.dateTime(e.recordedAt), csv: (e) => e.recordedAt },
      { label: 'Nature', cell: (e) => f.kindLabel(e.kind), csv: (e) => e.kind },
      { label: 'Ce qui s’est passé', cell: (e) => (e.actionId ? h('span', null, e.summary, ' ', h('a', { href: ctx.link('/action/' + encodeURIComponent(e.actionId)), class: 'no-print' }, '(fiche)')) : e.summary), csv: (e) => e.summary },
      { label: 'Montant', num: true, cell: (e) => (e.amount === null ? '' : f.money(e.amount)), csv: (e) => (e.amount === null ? '' : f.moneyCsv(e.amount)) },
      { label: 'Par', cell: (e) => e.actor },
    ],
  });
}

function deltaTable(rows, { caption, testid, csvName, empty }) {
  return dataTable({
    caption, testid, csvName, rows, empty,
    columns: [
      { label: 'Financeur', rowHeader: true, cell: (d) => d.funder.name },
      { label: 'Écart', num: true, cell: (d) => (d.delta > 0 ? '+' : '') + f.money(d.delta), csv: (d) => f.moneyCsv(d.delta) },
    ],
  });
}

function actionsTable(ctx, actions, { caption, testid, csvName, empty, reason }) {
  return dataTable({
    caption, testid, csvName, rows: actions, empty,
    columns: [
      { label: 'Référence', rowHeader: true, cell: (a) => actionLink(ctx, a), csv: (a) => a.reference },
      { label: 'Action', cell: (a) => a.title },
      { label: 'Porteur', cell: (a) => a.holder.name },
      { label: 'Statut', cell: (a) => f.fr('ActionStatus', a.status) },
      { label: 'Période', cell: (a) => f.date(a.periodStart) + ' – ' + f.date(a.periodEnd), csv: (a) => a.periodStart + ' – ' + a.periodEnd },
      reason ? { label: 'Motif', cell: (a) => a.lastReason || '—' } : null,
    ].filter(Boolean),
  });
}

// ---------------------------------------------------------------- the figures of a year

function beneficiariesBlock(ctx, b, suffix) {
  const hidden = b.cells.some((c) => c.hidden);
  const byAge = new Map(f.choices('AgeBand').map(([k]) => [k, 0]));
  for (const c of b.cells) if (!c.hidden) byAge.set(c.ageBand, byAge.get(c.ageBand) + c.count);
  const chart = bars({
    title: 'Bénéficiaires ' + b.year + ' par tranche d’âge' + (hidden ? ' (cellules de moins de 10 non comptées)' : ''),
    rows: f.choices('AgeBand').map(([k, label]) => ({ label, value: byAge.get(k), text: f.number(byAge.get(k)) })),
    testid: 'chart-beneficiaries',
  });
  return [
    h('p', { 'data-testid': 'beneficiaries-total' }, b.total === null
      ? 'Total non communiqué : au moins une cellule compte moins de 10 bénéficiaires.'
      : 'Total : ' + f.number(b.total) + ' bénéficiaires', ', d’après les bilans de ', String(b.actionsCounted),
      b.actionsCounted > 1 ? ' actions' : ' action',
      b.actionsWithInterimOnly ? ' (dont ' + b.actionsWithInterimOnly + ' sans bilan final : leur dernier bilan intermédiaire est compté)' : '', '.'),
    chart,
    dataTable({
      caption: 'Bénéficiaires ' + b.year + ' par axe, public, âge, sexe et résidence en QPV', testid: 'beneficiaries-cells',
      csvName: 'beneficiaires-' + b.year + suffix + '.csv', rows: b.cells, empty: 'Aucun bilan pour cet exercice.',
      columns: [
        { label: 'Axe', cell: (c) => (c.axis ? c.axis.code + ' — ' + c.axis.title : '') },
        { label: 'Objectif national', cell: (c) => f.fr('NationalObjective', c.objective) },
        { label: 'Public', cell: (c) => f.fr('PublicKind', c.public) },
        { label: 'Âge', cell: (c) => f.fr('AgeBand', c.ageBand) },
        { label: 'Sexe', cell: (c) => f.fr('Sex', c.sex) },
        { label: 'Résidence en QPV', cell: (c) => (c.qpvResident ? 'oui' : 'non') },
        { label: 'Effectif', num: true, cell: (c) => (c.hidden ? '< 10' : f.number(c.count)), csv: (c) => (c.hidden ? '< 10' : String(c.count)) },
      ],
    }),
  ];
}

function deploymentBlock(ctx, d, suffix) {
  const perAxis = new Map();
  for (const s of d.byStatus) {
    const key = s.axis ? s.axis.code + ' — ' + s.axis.title : '';
    perAxis.set(key, (perAxis.get(key) || 0) + s.count);
  }
  return [
    h('p', { 'data-testid': 'deployment-new' }, 'Actions retenues : ', String(d.newActions + d.renewedActions), ', dont ',
      String(d.newActions), d.newActions > 1 ? ' nouvelles' : ' nouvelle', ' et ', String(d.renewedActions),
      d.renewedActions > 1 ? ' reconduites.' : ' reconduite.'),
    bars({ title: 'Actions ' + d.year + ' par axe principal', testid: 'chart-axes',
      rows: [...perAxis].map(([label, n]) => ({ label, value: n, text: String(n) })) }),
    dataTable({
      caption: 'Actions ' + d.year + ' par statut et axe principal', testid: 'deployment-status',
      csvName: 'deploiement-' + d.year + suffix + '.csv', rows: d.byStatus, empty: 'Aucune action pour cet exercice.',
      columns: [
        { label: 'Statut', cell: (s) => f.fr('ActionStatus', s.status) },
        { label: 'Axe', cell: (s) => (s.axis ? s.axis.code + ' — ' + s.axis.title : '') },
        { label: 'Objectif national', cell: (s) => f.fr('NationalObjective', s.objective) },
        { label: 'Actions', num: true, cell: (s) => String(s.count) },
      ],
    }),
    dataTable({
      caption: 'Porteurs des actions retenues', testid: 'deployment-holders',
      csvName: 'porteurs-' + d.year + suffix + '.csv', rows: d.holders, empty: 'Aucune action retenue.',
      columns: [
        { label: 'Nature', cell: (x) => f.fr('PartnerKind', x.kind) },
        { label: 'Forme juridique', cell: (x) => f.fr('LegalForm', x.legalForm) },
        { label: 'Porteurs', num: true, cell: (x) => String(x.partners) },
        { label: 'Actions portées', num: true, cell: (x) => String(x.actions) },
      ],
    }),
    actionsTable(ctx, d.withdrawn, { caption: 'Actions retirées', testid: 'deployment-withdrawn', csvName: 'retraits-' + d.year + suffix + '.csv', empty: 'Aucune.', reason: true }),
    actionsTable(ctx, d.notRealised, { caption: 'Actions non réalisées', testid: 'deployment-not-realised', csvName: 'non-realisations-' + d.year + suffix + '.csv', empty: 'Aucune.', reason: true }),
    actionsTable(ctx, d.periodChanged, { caption: 'Actions dont la période a changé', testid: 'deployment-period', csvName: 'periodes-' + d.year + suffix + '.csv', empty: 'Aucune.' }),
  ];
}

function governanceBlock(ctx, g, suffix) {
  return [
    dataTable({
      caption: 'Séances ' + g.year + ' par instance', testid: 'governance-sessions', csvName: 'seances-' + g.year + suffix + '.csv', rows: g.sessions,
      columns: [
        { label: 'Instance', rowHeader: true, cell: (s) => f.fr('BodyKind', s.body) },
        { label: 'Programmées', num: true, cell: (s) => String(s.scheduled) },
        { label: 'Tenues', num: true, cell: (s) => String(s.held) },
        { label: 'Annulées', num: true, cell: (s) => String(s.cancelled) },
      ],
    }),
    dataTable({
      caption: 'Séances tenues et organisations présentes', testid: 'governance-held', csvName: 'presences-' + g.year + suffix + '.csv',
      rows: g.heldSessions, empty: 'Aucune séance tenue.',
      columns: [
        { label: 'Date', cell: (s) => f.date(s.date), csv: (s) => s.date },
        { label: 'Instance', cell: (s) => f.fr('BodyKind', s.body) },
        { label: 'Séance', cell: (s) => h('a', { href: ctx.link('/session/' + encodeURIComponent(s.id)) }, s.title), csv: (s) => s.title },
        { label: 'Présents', cell: (s) => s.present.join(', ') },
      ],
    }),
    entriesTable(ctx, g.membershipChanges, { caption: 'Changements de composition des instances', testid: 'governance-members', csvName: 'instances-' + g.year + suffix + '.csv', empty: 'Aucun changement.' }),
  ];
}

function days(n) {
  return n === null ? '—' : n + (n > 1 ? ' jours' : ' jour');
}

function financesBlock(ctx, fin, suffix) {
  const years = (list) => Object.fromEntries(list.map((y) => [y.year, y.permille]));
  const commune = years(fin.communeSharePermille);
  const state = years(fin.stateSharePermille);
  const cofi = years(fin.cofinancingPermille);
  const yearRows = fin.cofinancingPermille.map((y) => y.year);
  const name = fin.fromYear === fin.toYear ? String(fin.fromYear) : fin.fromYear + '-' + fin.toYear;
  const delayed = fin.funders.filter((l) => l.medianDaysToFirstPayment !== null);
  return [
    dataTable({
      caption: 'Part de la commune, de l’État et cofinancement, par exercice', testid: 'finances-shares', csvName: 'parts-' + name + suffix + '.csv', rows: yearRows,
      columns: [
        { label: 'Exercice', rowHeader: true, cell: (y) => String(y) },
        { label: 'Part commune et EPCI', num: true, cell: (y) => f.permille(commune[y]) || '—', csv: (y) => f.permilleCsv(commune[y]) },
        { label: 'Part de l’État', num: true, cell: (y) => f.permille(state[y]) || '—', csv: (y) => f.permilleCsv(state[y]) },
        { label: 'Taux de cofinancement', num: true, cell: (y) => f.permille(cofi[y]) || '—', csv: (y) => f.permilleCsv(cofi[y]) },
      ],
    }),
    delayed.length ? bars({
      title: 'Délai médian entre la signature et le premier versement', unit: 'jours', testid: 'chart-delays',
      rows: delayed.map((l) => ({ label: l.funder.name + ' ' + l.year, value: l.medianDaysToFirstPayment, text: days(l.medianDaysToFirstPayment), alert: l.medianDaysToFirstPayment > 60 })),
      reference: { value: 60, label: '60 jours' },
    }) : null,
    dataTable({
      caption: 'Financeurs par exercice : attributions, versements, délais de paiement et reversements', testid: 'finances-funders',
      csvName: 'financeurs-' + name + suffix + '.csv', rows: fin.funders, empty: 'Aucun financeur.',
      columns: [
        { label: 'Exercice', cell: (l) => String(l.year) },
        { label: 'Financeur', cell: (l) => l.funder.name },
        { label: 'Attribué', num: true, cell: (l) => f.money(l.granted), csv: (l) => f.moneyCsv(l.granted) },
        { label: 'Part', num: true, cell: (l) => f.permille(l.sharePermille), csv: (l) => f.permilleCsv(l.sharePermille) },
        { label: 'Versé', num: true, cell: (l) => f.money(l.paid), csv: (l) => f.moneyCsv(l.paid) },
        { label: 'Délai médian 1er versement', num: true, cell: (l) => days(l.medianDaysToFirstPayment), csv: (l) => (l.medianDaysToFirstPayment === null ? '' : String(l.medianDaysToFirstPayment)) },
        { label: 'Délai médian solde', num: true, cell: (l) => days(l.medianDaysToBalance), csv: (l) => (l.medianDaysToBalance === null ? '' : String(l.medianDaysToBalance)) },
        { label: '1er versement après 60 jours', num: true, cell: (l) => String(l.firstPaymentsOver60Days) + ' / ' + l.grants, csv: (l) => String(l.firstPaymentsOver60Days) },
        { label: 'À reverser', num: true, cell: (l) => f.money(l.toRepay), csv: (l) => f.moneyCsv(l.toRepay) },
        { label: 'Reversé', num: true, cell: (l) => f.money(l.repaid), csv: (l) => f.moneyCsv(l.repaid) },
      ],
    }),
    dataTable({
      caption: 'Taux de cofinancement des actions retenues (attribué sur coût total)', testid: 'finances-actions',
      csvName: 'cofinancement-' + name + suffix + '.csv', rows: fin.actions, empty: 'Aucune action retenue.',
      columns: [
        { label: 'Référence', rowHeader: true, cell: (a) => actionLink(ctx, a.action), csv: (a) => a.action.reference },
        { label: 'Action', cell: (a) => a.action.title },
        { label: 'Attribué', num: true, cell: (a) => f.money(a.granted), csv: (a) => f.moneyCsv(a.granted) },
        { label: 'Coût total', num: true, cell: (a) => f.money(a.totalCost), csv: (a) => f.moneyCsv(a.totalCost) },
        { label: 'Taux', num: true, cell: (a) => f.permille(a.permille) || '—', csv: (a) => f.permilleCsv(a.permille) },
      ],
    }),
  ];
}

async function yearPage(ctx, page, title, query, key, block) {
  const year = yearArg(ctx, 2, defaultYear(ctx));
  const data = (await gql(query, { p: ctx.programmeId, year, asOf: ctx.asOfVar }))[key];
  const suffix = ctx.asOf ? '-etat-' + ctx.asOf.date : '';
  return h('div', { class: 'view view-pilotage' },
    viewHeader(title + ' ' + year, 'Pilotage de la cité éducative : ' + stateWords(ctx) + '.'),
    tabs(ctx, page), yearForm(ctx, page, year),
    provenance(ctx, data.provenance, stateWords(ctx)),
    section(title + ' ' + year, block(ctx, data, suffix)));
}

// ---------------------------------------------------------------- the monthly report

async function monthly(ctx) {
  const [defFrom, defTo] = lastMonth();
  const from = isoArg(ctx, 2) || defFrom;
  const to = isoArg(ctx, 3) || defTo;
  const { monthlyReport: r } = await gql(MONTHLY, { p: ctx.programmeId, from, to });
  const period = 'du ' + f.date(r.from) + ' au ' + f.date(r.to);
  document.getElementById('print-asof').textContent = 'Rapport mensuel au COTECH ' + period;
  const name = r.from + '-' + r.to;
  const lines = r.budgetAtTo.lines.map((l) => [r.budgetAtFrom.lines.find((x) => x.funder && l.funder && x.funder.id === l.funder.id), l]);
  const c = r.changes;
  return h('div', { class: 'view view-pilotage view-monthly' },
    viewHeader('Rapport mensuel au COTECH', 'Période ' + period + '.'),
    tabs(ctx, 'mensuel'),
    rangeForm(ctx, 'monthly-form', [
      { name: 'from', label: 'Du', type: 'date', value: r.from, check: checkDate },
      { name: 'to', label: 'au', type: 'date', value: r.to, check: checkDate },
    ], ([a, b]) => '/pilotage/mensuel/' + a + '/' + b),
    provenance(ctx, r.provenance, 'période ' + period),
    section('Ce qui a changé', h('p', { 'data-testid': 'monthly-summary' },
      String(c.entries.length), c.entries.length > 1 ? ' faits' : ' fait', ' datés de la période, ',
      String(c.actionsAdded.length), c.actionsAdded.length > 1 ? ' actions nouvelles, ' : ' action nouvelle, ',
      String(c.statusChanges.length), c.statusChanges.length > 1 ? ' changements de statut.' : ' changement de statut.'),
    entriesTable(ctx, c.entries, { caption: 'Faits datés de la période (proposé, décidé, attribué, versé, rendu, évalué, retiré…)', testid: 'monthly-entries', csvName: 'rapport-mensuel-' + name + '.csv', empty: 'Rien de daté de cette période.' }),
    dataTable({
      caption: 'Changements de statut', testid: 'monthly-status', csvName: 'statuts-' + name + '.csv', rows: c.statusChanges, empty: 'Aucun.',
      columns: [
        { label: 'Action', rowHeader: true, cell: (s) => h('a', { href: ctx.link('/action/' + encodeURIComponent(s.actionId)) }, s.actionId), csv: (s) => s.actionId },
        { label: 'Avant', cell: (s) => (s.from ? f.fr('ActionStatus', s.from) : 'nouvelle') },
        { label: 'Après', cell: (s) => f.fr('ActionStatus', s.to) },
      ],
    }),
    deltaTable(c.grantedDelta, { caption: 'Montants attribués pendant la période, par financeur', testid: 'monthly-granted', csvName: 'attributions-' + name + '.csv', empty: 'Aucune attribution.' })),
    section('Saisies tardives', h('p', { class: 'note' }, 'Enregistrées pendant la période, datées d’avant son début : le registre de la période précédente était incomplet.'),
      entriesTable(ctx, r.lateEntries, { caption: 'Saisies tardives', testid: 'monthly-late', csvName: 'saisies-tardives-' + name + '.csv', empty: 'Aucune saisie tardive.' })),
    section('Bilans attendus', dataTable({
      caption: 'Bilans finaux attendus dans les 30 jours ou en retard au ' + f.date(r.to), testid: 'monthly-reports-due', csvName: 'bilans-attendus-' + name + '.csv',
      rows: r.reportsDue, empty: 'Aucun bilan attendu.',
      columns: [
        { label: 'Référence', rowHeader: true, cell: (d) => actionLink(ctx, d.action), csv: (d) => d.action.reference },
        { label: 'Action', cell: (d) => d.action.title },
        { label: 'Porteur', cell: (d) => d.action.holder.name },
        { label: 'Échéance', cell: (d) => f.date(d.dueOn), csv: (d) => d.dueOn },
        { label: 'En retard', cell: (d) => (d.overdue ? 'oui' : 'non') },
      ],
    })),
    section('Actions échues non achevées', actionsTable(ctx, r.overdueCompletions, {
      caption: 'Actions dont la période est terminée au ' + f.date(r.to) + ' sans achèvement ni non-réalisation', testid: 'monthly-overdue', csvName: 'actions-echues-' + name + '.csv', empty: 'Aucune.',
    })),
    h('section', { class: 'block print-break' }, h('h2', null, 'Consommation des enveloppes ' + r.budgetAtTo.year),
      consumption(r.budgetAtTo.lines, 'Consommation des enveloppes au ' + f.date(r.to)),
      dataTable({
        caption: 'Enveloppes ' + r.budgetAtTo.year + ' au ' + f.date(lastDayBefore(r.from)) + ' et au ' + f.date(r.to), testid: 'monthly-envelopes',
        csvName: 'enveloppes-' + name + '.csv', rows: lines, empty: 'Aucun financeur.',
        columns: [
          { label: 'Financeur', rowHeader: true, cell: ([, l]) => (l.funder ? l.funder.name : '') },
          { label: 'Enveloppe', num: true, cell: ([, l]) => f.money(l.envelope), csv: ([, l]) => f.moneyCsv(l.envelope) },
          { label: 'Attribué avant', num: true, cell: ([a]) => f.money(a ? a.granted : 0), csv: ([a]) => f.moneyCsv(a ? a.granted : 0) },
          { label: 'Attribué à la fin', num: true, cell: ([, l]) => f.money(l.granted), csv: ([, l]) => f.moneyCsv(l.granted) },
          { label: 'Versé avant', num: true, cell: ([a]) => f.money(a ? a.paid : 0), csv: ([a]) => f.moneyCsv(a ? a.paid : 0) },
          { label: 'Versé à la fin', num: true, cell: ([, l]) => f.money(l.paid), csv: ([, l]) => f.moneyCsv(l.paid) },
          { label: 'Consommation avant', num: true, cell: ([a]) => f.permille(a ? a.consumptionPermille : null) || '—', csv: ([a]) => f.permilleCsv(a ? a.consumptionPermille : null) },
          { label: 'Consommation à la fin', num: true, cell: ([, l]) => f.permille(l.consumptionPermille) || '—', csv: ([, l]) => f.permilleCsv(l.consumptionPermille) },
        ],
      })));
}

function lastDayBefore(iso) {
  const d = new Date(iso + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- the revue de projet

const HEADINGS = [
  ['Gouvernance', ['GOVERNANCE']],
  ['Déploiement opérationnel', ['DEPLOYMENT']],
  ['Relations entre cités et communication', ['COMMUNICATION', 'NETWORK']],
  ['Gestion financière', ['FINANCE']],
  ['Évaluation', ['EVALUATION']],
  ['Difficultés et perspectives', ['DIFFICULTIES', 'OUTLOOK']],
];

/** The figures a troïka declares, today and as validated: one row each. */
function keyFigures(r) {
  const granted = r.budget.total.granted;
  const copil = r.governance.sessions.find((s) => s.body === 'COPIL');
  return [
    ['Actions retenues', String(r.deployment.newActions + r.deployment.renewedActions)],
    ['dont reconduites', String(r.deployment.renewedActions)],
    ['Bénéficiaires', r.beneficiaries.total === null ? 'non communiqué (< 10)' : f.number(r.beneficiaries.total)],
    ['COPIL tenus', String(copil ? copil.held : 0)],
    ['Montant attribué', f.money(granted)],
    ['Montant versé', f.money(r.budget.total.paid)],
    ['Part de l’État', f.permille(r.finances.stateSharePermille[0]?.permille) || '—'],
    ['Part commune et EPCI', f.permille(r.finances.communeSharePermille[0]?.permille) || '—'],
    ['Taux de cofinancement', f.permille(r.finances.cofinancingPermille[0]?.permille) || '—'],
    ['Actions évaluées', String(r.evaluations.length)],
  ];
}

async function review(ctx) {
  const year = yearArg(ctx, 2, defaultYear(ctx) - 1);
  const data = await gql(REVIEW, { p: ctx.programmeId, year });
  const r = data.annualReview;
  const declared = r.declared;
  const texts = Object.fromEntries(r.sections.map((t) => [t.section, t]));
  const declaredTexts = declared ? Object.fromEntries(declared.sections.map((t) => [t.section, t])) : {};
  const c = { ...ctx, programme: { ...ctx.programme, ...data.programme }, sessions: data.sessions };
  // The forms of the revue, for this year.
  const forYear = (def) => ({ ...def, fields: def.fields.map((x) => (x.name === 'year' ? { ...x, default: () => String(year) } : x)) });
  const defs = PROGRAMME_FORMS.filter((d) => ['writeReviewSection', 'validateAnnualReview'].includes(d.name)).map(forYear);
  const saisie = commandBar({
    title: 'Rédiger et valider la revue ' + year, defs, available: data.programme.availableCommands, c, testid: 'review-commands',
    target: 'review:' + ctx.programmeId + ':' + year, version: data.programme.version, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
  });
  const status = r.validatedAt
    ? h('p', { class: 'validated', 'data-testid': 'review-validated' }, 'Validée par la troïka au ', r.validatedAt.title, ' du ', f.date(r.validatedAt.date),
      ' : les chiffres déclarés sont ceux du registre à la position ', String(declared.provenance.position), '.')
    : h('p', { class: 'note', 'data-testid': 'review-validated' }, 'Pas encore validée : elle le sera en COPIL, par la troïka, au cours de l’année ' + (year + 1) + '.');
  const today = keyFigures(r);
  const before = declared ? keyFigures(declared) : null;
  const figures = dataTable({
    caption: declared ? 'Chiffres clés ' + year + ' : déclarés à la validation et aujourd’hui' : 'Chiffres clés ' + year,
    testid: 'review-figures', csvName: 'revue-' + year + '-chiffres.csv', rows: today.map((row, i) => [row, before ? before[i] : null]),
    rowAttrs: ([row, old]) => (old && old[1] !== row[1] ? { class: 'is-changed', 'data-changed': 'true' } : null),
    columns: [
      { label: 'Indicateur', rowHeader: true, cell: ([row]) => row[0] },
      declared ? { label: 'Déclaré', num: true, cell: ([, old]) => old[1] } : null,
      { label: 'Aujourd’hui', num: true, cell: ([row, old]) => (old && old[1] !== row[1] ? h('span', null, row[1], ' ', h('em', null, '(modifié depuis la validation)')) : row[1]), csv: ([row]) => row[1] },
    ].filter(Boolean),
  });
  const textBlock = (key) => {
    const t = texts[key];
    const old = declaredTexts[key];
    return h('div', { class: 'review-text', 'data-testid': 'review-text-' + key },
      h('h3', null, f.fr('ReviewSection', key).replace(/^./, (x) => x.toUpperCase())),
      t ? h('p', { class: 'prose' }, t.text) : h('p', { class: 'muted' }, 'Pas encore rédigé.'),
      t ? h('p', { class: 'meta' }, 'Rédigé le ', f.dateTime(t.writtenAt)) : null,
      old && (!t || old.text !== t.text) ? h('div', { class: 'declared-text', 'data-testid': 'review-declared-' + key },
        h('p', { class: 'meta' }, 'Texte déclaré à la validation :'), h('p', { class: 'prose' }, old.text)) : null);
  };
  const blocks = {
    GOVERNANCE: () => governanceBlock(ctx, r.governance, ''),
    DEPLOYMENT: () => deploymentBlock(ctx, r.deployment, ''),
    FINANCE: () => [consumption(r.budget.lines, 'Consommation des enveloppes ' + year), financesBlock(ctx, r.finances, '')],
    EVALUATION: () => [beneficiariesBlock(ctx, r.beneficiaries, ''),
      dataTable({ caption: 'Actions évaluées', testid: 'review-evaluations', csvName: 'evaluations-' + year + '.csv', rows: r.evaluations, empty: 'Aucune action évaluée.',
        columns: [
          { label: 'Référence', rowHeader: true, cell: (a) => actionLink(ctx, a), csv: (a) => a.reference },
          { label: 'Action', cell: (a) => a.title },
          { label: 'Appréciation', cell: (a) => f.fr('Rating', a.evaluation.rating) },
          { label: 'Recommandation', cell: (a) => f.fr('Recommendation', a.evaluation.recommendation) },
        ] })],
  };
  document.getElementById('print-asof').textContent = 'Revue de projet ' + year + (r.validatedAt ? ', validée le ' + f.date(r.validatedAt.date) : ', non validée');
  return h('div', { class: 'view view-pilotage view-review' },
    viewHeader('Revue de projet ' + year, 'Le questionnaire annuel de l’ANCT, prérempli à partir du registre.'),
    tabs(ctx, 'revue'), yearForm(ctx, 'revue', year),
    provenance(ctx, r.provenance, 'état actuel du registre'),
    status, saisie,
    section('Chiffres clés', figures),
    HEADINGS.map(([title, keys], i) => h('section', { class: 'block' + (i > 0 ? ' print-break' : '') }, h('h2', null, title),
      keys.map(textBlock), keys.map((k) => (blocks[k] ? blocks[k]() : null)))));
}

// ---------------------------------------------------------------- what the COPIL knew

async function hindsight(ctx) {
  const { copilHindsight: x } = await gql(HINDSIGHT, { p: ctx.programmeId, s: ctx.parts[2] });
  const title = 'Ce que le COPIL savait le ' + f.date(x.session.date);
  document.getElementById('print-asof').textContent = title;
  return h('div', { class: 'view view-pilotage' },
    viewHeader(title, x.session.title + ' : les faits antérieurs à la séance, saisis après la fin de sa journée.'),
    tabs(ctx, null),
    provenance(ctx, x.provenance, 'état actuel du registre'),
    section('Saisies postérieures à la séance', entriesTable(ctx, x.lateEntries, { caption: 'Faits datés au plus tard du jour de la séance, saisis après', testid: 'hindsight-late', csvName: 'copil-' + x.session.date + '-saisies-tardives.csv', empty: 'Aucune : le registre était à jour.' })),
    section('Montants ignorés du COPIL',
      deltaTable(x.grantedUnknown, { caption: 'Attribué mais pas encore saisi', testid: 'hindsight-granted', csvName: 'copil-' + x.session.date + '-attributions.csv', empty: 'Aucun.' }),
      deltaTable(x.paidUnknown, { caption: 'Versé mais pas encore saisi', testid: 'hindsight-paid', csvName: 'copil-' + x.session.date + '-versements.csv', empty: 'Aucun.' })));
}

// ---------------------------------------------------------------- routing

export async function render(ctx) {
  const page = ctx.parts[1] || (ctx.seesAll ? 'mensuel' : 'beneficiaires');
  switch (page) {
    case 'mensuel': return monthly(ctx);
    case 'revue': return review(ctx);
    case 'copil': return hindsight(ctx);
    case 'deploiement': return yearPage(ctx, page, 'Déploiement', DEPLOYMENT, 'deployment', deploymentBlock);
    case 'gouvernance': return yearPage(ctx, page, 'Gouvernance', GOVERNANCE, 'governance', governanceBlock);
    case 'finances': {
      const to = yearArg(ctx, 3, defaultYear(ctx));
      const from = yearArg(ctx, 2, to - 2);
      const data = (await gql(FINANCES, { p: ctx.programmeId, from, to, asOf: ctx.asOfVar })).finances;
      const suffix = ctx.asOf ? '-etat-' + ctx.asOf.date : '';
      return h('div', { class: 'view view-pilotage' },
        viewHeader('Finances ' + from + '–' + to, 'Les exercices côte à côte : ' + stateWords(ctx) + '.'),
        tabs(ctx, 'finances'),
        rangeForm(ctx, 'finances-form', [
          { name: 'from', label: 'De', type: 'number', value: from, check: checkYear },
          { name: 'to', label: 'à', type: 'number', value: to, check: checkYear },
        ], ([a, b]) => '/pilotage/finances/' + a + '/' + b),
        provenance(ctx, data.provenance, stateWords(ctx)),
        section('Gestion financière', financesBlock(ctx, data, suffix)));
    }
    default: return yearPage(ctx, 'beneficiaires', 'Bénéficiaires', BENEFICIARIES, 'beneficiaries', beneficiariesBlock);
  }
}
