// The forms of the page, one per mutation a person gives in the course of a year (DOMAIN.md).
// Each says its mutation (`name`), where it is given (`on`: programme, action, session), its
// arguments beyond the target's ids, its fields and how their values become the variables.
// Which of them a person sees is never decided here: the API's `availableCommands` says it.
//
// Field types: text, textarea, money (cents), date (ISO; `names: true` when it is the date the
// command names, so that no « date d'effet » is asked), int, number, enum, select, checks
// (several enum values), list (one per line), lines (an amount per funder), beneficiaries,
// bool. `rules`: the rule codes whose refusal is shown next to the field.
import * as f from './format.js';

const today = () => f.todayIso();
const active = (list) => list.filter((x) => !x.retired);

// ---------------------------------------------------------------- choices from the data shown

const funders = (c) => c.programme.funders.map((x) => [x.id, x.name]);
const actionFunders = (c) => c.action.money.map((l) => [l.funder.id, l.funder.name]);
const retainedFunders = (c) => c.action.money.filter((l) => l.retained > 0 && !l.refused && !c.action.grants.some((g) => g.funder.id === l.funder.id)).map((l) => [l.funder.id, l.funder.name]);
const grantedFunders = (c) => c.action.money.filter((l) => l.granted > 0).map((l) => [l.funder.id, l.funder.name]);
const paidFunders = (c) => c.action.money.filter((l) => l.paid > 0).map((l) => [l.funder.id, l.funder.name]);
const owingFunders = (c) => c.action.money.filter((l) => l.repaymentRequested > l.repaid).map((l) => [l.funder.id, l.funder.name]);
const axes = (c) => active(c.programme.axes).map((a) => [a.code, a.code + ' — ' + a.title]);
const partners = (c) => (c.partners || []).filter((p) => p.active).map((p) => [p.id, p.name]);
const sessionLabel = (s) => f.fr('BodyKind', s.body) + ' du ' + f.date(s.date) + ' — ' + s.title;
const opinionSessions = (c) => c.sessions.filter((s) => s.body !== 'COPIL' && !s.cancelled).map((s) => [s.id, sessionLabel(s)]);
const heldCopils = (c) => c.sessions.filter((s) => s.body === 'COPIL' && s.held && !s.cancelled).map((s) => [s.id, sessionLabel(s)]);
const byFunder = (list) => Object.fromEntries(list.filter((l) => l.amount > 0).map((l) => [l.funder.id, l.amount]));
const linesFrom = (money, key) => Object.fromEntries(money.filter((l) => l[key] > 0).map((l) => [l.funder.id, (l[key] / 100).toFixed(2).replace('.', ',')]));
const years = (c) => {
  const y = Number(today().slice(0, 4));
  return [y - 1, y, y + 1].map((x) => [String(x), String(x)]);
};
const rows = (c) => c.action.reports.length ? c.action.reports[c.action.reports.length - 1].beneficiaries : [];

// ---------------------------------------------------------------- programme (« Paramètres »)
// The forms on the programme's own stream send its version; those that write another stream
// (a partner's, a new séance's, a new action's) are `versioned: false`.

