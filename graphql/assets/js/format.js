// Formats for people (French) and for CSV files. Money and dates are formatted by hand, so that
// the separators are exactly those of DOMAIN.md whatever the browser's Intl data says.

export const NNBSP = '\u202F'; // narrow no-break space: thousands separator
export const NBSP = '\u00A0'; // no-break space: before €

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août',
  'septembre', 'octobre', 'novembre', 'décembre'];

function splitCents(cents) {
  const n = Number(cents);
  const negative = n < 0;
  const abs = Math.abs(Math.trunc(n));
  return { negative, euros: String(Math.floor(abs / 100)), cents: String(abs % 100).padStart(2, '0') };
}

/** 1200000 → « 12 000,00 € » (U+202F between thousands, U+00A0 before €). */
export function money(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  const p = splitCents(cents);
  const grouped = p.euros.replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP);
  return (p.negative ? '-' : '') + grouped + ',' + p.cents + NBSP + '€';
}

/** 1200000 → « 12000,00 » (CSV: no thousands separator, decimal comma, no currency sign). */
export function moneyCsv(cents) {
  if (cents === null || cents === undefined || cents === '') return '';
  const p = splitCents(cents);
  return (p.negative ? '-' : '') + p.euros + ',' + p.cents;
}

/** "2026-03-14" → « 14 mars 2026 »; the first of the month is « 1er ». */
export function date(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
  if (!m) return iso || '';
  const day = Number(m[3]);
  return (day === 1 ? '1er' : String(day)) + ' ' + MONTHS[Number(m[2]) - 1] + ' ' + m[1];
}

function parisParts(d) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d)) parts[p.type] = p.value;
  return parts;
}

/** RFC 3339 UTC → « 16 mars 2026 à 10 h 02 » in Paris time. */
export function dateTime(rfc) {
  const d = new Date(rfc);
  if (Number.isNaN(d.getTime())) return rfc || '';
  const p = parisParts(d);
  return date(`${p.year}-${p.month}-${p.day}`) + ' à ' + p.hour + ' h ' + p.minute;
}

/** Today's date in Europe/Paris, "YYYY-MM-DD" (the server's notion of today). */
export function todayIso() {
  const p = parisParts(new Date());
  return `${p.year}-${p.month}-${p.day}`;
}

/** 456 ‰ → « 45,6 % ». */
export function permille(p) {
  if (p === null || p === undefined) return '';
  return (p / 10).toFixed(1).replace('.', ',') + NBSP + '%';
}
export function permilleCsv(p) {
  if (p === null || p === undefined) return '';
  return (p / 10).toFixed(1).replace('.', ',');
}

export function number(x) {
  if (x === null || x === undefined) return '';
  const s = String(x).split('.');
  return s[0].replace(/\B(?=(\d{3})+(?!\d))/g, NNBSP) + (s[1] ? ',' + s[1] : '');
}

// ---------------------------------------------------------------- enums in French

