// « Paramètres »: the programme's settings (axes, funders, envelopes, instances, territory,
// partners, revue de projet) with the forms the API offers this token to change them.
import { gql, authHeaders } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, downloadBlob } from '../ui.js';
import { commandBar, openForm } from '../forms.js';
import { PROGRAMME_FORMS, TOKEN_FORMS, revokeToken, PEOPLE_FORMS, removeRole, revokePerson } from '../commands.js';

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
  const people = ['ADMIN', 'PILOT'].includes(ctx.me.role) ? await peopleSection(ctx, c) : null;
  const sheets = p.availableCommands.length ? spreadsheetSection(ctx) : null;
  return h('div', { class: 'view view-settings' },
    viewHeader('Paramètres du programme', 'Axes, financeurs, enveloppes, instances, territoire et partenaires.'),
    saisie,
    sheets,
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
    people,
    tokens);
}

/**
 * ADMIN and PILOT: the people who sign in to this programme through the identity provider,
 * invited, given or removed a role, and revoked here (outside the log, like tokens).
 */
async function peopleSection(ctx, c) {
  const { people } = await gql('query People($p: ID) { people(programmeId: $p) { id email name signedInAt revoked roles { role programmeId partnerId pending } } }', { p: ctx.programmeId });
  const place = h('div', { class: 'form-place' });
  const open = (def, target, opener) => openForm(def, c, { container: place, target, version: null, opener, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh() });
  const bar = commandBar({
    title: 'Invitations', defs: PEOPLE_FORMS, available: ['invitePerson'], c, testid: 'people-commands',
    target: 'people:' + ctx.programmeId, version: null, onDone: () => ctx.refresh(), onConflict: () => ctx.refresh(),
  });
  const roleText = (r) => f.fr('Role', r.role) + (r.partnerId ? ' (' + r.partnerId + ')' : '') + (r.pending ? ' — invitation en attente' : '');
  const roles = (person) => h('ul', { class: 'plain' }, person.roles.filter((r) => r.programmeId === ctx.programmeId).map((r) => {
    if (person.revoked) return h('li', null, roleText(r));
    const b = h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'remove-role-' + person.id + '-' + r.role },
      'Retirer', h('span', { class: 'visually-hidden' }, ' le rôle ' + f.fr('Role', r.role) + ' à ' + person.email));
    b.addEventListener('click', () => open(removeRole(person, r), 'remove-role:' + person.id + ':' + r.role, b));
    return h('li', null, roleText(r), ' ', b);
  }));
  return section('Personnes', h('div', null,
    h('p', { class: 'help' }, 'Les personnes se connectent avec leur compte professionnel ; chacune n’agit qu’avec le rôle qu’on lui a donné. Leur nom n’entre pas dans le registre : les événements retiennent un identifiant et le rôle.'),
    bar,
    dataTable({
      caption: 'Personnes invitées à ce programme', testid: 'settings-people', rows: people, empty: 'Personne n’est encore invité.',
      rowAttrs: (p) => ({ 'data-person-id': p.id, class: p.revoked ? 'is-cancelled' : null }),
      columns: [
        { label: 'Adresse', cell: (p) => p.email },
        { label: 'Nom', cell: (p) => p.name || '—' },
        { label: 'Rôles dans ce programme', cell: roles, csv: (p) => p.roles.filter((r) => r.programmeId === ctx.programmeId).map(roleText).join(' ; ') },
        { label: 'Dernière connexion', cell: (p) => (p.signedInAt ? f.dateTime(p.signedInAt) : 'jamais'), csv: (p) => p.signedInAt || '' },
        { label: 'Accès', cell: (p) => {
          if (p.revoked) return 'retiré';
          const b = h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'revoke-person-' + p.id }, 'Retirer l’accès', h('span', { class: 'visually-hidden' }, ' de ' + p.email));
          b.addEventListener('click', () => open(revokePerson(p), 'revoke-person:' + p.id, b));
          return h('span', null, 'actif ', b);
        }, csv: (p) => (p.revoked ? 'retiré' : 'actif') },
      ],
    }),
    place));
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

// ---------------------------------------------------------------- the tableau de suivi