export const PROGRAMME_FORMS = [
  { name: 'defineAxis', on: 'programme', label: 'Définir un axe', args: 'input: DefineAxisInput!',
    fields: [
      { name: 'code', label: 'Code de l’axe', type: 'text', hint: 'Court, sans espace : A1, A2…', rules: ['axis_already_defined', 'invalid_value'] },
      { name: 'title', label: 'Intitulé', type: 'text' },
      { name: 'objective', label: 'Objectif national', type: 'enum', enum: 'NationalObjective' },
    ],
    vars: (v) => ({ input: { code: v.code, title: v.title, objective: v.objective } }) },
  { name: 'retireAxis', on: 'programme', label: 'Retirer un axe', args: 'code: ID!',
    fields: [{ name: 'code', label: 'Axe', type: 'select', options: axes, rules: ['axis_retired'] }] },
  { name: 'registerFunder', on: 'programme', label: 'Enregistrer un financeur', args: 'input: RegisterFunderInput!',
    fields: [
      { name: 'id', label: 'Identifiant', type: 'text', hint: 'Court, sans espace : etat, ville, caf…', rules: ['duplicate_funder', 'invalid_value'] },
      { name: 'name', label: 'Nom', type: 'text' },
      { name: 'kind', label: 'Nature', type: 'enum', enum: 'FunderKind' },
      { name: 'payer', label: 'Payeur final', type: 'enum', enum: 'Payer', optional: true, hint: 'La collectivité qui paie finalement ; déduit de la nature si vide.' },
    ],
    vars: (v) => ({ input: { id: v.id, name: v.name, kind: v.kind, payer: v.payer ?? undefined } }) },
  { name: 'notifyEnvelope', on: 'programme', label: 'Notifier une enveloppe', args: 'input: NotifyEnvelopeInput!',
    fields: [
      { name: 'funderId', label: 'Financeur', type: 'select', options: funders },
      { name: 'year', label: 'Exercice', type: 'select', options: years, default: () => today().slice(0, 4) },
      { name: 'amount', label: 'Montant', type: 'money', rules: ['zero_amount', 'envelope_already_notified'] },
      { name: 'reference', label: 'Référence de la notification', type: 'text', optional: true },
    ],
    vars: (v) => ({ input: { funderId: v.funderId, year: Number(v.year), amount: v.amount, reference: v.reference ?? undefined } }) },
  { name: 'reviseEnvelope', on: 'programme', label: 'Réviser une enveloppe', args: 'funderId: ID!, year: Int!, amount: Cents!, reason: String!',
    fields: [
      { name: 'funderId', label: 'Financeur', type: 'select', options: funders },
      { name: 'year', label: 'Exercice', type: 'select', options: years, default: () => today().slice(0, 4) },
      { name: 'amount', label: 'Nouveau montant', type: 'money', rules: ['zero_amount'] },
      { name: 'reason', label: 'Motif', type: 'text' },
    ],
    vars: (v) => ({ ...v, year: Number(v.year) }) },
  { name: 'changeBodyMembership', on: 'programme', label: 'Modifier la composition d’une instance', args: 'body: BodyKind!, organisations: [String!]!',
    fields: [
      { name: 'body', label: 'Instance', type: 'enum', enum: 'BodyKind' },
      { name: 'organisations', label: 'Organisations membres', type: 'list', optional: true },
    ] },
  { name: 'changeTerritory', on: 'programme', label: 'Modifier le territoire', args: 'communes: [String!]!, qpv: [String!]!, schools: [String!], reason: String!',
    fields: [
      { name: 'communes', label: 'Communes', type: 'list', default: (c) => c.programme.territory, rules: ['territory_invalid'] },
      { name: 'qpv', label: 'Codes QPV', type: 'list', optional: true, default: (c) => c.programme.qpv, hint: 'Un code par ligne, comme l’ANCT les publie (QN…).' },
      { name: 'schools', label: 'Écoles et établissements (UAI)', type: 'list', optional: true, default: (c) => c.programme.schools || [], hint: 'Un UAI par ligne : sept chiffres et une lettre.' },
      { name: 'reason', label: 'Motif', type: 'text' },
    ] },
  { name: 'registerPartner', on: 'programme', versioned: false, label: 'Enregistrer un partenaire', args: 'input: RegisterPartnerInput!',
    fields: [
      { name: 'id', label: 'Identifiant', type: 'text', hint: 'Court, sans espace : asso-lire, college-pasteur…', rules: ['invalid_value'] },
      { name: 'name', label: 'Nom', type: 'text' },
      { name: 'kind', label: 'Nature', type: 'enum', enum: 'PartnerKind' },
      { name: 'legalForm', label: 'Forme juridique', type: 'enum', enum: 'LegalForm', default: 'UNKNOWN' },
      { name: 'siret', label: 'SIRET', type: 'text', optional: true },
      { name: 'rna', label: 'Numéro RNA', type: 'text', optional: true, hint: 'W suivi de neuf chiffres.' },
    ],
    vars: (v) => ({ input: { id: v.id, name: v.name, kind: v.kind, legalForm: v.legalForm, siret: v.siret ?? undefined, rna: v.rna ?? undefined } }) },
  { name: 'setPartnerLegalForm', on: 'programme', versioned: false, label: 'Changer la forme juridique d’un partenaire', args: 'partnerId: ID!, legalForm: LegalForm!, reason: String!',
    fields: [
      { name: 'partnerId', label: 'Partenaire', type: 'select', options: partners },
      { name: 'legalForm', label: 'Forme juridique', type: 'enum', enum: 'LegalForm' },
      { name: 'reason', label: 'Motif', type: 'text' },
    ] },
  { name: 'partnerLeaves', on: 'programme', versioned: false, label: 'Sortie d’un partenaire de l’alliance', args: 'partnerId: ID!, reason: String!',
    fields: [
      { name: 'partnerId', label: 'Partenaire', type: 'select', options: partners },
      { name: 'reason', label: 'Motif', type: 'text' },
    ] },
  { name: 'scheduleSession', on: 'programme', versioned: false, label: 'Programmer une séance', args: 'input: ScheduleSessionInput!', dated: true,
    fields: [
      { name: 'body', label: 'Instance', type: 'enum', enum: 'BodyKind' },
      { name: 'date', label: 'Date de la séance', type: 'date', rules: ['dates_out_of_range'] },
      { name: 'title', label: 'Intitulé', type: 'text' },
    ],
    vars: (v, c, draft) => ({ input: { id: 's-' + draft.commandId.slice(0, 8), body: v.body, date: v.date, title: v.title } }) },
  { name: 'writeReviewSection', on: 'programme', label: 'Rédiger une partie de la revue de projet', args: 'year: Int!, section: ReviewSection!, text: String!',
    fields: [
      { name: 'year', label: 'Année', type: 'select', options: years, default: () => String(Number(today().slice(0, 4)) - 1), rules: ['review_invalid'] },
      { name: 'section', label: 'Partie', type: 'enum', enum: 'ReviewSection' },
      { name: 'text', label: 'Texte', type: 'textarea', rows: 8 },
    ],
    vars: (v) => ({ ...v, year: Number(v.year) }) },
  { name: 'validateAnnualReview', on: 'programme', label: 'Valider la revue de projet', args: 'year: Int!, sessionId: ID!', dated: true,
    help: 'La troïka valide la revue d’une année lors d’un COPIL tenu l’année suivante ; la date de la séance est celle de la validation.',
    fields: [
      { name: 'year', label: 'Année de la revue', type: 'select', options: years, default: () => String(Number(today().slice(0, 4)) - 1), rules: ['review_invalid'] },
      { name: 'sessionId', label: 'COPIL de validation', type: 'select', options: heldCopils, rules: ['session_invalid'] },
    ],
    vars: (v) => ({ ...v, year: Number(v.year) }) },
];