const L = {
  Role: { ADMIN: 'administration', PILOT: 'pilotage (troïka, COPIL)', COORDINATOR: 'coordination',
    PORTEUR: 'porteur de projet', EVALUATOR: 'évaluation', OBSERVER: 'observation' },
  NationalObjective: { SCHOOL_ROLE: "Conforter le rôle de l'école",
    EDUCATIONAL_CONTINUITY: 'Promouvoir la continuité éducative',
    WIDER_HORIZONS: 'Ouvrir le champ des possibles' },
  FunderKind: { STATE: 'État', FONDS_DE_LA_CITE: 'fonds de la cité', MUNICIPALITY: 'commune',
    EPCI: 'EPCI', DEPARTMENT: 'Département', REGION: 'Région', CAF: 'CAF', HOUSING: 'bailleur',
    FOUNDATION: 'fondation', OWN_FUNDS: 'fonds propres', OTHER: 'autre' },
  PartnerKind: { SCHOOL: 'école', COLLEGE: 'collège', LYCEE: 'lycée', ASSOCIATION: 'association',
    MUNICIPAL_SERVICE: 'service municipal', EPCI: 'EPCI', STATE_SERVICE: "service de l'État",
    CAF: 'CAF', CULTURE: 'culture', SPORT: 'sport', SOCIAL: 'social', HEALTH: 'santé',
    HOUSING: 'bailleur', OTHER: 'autre' },
  BodyKind: { COPIL: 'COPIL', COTECH: 'COTECH', SELECTION_COMMITTEE: 'comité de sélection',
    OTHER: 'autre instance' },
  ActionStatus: { PROPOSED: 'proposée', COMPLEMENTS_REQUESTED: 'compléments demandés',
    UNDER_REVIEW: 'en instruction', RETAINED: 'retenue', DEFERRED: 'ajournée', REJECTED: 'rejetée',
    WITHDRAWN: 'retirée', FUNDED: 'financée', IN_PROGRESS: 'en cours', COMPLETED: 'achevée',
    NOT_REALISED: 'non réalisée', REPORTED: 'bilan final remis', EVALUATED: 'évaluée',
    CLOSED: 'clôturée' },
  Opinion: { FAVOURABLE: 'favorable', RESERVED: 'réservé', UNFAVOURABLE: 'défavorable' },
  DecisionOutcome: { RETAINED: 'retenue', DEFERRED: 'ajournée', REJECTED: 'rejetée' },
  ActKind: { CONVENTION: 'convention', ARRETE: 'arrêté', DELIBERATION: 'délibération',
    EPLE_DECISION: "décision de l'EPLE", OTHER: 'autre acte' },
  PaymentKind: { ADVANCE: 'avance', INSTALMENT: 'acompte', BALANCE: 'solde' },
  ReportKind: { INTERIM: 'bilan intermédiaire', FINAL: 'bilan final' },
  PublicKind: { CHILDREN: 'enfants et jeunes', PARENTS: 'parents', PROFESSIONALS: 'professionnels' },
  AgeBand: { AGE_0_2: '0 à 2 ans', AGE_3_5: '3 à 5 ans', AGE_6_10: '6 à 10 ans',
    AGE_11_14: '11 à 14 ans', AGE_15_17: '15 à 17 ans', AGE_18_25: '18 à 25 ans',
    ADULT: '26 ans et plus' },
  Sex: { FEMALE: 'féminin', MALE: 'masculin', UNDISCLOSED: 'non renseigné' },
  Rating: { ACHIEVED: 'objectifs atteints', PARTLY_ACHIEVED: 'objectifs partiellement atteints',
    NOT_ACHIEVED: 'objectifs non atteints' },
  Recommendation: { RENEW: 'reconduire', ADJUST: 'ajuster', STOP: 'arrêter' },
  LegalForm: { ASSOCIATION: 'association', FOUNDATION: 'fondation', COMPANY: 'entreprise',
    OTHER_PRIVATE: 'autre personne de droit privé', LOCAL_AUTHORITY: 'collectivité territoriale',
    EPLE: 'EPLE (collège, lycée)', STATE_SERVICE: "service de l'État",
    OTHER_PUBLIC: 'autre personne publique', UNKNOWN: 'non renseignée' },
  Payer: { STATE: 'État', COMMUNE: 'commune', EPCI: 'EPCI', DEPARTMENT: 'Département',
    REGION: 'Région', CAF: 'CAF', OTHER: 'autre' },
  ReportVerdict: { ACCEPTED: 'accepté', REJECTED: 'refusé' },
  ReviewSection: { GOVERNANCE: 'gouvernance', DEPLOYMENT: 'déploiement opérationnel',
    COMMUNICATION: 'communication', NETWORK: 'relations entre cités', FINANCE: 'gestion financière',
    EVALUATION: 'évaluation', DIFFICULTIES: 'difficultés', OUTLOOK: 'perspectives' },
};

/** The values of an enum with their French words, in the schema's order: [[value, label]]. */
export function choices(enumName) {
  return Object.entries(L[enumName] || {});
}

/** The French word for an enum value; the raw value if unknown (never an empty cell). */
export function fr(enumName, value) {
  if (value === null || value === undefined) return '';
  return (L[enumName] && L[enumName][value]) || String(value);
}

/** Event kinds (DOMAIN.md, verbatim names) in French, grouped for the kind filter. */
export const KINDS = [
  ['Programme', {
    ProgrammeEstablished: 'Programme établi', AxisDefined: 'Axe défini', AxisRetired: 'Axe retiré',
    FunderRegistered: 'Financeur enregistré', EnvelopeNotified: 'Enveloppe notifiée',
    EnvelopeRevised: 'Enveloppe révisée', BodyMembershipChanged: "Composition d'instance modifiée",
  }],
  ['Partenaires', { PartnerRegistered: 'Partenaire enregistré', PartnerLeftAlliance: "Sortie de l'alliance" }],
  ['Séances', { SessionScheduled: 'Séance programmée', SessionHeld: 'Séance tenue', SessionCancelled: 'Séance annulée' }],
  ['Actions', {
    ActionProposed: 'Action proposée', ActionAmended: 'Action modifiée',
    ComplementsRequested: 'Compléments demandés', ComplementsProvided: 'Compléments fournis',
    OpinionGiven: 'Avis rendu', CopilDecisionTaken: 'Décision du COPIL', DecisionRevised: 'Décision révisée',
    ActionWithdrawn: 'Action retirée', GrantAwarded: 'Subvention attribuée', GrantRefused: 'Financement refusé',
    PaymentRecorded: 'Versement enregistré', PaymentCancelled: 'Versement annulé',
    ActionStarted: 'Action démarrée', PeriodChanged: 'Période modifiée', ActionCompleted: 'Action achevée',
    NonRealisationAttested: 'Non-réalisation attestée', RepaymentRequested: 'Reversement demandé',
    RepaymentReceived: 'Reversement reçu', ReportSubmitted: 'Bilan déposé',
    IndicatorMeasured: 'Indicateur mesuré', ActionEvaluated: 'Action évaluée', ActionClosed: 'Action clôturée',
  }],
];
const KIND_LABELS = Object.assign({}, ...KINDS.map(([, m]) => m));
export function kindLabel(kind) { return KIND_LABELS[kind] || kind; }