async function fetchFile(path, options = {}) {
  const res = await fetch(path, { ...options, headers: { ...(options.headers || {}), ...authHeaders() } });
  if (!res.ok) {
    let message = 'Le serveur a refusé la demande (HTTP ' + res.status + ').';
    try { message = (await res.json()).errors[0].message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

/**
 * « Tableur »: the template and the register as workbooks, and the import of a filled one:
 * checked first (nothing written), then, when nothing is refused, written on confirmation.
 */
function spreadsheetSection(ctx) {
  const status = h('div', { role: 'status', 'data-testid': 'spreadsheet-status' });
  const fail = (e) => { status.textContent = e.message; status.className = 'form-summary'; };
  const download = (path, name) => async () => {
    try { downloadBlob(name, await (await fetchFile(path)).blob()); } catch (e) { fail(e); }
  };
  const file = h('input', { type: 'file', id: 'spreadsheet-file', 'data-testid': 'spreadsheet-file', accept: '.xlsx,.ods,.csv', 'aria-describedby': 'spreadsheet-help' });
  const preview = h('div', { 'data-testid': 'spreadsheet-preview', 'aria-live': 'polite' });
  const send = async (dryRun) => {
    const chosen = file.files && file.files[0];
    if (!chosen) { fail(new Error('Choisissez d’abord un fichier (.xlsx, .ods ou .csv).')); return null; }
    status.textContent = dryRun ? 'Vérification…' : 'Import…';
    status.className = '';
    const res = await fetchFile('/spreadsheet/import?programme=' + encodeURIComponent(ctx.programmeId) + '&dryRun=' + dryRun, {
      method: 'POST', headers: { 'X-File-Name': encodeURIComponent(chosen.name).replace(/%20/g, ' ') }, body: chosen,
    });
    return res.json();
  };
  const show = (report) => {
    const confirm = h('button', { type: 'button', class: 'btn', 'data-testid': 'spreadsheet-confirm' }, 'Importer ces lignes');
    const total = report.sheets.reduce((n, x) => n + x.new, 0);
    confirm.disabled = report.refusals.length > 0 || total === 0 || !report.dryRun;
    confirm.addEventListener('click', async () => {
      try {
        const done = await send(false);
        if (done.refusals.length) { show(done); return; }
        ctx.flash({ text: 'Import terminé : ' + done.sheets.reduce((n, x) => n + x.new, 0) + ' ligne(s) écrite(s).' });
        await ctx.refresh();
      } catch (e) { fail(e); }
    });
    preview.replaceChildren(
      dataTable({
        caption: report.dryRun ? 'Ce que l’import écrirait (rien n’est encore écrit)' : 'Ce que l’import a écrit', testid: 'spreadsheet-sheets', rows: report.sheets, empty: 'Aucune ligne.',
        columns: [{ label: 'Feuille', cell: (x) => x.sheet }, { label: 'À écrire', num: true, cell: (x) => String(x.new) },
          { label: 'Déjà importées', num: true, cell: (x) => String(x.already) }, { label: 'Refusées', num: true, cell: (x) => String(x.refused) }],
      }),
      report.refusals.length ? h('div', { class: 'form-summary', role: 'alert', tabindex: '-1' },
        h('p', null, report.refusals.length + ' ligne(s) refusée(s) : rien ne sera écrit tant qu’elles ne sont pas corrigées.'),
        h('ul', null, report.refusals.map((r) => h('li', { 'data-testid': 'spreadsheet-refusal' },
          'Feuille « ' + r.sheet + ' »' + (r.row ? ', ligne ' + r.row : '') + (r.column ? ', colonne « ' + r.column + ' »' : '') + ' : ' + r.message)))) : null,
      h('p', null, confirm));
    status.textContent = report.refusals.length ? 'Des lignes sont refusées.' : total + ' ligne(s) à écrire.';
    (preview.querySelector('[role=alert]') || confirm).focus();
  };
  const check = h('button', { type: 'button', class: 'btn btn-light', 'data-testid': 'spreadsheet-check' }, 'Vérifier le fichier');
  check.addEventListener('click', async () => {
    try { const r = await send(true); if (r) show(r); } catch (e) { fail(e); }
  });
  return h('section', { class: 'block no-print', 'data-testid': 'spreadsheet', 'aria-labelledby': 'spreadsheet-title' },
    h('h2', { id: 'spreadsheet-title' }, 'Tableau de suivi (tableur)'),
    h('p', null,
      h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'spreadsheet-template', onclick: download('/spreadsheet/template', 'chronique-modele.xlsx') }, 'Télécharger le modèle vide'),
      ' ',
      ctx.seesAll ? h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'spreadsheet-export',
        onclick: download('/spreadsheet/export?programme=' + encodeURIComponent(ctx.programmeId), 'registre-' + ctx.programmeId + '.xlsx') }, 'Exporter le registre (.xlsx)') : null,
      ' ',
      ctx.seesAll ? h('button', { type: 'button', class: 'btn btn-small btn-light', 'data-testid': 'spreadsheet-export-ods',
        onclick: download('/spreadsheet/export?format=ods&programme=' + encodeURIComponent(ctx.programmeId), 'registre-' + ctx.programmeId + '.ods') }, '(.ods)') : null),
    h('div', { class: 'form-field' },
      h('label', { for: 'spreadsheet-file' }, 'Importer un tableau (.xlsx, .ods ou .csv)'),
      h('p', { class: 'help', id: 'spreadsheet-help' }, 'Chaque ligne passe par les règles du registre avec vos droits ; une ligne déjà importée n’est pas réécrite. Le fichier est d’abord vérifié, sans rien écrire.'),
      file),
    h('p', null, check), status, preview);
}