// ---------------------------------------------------------------- « Proposer une action »

export const PROPOSE = {
  name: 'proposeAction', on: 'programme', versioned: false, label: 'Proposer une action', args: 'input: ProposeActionInput!', select: 'position warnings warningMessages action { id reference }',
  fields: [
    { name: 'title', label: 'Titre', type: 'text' },
    { name: 'summary', label: 'Résumé', type: 'textarea', hint: 'Ce que fait l’action, pour qui ; sans nom d’enfant ni donnée personnelle.' },
    { name: 'holderId', label: 'Porteur', type: 'select', options: (c) => (c.me.role === 'PORTEUR' ? partners(c).filter(([id]) => id === c.me.partnerId) : partners(c)),
      default: (c) => c.me.partnerId, rules: ['partner_inactive', 'forbidden_partner'] },
    { name: 'axis', label: 'Axe principal', type: 'select', options: axes, rules: ['axis_retired', 'duplicate_axis'] },
    { name: 'secondaryAxes', label: 'Axes secondaires', type: 'checks', options: axes, optional: true },
    { name: 'publics', label: 'Publics', type: 'checks', enum: 'PublicKind' },
    { name: 'year', label: 'Exercice', type: 'select', options: years, default: () => today().slice(0, 4), rules: ['dates_out_of_range'] },
    { name: 'periodStart', label: 'Début de l’action', type: 'date', rules: ['dates_out_of_range'] },
    { name: 'periodEnd', label: 'Fin de l’action', type: 'date', rules: ['period_invalid'] },
    { name: 'totalCost', label: 'Coût total', type: 'money', rules: ['requested_exceeds_cost', 'zero_amount'] },
    { name: 'requested', label: 'Montants demandés', type: 'lines', options: funders, rules: ['duplicate_funder', 'requested_exceeds_cost', 'money_invalid'] },
    { name: 'renews', label: 'Reconduit l’action', type: 'select', optional: true, rules: ['renewal_invalid'],
      options: (c) => (c.actions || []).map((a) => [a.id, a.reference + ' — ' + a.title + ' (' + a.year + ')']),
      hint: 'Une action d’un exercice antérieur que celle-ci prolonge.' },
    { name: 'reference', label: 'Référence', type: 'text', optional: true, hint: 'Laissez vide : Chronique donne la suivante de l’exercice (2026-004…).', rules: ['reference_already_used'] },
  ],
  vars: (v, c, draft) => ({ input: {
    id: 'a-' + draft.commandId.slice(0, 8), title: v.title, summary: v.summary, holderId: v.holderId, axis: v.axis,
    publics: v.publics, year: Number(v.year), periodStart: v.periodStart, periodEnd: v.periodEnd, totalCost: v.totalCost,
    requested: v.requested, reference: v.reference ?? undefined, secondaryAxes: v.secondaryAxes, renews: v.renews ?? undefined,
  } }),
};

