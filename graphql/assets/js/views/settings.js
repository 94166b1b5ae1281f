// « Paramètres »: the programme's settings (axes, funders, envelopes, instances, territory,
// partners, revue de projet) with the forms the API offers this token to change them.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section } from '../ui.js';
import { commandBar, openForm } from '../forms.js';
import { PROGRAMME_FORMS, TOKEN_FORMS, revokeToken } from '../commands.js';

const QUERY = `query Settings($p: ID!) {
  programme(id: $p) { id name territory qpv schools version availableCommands
    axes(includeRetired: true) { code title objective retired }
    funders { id name kind payer }
    envelopes { funder { id name } year amount reference }
    bodies { body organisations since } }
  partners(programmeId: $p) { id name kind legalForm active }
  sessions(programmeId: $p) { id body date title held cancelled }
}`;

export async function render(ctx) {
  const data = await gql(QUERY, { p: ctx.programmeId });
  const p = data.programme;
  const c = { ...ctx, programme: { ...ctx.programme, ...p }, partners: data.partners, sessions: data.sessions };
  const done = async () => { await ctx.reloadProgramme(); await ctx.refresh(); };
  const saisie = commandBar({
    title: 'Modifier les paramètres', defs: PROGRAMME_FORMS, available: p.availableCommands, c, testid: 'settings-commands',
    target: 'programme:' + p.id, version: p.version, onDone: done, onConflict: () => ctx.refresh(),
  });
  const tokens = p.availableCommands.includes('createToken') ? await tokenSection(ctx, c) : null;
  return h('div', { class: 'view view-settings' },
    viewHeader('Paramètres du programme', 'Axes, financeurs, enveloppes, instances, territoire et partenaires.'),
    saisie,
    section('Axes', dataTable({ caption: 'Axes stratégiques', testid: 'settings-axes', rows: p.axes, empty: 'Aucun axe.',
      columns: [{ label: 'Code', cell: (a) => a.code }, { label: 'Intitulé', cell: (a) => a.title },
        { label: 'Objectif national', cell: (a) => f.fr('NationalObjective', a.objective) }, { label: 'État', cell: (a) => (a.retired ? 'retiré' : 'actif') }] })),
    section('Financeurs', dataTable({ caption: 'Financeurs', testid: 'settings-funders', rows: p.funders, empty: 'Aucun financeur.',
      columns: [{ label: 'Financeur', cell: (x) => x.name }, { label: 'Nature', cell: (x) => f.fr('FunderKind', x.kind) }, { label: 'Payeur final', cell: (x) => f.fr('Payer', x.payer) }] })),
    section('Enveloppes', dataTable({ caption: 'Enveloppes notifiées (après révisions)', testid: 'settings-envelopes', rows: p.envelopes, empty: 'Aucune enveloppe.',
      columns: [{ label: 'Financeur', cell: (e) => e.funder.name }, { label: 'Exercice', cell: (e) => String(e.year) },
        { label: 'Montant', num: true, cell: (e) => f.money(e.amount), csv: (e) => f.moneyCsv(e.amount) }, { label: 'Référence', cell: (e) => e.reference || '' }] })),
    section('Instances', dataTable({ caption: 'Composition des instances', testid: 'settings-bodies', rows: p.bodies, empty: 'Aucune composition enregistrée.',
      columns: [{ label: 'Instance', cell: (b) => f.fr('BodyKind', b.body) }, { label: 'Organisations', cell: (b) => b.organisations.join(', ') }, { label: 'Depuis le', cell: (b) => f.date(b.since), csv: (b) => b.since }] })),
    section('Territoire', h('p', null, 'Communes : ', p.territory.join(', ') || '—', '. QPV : ', p.qpv.join(', ') || '—', '. Écoles (UAI) : ', (p.schools || []).join(', ') || '—', '.')),
    section('Partenaires', dataTable({ caption: 'Partenaires de l’alliance', testid: 'settings-partners', rows: data.partners, empty: 'Aucun partenaire.',
      columns: [{ label: 'Partenaire', cell: (x) => x.name }, { label: 'Nature', cell: (x) => f.fr('PartnerKind', x.kind) },
        { label: 'Forme juridique', cell: (x) => f.fr('LegalForm', x.legalForm) }, { label: 'État', cell: (x) => (x.active ? 'membre' : 'sorti de l’alliance') }] })),
    tokens);
}

/** ADMIN: the programme's access tokens (outside the log), created and revoked here. */
async function tokenSection(ctx, c) {
  const { tokens } = await gql('query Tokens { tokens { id role programmeId partnerId name createdAt revoked } }');
  const mine = tokens.filter((t) => t.programmeId === ctx.programmeId);
  const place = h('div', { class: 'form-place' });
  const bar = commandBar({
    title: 'Jetons d’accès', defs: TOKEN_FORMS, available: ['createToken'], c, testid: 'token-commands',
    target: 'tokens:' + ctx.programmeId, version: null, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
  });
  return h('div', null, bar, dataTable({
    caption: 'Jetons d’accès à ce programme', testid: 'settings-tokens', rows: mine, empty: 'Aucun jeton.',
    rowAttrs: (t) => ({ 'data-token-id': t.id, class: t.revoked ? 'is-cancelled' : null }),
    columns: [
      { label: 'Personne ou service', cell: (t) => t.name },
      { label: 'Rôle', cell: (t) => f.fr('Role', t.role) },
      { label: 'Partenaire', cell: (t) => t.partnerId || '' },
      { label: 'Créé le', cell: (t) => f.dateTime(t.createdAt), csv: (t) => t.createdAt },
      { label: 'État', cell: (t) => {
        if (t.revoked) return 'révoqué';
        const b = h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'revoke-' + t.id }, 'Révoquer', h('span', { class: 'visually-hidden' }, ' le jeton de ' + t.name));
        b.addEventListener('click', () => openForm(revokeToken(t), c, { container: place, target: 'revoke:' + t.id, version: null, opener: b, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh() }));
        return h('span', null, 'actif ', b);
      }, csv: (t) => (t.revoked ? 'révoqué' : 'actif') },
    ],
  }), place);
}