// ---------------------------------------------------------------- an action's fiche

const reason = { name: 'reason', label: 'Motif', type: 'text' };

export const ACTION_FORMS = [
  { name: 'requestComplements', on: 'action', label: 'Demander des compléments', args: 'items: [String!]!',
    fields: [{ name: 'items', label: 'Compléments demandés', type: 'list', rules: ['empty_list', 'too_many_items'] }] },
  { name: 'provideComplements', on: 'action', label: 'Fournir les compléments', args: 'note: String!',
    fields: [{ name: 'note', label: 'Compléments apportés', type: 'textarea' }] },
  { name: 'amendAction', on: 'action', label: 'Modifier la proposition', args: 'input: AmendActionInput!',
    fields: [
      { name: 'title', label: 'Titre', type: 'text', default: (c) => c.action.title },
      { name: 'summary', label: 'Résumé', type: 'textarea', default: (c) => c.action.summary },
      { name: 'periodStart', label: 'Début de l’action', type: 'date', default: (c) => c.action.periodStart },
      { name: 'periodEnd', label: 'Fin de l’action', type: 'date', default: (c) => c.action.periodEnd, rules: ['period_invalid'] },
      { name: 'totalCost', label: 'Coût total', type: 'money', default: (c) => c.action.totalCost, rules: ['requested_exceeds_cost'] },
      { name: 'requested', label: 'Montants demandés', type: 'lines', options: funders, default: (c) => linesFrom(c.action.money, 'requested'), rules: ['requested_exceeds_cost'] },
    ],
    vars: (v) => ({ input: v }) },
  { name: 'giveOpinion', on: 'action', label: 'Rendre un avis', args: 'sessionId: ID!, opinion: Opinion!, proposed: [MoneyLineInput!], comment: String', dated: true,
    fields: [
      { name: 'sessionId', label: 'Séance', type: 'select', options: opinionSessions, rules: ['session_invalid', 'opinion_already_given'] },
      { name: 'opinion', label: 'Avis', type: 'enum', enum: 'Opinion' },
      { name: 'proposed', label: 'Montants proposés', type: 'lines', options: actionFunders, optional: true, default: (c) => linesFrom(c.action.money, 'requested'), rules: ['proposed_exceeds_requested'] },
      { name: 'comment', label: 'Commentaire', type: 'textarea', optional: true },
    ] },
  { name: 'reviseDecision', on: 'action', label: 'Réviser la décision du COPIL', args: 'sessionId: ID!, outcome: DecisionOutcome!, retained: [MoneyLineInput!], reason: String!', dated: true,
    fields: [
      { name: 'sessionId', label: 'COPIL qui révise', type: 'select', options: heldCopils, rules: ['session_invalid', 'decision_revision_invalid'] },
      { name: 'outcome', label: 'Nouvelle décision', type: 'enum', enum: 'DecisionOutcome' },
      { name: 'retained', label: 'Montants retenus', type: 'lines', options: actionFunders, optional: true, default: (c) => linesFrom(c.action.money, 'retained'), rules: ['retained_exceeds_requested', 'amounts_without_retention'] },
      reason,
    ] },
  { name: 'awardGrant', on: 'action', label: 'Attribuer une subvention', args: 'funderId: ID!, year: Int!, amount: Cents!, act: ActInput!',
    when: (c) => retainedFunders(c).length > 0,
    fields: [
      { name: 'funderId', label: 'Financeur', type: 'select', options: retainedFunders, rules: ['grant_already_awarded'] },
      { name: 'year', label: 'Exercice', type: 'select', options: years, default: (c) => String(c.action.year) },
      { name: 'amount', label: 'Montant attribué', type: 'money', default: (c) => { const l = c.action.money.find((x) => x.retained > 0 && !x.granted); return l ? l.retained : null; },
        rules: ['grant_exceeds_retained', 'grant_exceeds_envelope', 'zero_amount'] },
      { name: 'actKind', label: 'Acte', type: 'enum', enum: 'ActKind', rules: ['convention_required'] },
      { name: 'actReference', label: 'Référence de l’acte', type: 'text' },
      { name: 'signedOn', label: 'Signé le', type: 'date', names: true },
    ],
    vars: (v) => ({ funderId: v.funderId, year: Number(v.year), amount: v.amount, act: { kind: v.actKind, reference: v.actReference, signedOn: v.signedOn } }) },
  { name: 'refuseGrant', on: 'action', label: 'Refuser un financement', args: 'funderId: ID!, reason: String!',
    when: (c) => retainedFunders(c).length > 0,
    fields: [{ name: 'funderId', label: 'Financeur', type: 'select', options: retainedFunders }, reason] },
  { name: 'amendGrant', on: 'action', label: 'Avenant à une attribution', args: 'grantId: ID!, amount: Cents!, reference: String!, reason: String!',
    when: (c) => c.action.grants.length > 0,
    fields: [
      { name: 'grantId', label: 'Attribution', type: 'select', options: (c) => c.action.grants.map((g) => [g.id, g.funder.name + ' — ' + g.reference + ' (' + f.money(g.amount) + ')']) },
      { name: 'amount', label: 'Nouveau montant', type: 'money', rules: ['grant_exceeds_retained', 'grant_exceeds_envelope', 'grant_below_paid', 'convention_required', 'zero_amount'] },
      { name: 'reference', label: 'Référence de l’avenant', type: 'text' },
      reason,
    ] },
  { name: 'recordPayment', on: 'action', label: 'Enregistrer un versement', args: 'funderId: ID!, amount: Cents!, kind: PaymentKind!, paidOn: Date!',
    when: (c) => grantedFunders(c).length > 0,
    fields: [
      { name: 'funderId', label: 'Financeur', type: 'select', options: grantedFunders, rules: ['payment_before_grant'] },
      { name: 'amount', label: 'Montant versé', type: 'money', rules: ['payment_exceeds_granted', 'zero_amount'] },
      { name: 'kind', label: 'Nature', type: 'enum', enum: 'PaymentKind' },
      { name: 'paidOn', label: 'Versé le', type: 'date', names: true, default: today },
    ] },
  { name: 'cancelPayment', on: 'action', label: 'Annuler un versement', args: 'paymentId: ID!, reason: String!',
    when: (c) => c.action.payments.some((p) => !p.cancelled),
    fields: [{ name: 'paymentId', label: 'Versement', type: 'select', options: (c) => c.action.payments.filter((p) => !p.cancelled).map((p) => [p.id, f.date(p.paidOn) + ' — ' + p.funder.name + ' — ' + f.money(p.amount)]) }, reason] },
  { name: 'startAction', on: 'action', label: 'Démarrer l’action', args: 'startedOn: Date!',
    fields: [{ name: 'startedOn', label: 'Démarrée le', type: 'date', names: true, default: today }] },
  { name: 'changePeriod', on: 'action', label: 'Changer la période', args: 'periodStart: Date!, periodEnd: Date!, reason: String!',
    fields: [
      { name: 'periodStart', label: 'Début', type: 'date', default: (c) => c.action.periodStart },
      { name: 'periodEnd', label: 'Fin', type: 'date', default: (c) => c.action.periodEnd, rules: ['period_invalid'] },
      reason,
    ] },
  { name: 'completeAction', on: 'action', label: 'Déclarer l’action achevée', args: 'completedOn: Date!',
    fields: [{ name: 'completedOn', label: 'Achevée le', type: 'date', names: true, default: today, rules: ['completed_before_start'] }] },
  { name: 'attestNonRealisation', on: 'action', label: 'Attester la non-réalisation', args: 'reason: String!', fields: [reason] },
  { name: 'submitReport', on: 'action', label: 'Déposer un bilan', args: 'kind: ReportKind!, spent: Cents!, summary: String!, beneficiaries: [BeneficiaryInput!]!',
    fields: [
      { name: 'kind', label: 'Bilan', type: 'select', options: (c) => (c.action.availableReportKinds || []).map((k) => [k, f.fr('ReportKind', k)]), rules: ['report_needs_completion'] },
      { name: 'spent', label: 'Dépenses réalisées', type: 'money' },
      { name: 'summary', label: 'Synthèse', type: 'textarea', hint: 'Sans nom d’enfant ni donnée personnelle.' },
      { name: 'beneficiaries', label: 'Bénéficiaires', type: 'beneficiaries', optional: true, rules: ['beneficiaries_invalid'] },
    ] },
  { name: 'correctReport', on: 'action', label: 'Corriger un bilan', args: 'reportIndex: Int!, spent: Cents!, summary: String!, beneficiaries: [BeneficiaryInput!]!, reason: String!',
    when: (c) => c.action.reports.length > 0,
    fields: [
      { name: 'reportIndex', label: 'Bilan corrigé', type: 'select', options: (c) => c.action.reports.map((r, i) => [String(i), f.fr('ReportKind', r.kind) + ' du ' + f.date(r.submittedOn)]), default: (c) => String(c.action.reports.length - 1) },
      { name: 'spent', label: 'Dépenses réalisées', type: 'money', default: (c) => c.action.reports[c.action.reports.length - 1].spent },
      { name: 'summary', label: 'Synthèse', type: 'textarea', default: (c) => c.action.reports[c.action.reports.length - 1].summary },
      { name: 'beneficiaries', label: 'Bénéficiaires', type: 'beneficiaries', optional: true, default: rows, rules: ['beneficiaries_invalid'] },
      reason,
    ],
    vars: (v) => ({ ...v, reportIndex: Number(v.reportIndex) }) },
  { name: 'extendReportDeadline', on: 'action', label: 'Reporter l’échéance du bilan', args: 'dueOn: Date!, reason: String!',
    fields: [{ name: 'dueOn', label: 'Nouvelle échéance', type: 'date', rules: ['deadline_invalid'] }, reason] },
  { name: 'reviewFinalReport', on: 'action', label: 'Examiner le bilan final', args: 'verdict: ReportVerdict!, comment: String',
    fields: [{ name: 'verdict', label: 'Examen', type: 'enum', enum: 'ReportVerdict' }, { name: 'comment', label: 'Commentaire', type: 'textarea', optional: true }] },
  { name: 'measureIndicator', on: 'action', label: 'Mesurer un indicateur', args: 'code: String!, value: Float!, measuredOn: Date!',
    when: (c) => c.action.indicators.length > 0,
    fields: [
      { name: 'code', label: 'Indicateur', type: 'select', options: (c) => c.action.indicators.map((i) => [i.code, i.label]) },
      { name: 'value', label: 'Valeur', type: 'number', rules: ['measure_not_finite'] },
      { name: 'measuredOn', label: 'Mesuré le', type: 'date', names: true, default: today },
    ] },
  { name: 'requestRepayment', on: 'action', label: 'Demander un reversement', args: 'funderId: ID!, amount: Cents!, reason: String!',
    when: (c) => paidFunders(c).length > 0,
    fields: [{ name: 'funderId', label: 'Financeur', type: 'select', options: paidFunders }, { name: 'amount', label: 'Montant à reverser', type: 'money', rules: ['repayment_exceeds_paid', 'zero_amount'] }, reason] },
  { name: 'recordRepayment', on: 'action', label: 'Enregistrer un reversement reçu', args: 'funderId: ID!, amount: Cents!, receivedOn: Date!',
    when: (c) => owingFunders(c).length > 0,
    fields: [
      { name: 'funderId', label: 'Financeur', type: 'select', options: owingFunders },
      { name: 'amount', label: 'Montant reçu', type: 'money', rules: ['repayment_exceeds_requested', 'zero_amount'] },
      { name: 'receivedOn', label: 'Reçu le', type: 'date', names: true, default: today },
    ] },
  { name: 'cancelRepaymentRequest', on: 'action', label: 'Annuler une demande de reversement', args: 'funderId: ID!, reason: String!',
    when: (c) => owingFunders(c).length > 0,
    fields: [{ name: 'funderId', label: 'Financeur', type: 'select', options: owingFunders }, reason] },
  { name: 'evaluateAction', on: 'action', label: 'Évaluer l’action', args: 'rating: Rating!, findings: String!, recommendation: Recommendation!',
    fields: [
      { name: 'rating', label: 'Appréciation', type: 'enum', enum: 'Rating' },
      { name: 'findings', label: 'Constats', type: 'textarea' },
      { name: 'recommendation', label: 'Recommandation', type: 'enum', enum: 'Recommendation' },
    ] },
  { name: 'withdrawAction', on: 'action', label: 'Retirer l’action', args: 'reason: String!', fields: [reason] },
  { name: 'closeAction', on: 'action', label: 'Clôturer l’action', fields: [], help: 'Une action se clôture une fois évaluée, non réalisée, ou son bilan final accepté, et chaque reversement demandé reçu.' },
];

// ---------------------------------------------------------------- a séance

export const SESSION_FORMS = [
  { name: 'recordSessionHeld', on: 'session', label: 'Enregistrer la tenue de la séance', args: 'present: [String!]!', dated: true,
    help: 'La séance est datée du jour prévu.',
    fields: [{ name: 'present', label: 'Organisations présentes', type: 'list', optional: true,
      default: (c) => (c.programme.bodies || []).find((b) => b.body === c.session.body)?.organisations || [] }] },
  { name: 'correctAttendance', on: 'session', label: 'Corriger la liste des présents', args: 'present: [String!]!, reason: String!',
    fields: [{ name: 'present', label: 'Organisations présentes', type: 'list', optional: true, default: (c) => c.session.present }, reason] },
  { name: 'cancelSession', on: 'session', label: 'Annuler la séance', args: 'reason: String!', fields: [reason] },
];

/** An opinion given from the séance page, on one of the actions awaiting it. */
export function opinionAt(session, action) {
  return {
    ...ACTION_FORMS.find((d) => d.name === 'giveOpinion'),
    label: 'Avis sur ' + action.reference,
    fields: ACTION_FORMS.find((d) => d.name === 'giveOpinion').fields.filter((x) => x.name !== 'sessionId'),
    fixed: () => ({ sessionId: session.id }),
  };
}

// ---------------------------------------------------------------- the instance (ADMIN)

/** A new cité: the first thing an ADMIN does on an empty server. */
export const ESTABLISH = {
  name: 'establishProgramme', on: 'none', label: 'Établir le programme de la cité', args: 'input: EstablishProgrammeInput!', select: 'position programme { id }',
  fields: [
    { name: 'id', label: 'Identifiant', type: 'text', hint: 'Court, sans espace : grigny, evry…', rules: ['invalid_value', 'lifecycle'] },
    { name: 'name', label: 'Nom', type: 'text', default: 'Cité éducative de ' },
    { name: 'territory', label: 'Communes', type: 'list' },
    { name: 'qpv', label: 'Codes QPV', type: 'list', optional: true },
    { name: 'labelledOn', label: 'Labellisée le', type: 'date', optional: true },
    { name: 'requestCapPermille', label: 'Part du coût total qu’une demande peut atteindre sans avertissement (pour mille)', type: 'int', default: 800, rules: ['request_cap_invalid'] },
  ],
  vars: (v) => ({ input: { id: v.id, name: v.name, territory: v.territory, qpv: v.qpv, labelledOn: v.labelledOn ?? undefined, requestCapPermille: v.requestCapPermille } }),
};

const ROLES = ['PILOT', 'COORDINATOR', 'PORTEUR', 'EVALUATOR', 'OBSERVER'];

/** Tokens live outside the log (api.graphql): no commandId, no date. */
export const TOKEN_FORMS = [
  { name: 'createToken', on: 'programme', command: 'createToken', options: false, targetArgs: ['programmeId: ID'], label: 'Créer un jeton d’accès',
    args: 'role: Role!, partnerId: ID, name: String!', select: 'secret token { id }',
    fields: [
      { name: 'role', label: 'Rôle', type: 'select', options: () => ROLES.map((r) => [r, f.fr('Role', r)]) },
      { name: 'partnerId', label: 'Partenaire', type: 'select', optional: true, options: partners, hint: 'Pour un porteur de projet seulement.' },
      { name: 'name', label: 'Personne ou service', type: 'text' },
    ],
    onResult: (result, flash) => { flash.secret = result.secret; } },
];

/** Revokes one token, after its own confirmation. */
export function revokeToken(token) {
  return { name: 'revokeToken', on: 'none', options: false, targetArgs: ['id: ID!'], select: 'id revoked', submit: 'Révoquer',
    label: 'Révoquer le jeton de ' + token.name, help: 'Le jeton cesse aussitôt de fonctionner, y compris sur les pages ouvertes.',
    fields: [], fixed: () => ({ id: token.id }) };
}

/**
 * People who sign in through the identity provider (api-next): outside the log, like tokens.
 * An ADMIN invites to any role; a PILOT to their programme's roles (the server checks).
 */
export const PEOPLE_FORMS = [
  { name: 'invitePerson', on: 'programme', command: 'invitePerson', options: false, targetArgs: ['programmeId: ID'], label: 'Inviter une personne',
    help: 'Le rôle lui revient à sa première connexion avec cette adresse, vérifiée par le fournisseur d’identité (ProConnect ou celui de la collectivité).',
    args: 'email: String!, role: Role!, partnerId: ID', select: 'id email',
    fields: [
      { name: 'email', label: 'Adresse électronique professionnelle', type: 'text', hint: 'Celle sous laquelle la personne se connecte : prenom.nom@exemple.fr.' },
      { name: 'role', label: 'Rôle', type: 'select', options: () => ROLES.map((r) => [r, f.fr('Role', r)]) },
      { name: 'partnerId', label: 'Partenaire', type: 'select', optional: true, options: partners, hint: 'Pour un porteur de projet seulement.' },
    ] },
];

/** Removes one role of a person, who keeps the others. */
export function removeRole(person, assignment) {
  return { name: 'removeRole', on: 'none', options: false, targetArgs: ['id: ID!', 'role: Role!', 'programmeId: ID', 'partnerId: ID'], select: 'id', submit: 'Retirer ce rôle',
    label: 'Retirer le rôle « ' + f.fr('Role', assignment.role) + ' » à ' + person.email,
    help: 'La personne garde ses autres rôles ; ses sessions ouvertes prennent fin, elle se reconnecte.',
    fields: [], fixed: () => ({ id: person.id, role: assignment.role, partnerId: assignment.partnerId }) };
}

/** Ends a person's access: their sessions and live pages stop at once; they stay listed. */
export function revokePerson(person) {
  return { name: 'revokePerson', on: 'none', options: false, targetArgs: ['id: ID!'], select: 'id revoked', submit: 'Retirer l’accès',
    label: 'Retirer l’accès de ' + person.email,
    help: 'Ses sessions et ses pages ouvertes prennent fin aussitôt ; une nouvelle invitation le lui rend.',
    fields: [], fixed: () => ({ id: person.id }) };
}

/** The French name of an erasable text's place in an event's data (`summary`, `items[1]`). */
const TEXT_PLACES = {
  title: 'intitulé', summary: 'résumé', narrative: 'synthèse du bilan', reason: 'motif', comment: 'commentaire',
  findings: 'constats', note: 'note', reference: 'référence', text: 'texte', items: 'complément demandé',
  external_refs: 'référence externe', label: 'libellé',
};
export function textPlace(path) {
  const parts = String(path).split('.').map((part) => {
    const m = /^([a-z_]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m) return part;
    const name = TEXT_PLACES[m[1]] || m[1];
    return m[2] === undefined ? name : name + ' n° ' + (Number(m[2]) + 1);
  });
  return parts.join(', ') + ' (' + path + ')';
}

/** Erases one free text of a recorded event (RGPD): PILOT or ADMIN, from a history entry. */
export function eraseText(entry) {
  return { name: 'eraseText', on: 'none', dated: true, targetArgs: ['programmeId: ID!', 'position: Int!'], args: 'field: String!, reason: String!',
    select: 'position erased', submit: 'Effacer', label: 'Effacer un texte de l’événement n° ' + entry.position,
    help: 'Les mots disparaissent de toute lecture, de tout export et de tout retour dans le temps ; l’événement, sa date, ses montants et la chaîne des empreintes restent. L’effacement est lui-même enregistré : qui, quand, pourquoi.',
    fields: [
      { name: 'field', label: 'Texte à effacer', type: 'select', options: () => entry.erasableFields.map((x) => [x, textPlace(x)]) },
      { name: 'reason', label: 'Motif de l’effacement', type: 'text', hint: 'Il est montré à la place du texte : « texte effacé le … : motif ».' },
    ],
    fixed: () => ({ position: entry.position }) };
}
