// Budget of one year: suivi financier per funder (with consumption bars) and programmation annuelle.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';
import { viewHeader, dataTable, section, csvButton } from '../ui.js';
import { staleNotice } from './action.js';

const LINE = 'envelope requested retained granted paid toPay consumptionPermille';
const BUDGET = `query Budget($p: ID!, $year: Int!, $asOf: AsOf) {
  budget(programmeId: $p, year: $year, asOf: $asOf) {
    year
    lines { funder { id name kind } ${LINE} }
    total { ${LINE} }
    programmation {
      action { id reference title status holder { name } axis { code title } }
      amounts { funder { id name } requested retained granted paid toPay refused }
    }
  }
}`;

const KEYS = [['envelope', 'Enveloppe'], ['requested', 'Demandé'], ['retained', 'Retenu'], ['granted', 'Attribué'], ['paid', 'Versé'], ['toPay', 'Reste à verser']];
const PKEYS = [['requested', 'Demandé'], ['retained', 'Retenu'], ['granted', 'Attribué'], ['paid', 'Versé'], ['toPay', 'Reste à verser']];

function bar(p) {
  if (p === null || p === undefined) return h('span', { class: 'muted' }, 'sans enveloppe');
  const width = Math.min(100, p / 10);
  const over = p > 1000;
  return h('span', { class: 'consumption' },
    h('span', { class: 'bar' + (over ? ' is-over' : ''), 'aria-hidden': 'true' }, h('span', { class: 'bar-fill', style: `width:${width}%` })),
    h('span', { class: 'bar-text' }, f.permille(p) + (over ? ' (dépassement)' : '')));
}

function yearForm(ctx, year) {
  const form = h('form', { class: 'year-form no-print', 'data-testid': 'budget-year-form' },
    h('label', { for: 'budget-year' }, 'Exercice'),
    h('input', { type: 'number', id: 'budget-year', 'data-testid': 'budget-year', min: '2000', max: '2100', step: '1', value: String(year), inputmode: 'numeric' }),
    h('button', { type: 'submit', class: 'btn' }, 'Afficher'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const y = Number(form.querySelector('#budget-year').value);
    if (!Number.isInteger(y) || y < 2000 || y > 2100) { ctx.showError('Saisissez une année sur quatre chiffres, par exemple 2026.'); return; }
    location.hash = ctx.link('/budget/' + y);
  });
  return form;
}

export async function render(ctx) {
  const fallback = Number((ctx.asOf ? ctx.asOf.date : f.todayIso()).slice(0, 4));
  const y = Number(ctx.parts[1]);
  const year = Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : fallback;
  const { budget: b } = await gql(BUDGET, { p: ctx.programmeId, year, asOf: ctx.asOfVar });
  const suffix = ctx.asOf ? '-etat-' + ctx.asOf.date : '';

  // Requested amounts are not for every role (DOMAIN.md): the API gives 0 for them, and a column
  // of zeros would say something false, so it is left out.
  const shown = ([k]) => ctx.seesAll || k !== 'requested';
  const keys = KEYS.filter(shown);
  const pkeys = PKEYS.filter(shown);
  const lineCols = [
    { label: 'Financeur', rowHeader: true, cell: (l) => (l.funder ? l.funder.name : 'Sans financeur') },
    ...keys.map(([k, label]) => ({ label, num: true, cell: (l) => f.money(l[k]), csv: (l) => f.moneyCsv(l[k]) })),
    { label: 'Consommation (%)', cell: (l) => bar(l.consumptionPermille), csv: (l) => f.permilleCsv(l.consumptionPermille) },
  ];
  const t = b.total;
  const footer = [{ text: 'Total', testid: 'budget-total-label' },
    ...keys.map(([k]) => ({ text: f.money(t[k]), csv: f.moneyCsv(t[k]), num: true, testid: 'budget-total-' + k })),
    { node: bar(t.consumptionPermille), text: f.permille(t.consumptionPermille), csv: f.permilleCsv(t.consumptionPermille), testid: 'budget-total-consumption' }];

  // Programmation: one row per action and funder; the action's cells span its funder rows.
  const prog = b.programmation;
  const progHeader = ['Référence', 'Action', 'Porteur', 'Axe', 'Statut', 'Financeur', ...pkeys.map(([, l]) => l)];
  const progCsv = [];
  const tbody = h('tbody');
  const totals = Object.fromEntries(pkeys.map(([k]) => [k, 0]));
  for (const row of prog) {
    const a = row.action;
    const amounts = row.amounts.length ? row.amounts : [null];
    amounts.forEach((m, i) => {
      const tr = h('tr', { 'data-action-id': a.id });
      if (i === 0) {
        const span = amounts.length;
        tr.append(
          h('th', { scope: 'row', rowspan: span }, h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id)) }, a.reference)),
          h('td', { rowspan: span }, a.title), h('td', { rowspan: span }, a.holder.name),
          h('td', { rowspan: span }, a.axis.code), h('td', { rowspan: span }, f.fr('ActionStatus', a.status)));
      }
      tr.append(h('td', null, m ? m.funder.name + (m.refused ? ' (refusé)' : '') : '—'),
        ...pkeys.map(([k]) => h('td', { class: 'num' }, m ? f.money(m[k]) : '')));
      tbody.append(tr);
      if (m) for (const [k] of pkeys) totals[k] += Number(m[k]);
      progCsv.push([a.reference, a.title, a.holder.name, a.axis.code + ' — ' + a.axis.title, f.fr('ActionStatus', a.status),
        m ? m.funder.name : '', ...pkeys.map(([k]) => (m ? f.moneyCsv(m[k]) : ''))]);
    });
  }
  if (prog.length === 0) tbody.append(h('tr', null, h('td', { colspan: progHeader.length, class: 'empty' }, 'Aucune action retenue pour cet exercice.')));
  const progTable = h('div', { class: 'table-block' },
    h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'budget-programmation' },
      h('caption', null, 'Programmation annuelle ' + b.year + ' : actions retenues et leurs montants par financeur'),
      h('thead', null, h('tr', null, progHeader.map((l, i) => h('th', { scope: 'col', class: i >= 6 ? 'num' : null }, l)))),
      tbody,
      h('tfoot', null, h('tr', { 'data-testid': 'budget-programmation-total' },
        h('th', { scope: 'row', colspan: 6 }, 'Total (' + prog.length + (prog.length > 1 ? ' actions)' : ' action)')),
        pkeys.map(([k]) => h('td', { class: 'num', 'data-testid': 'programmation-total-' + k }, f.money(totals[k]))))))),
    csvButton('csv-budget-programmation', 'programmation-' + b.year + suffix + '.csv', () => [progHeader,
      [...progCsv, ['Total', '', '', '', '', '', ...pkeys.map(([k]) => f.moneyCsv(totals[k]))]]], 'programmation annuelle'));

  return h('div', { class: 'view view-budget' },
    viewHeader('Budget ' + b.year, 'Suivi financier par financeur et programmation annuelle de l’exercice ' + b.year + '.'),
    yearForm(ctx, b.year),
    section('Suivi financier', dataTable({
      caption: 'Suivi financier ' + b.year + ' par financeur', testid: 'budget-lines', csvName: 'budget-' + b.year + suffix + '.csv',
      columns: lineCols, rows: b.lines, footer, empty: 'Aucun financeur pour cet exercice.',
    }), h('p', { class: 'note' }, 'Consommation : montant attribué rapporté à l’enveloppe notifiée ; le total ne compte que les financeurs qui ont une enveloppe.'
      + (ctx.seesAll ? '' : ' Les montants demandés ne sont pas communiqués à votre profil.'))),
    h('section', { class: 'block print-break' }, h('h2', null, 'Programmation annuelle'), progTable));
}

const MONEY_KINDS = new Set(['EnvelopeNotified', 'EnvelopeRevised', 'CopilDecisionTaken', 'DecisionRevised', 'GrantAwarded', 'GrantRefused',
  'PaymentRecorded', 'PaymentCancelled', 'ActionProposed', 'ActionAmended', 'ActionWithdrawn', 'NonRealisationAttested', 'RepaymentRequested', 'RepaymentReceived']);
export function onLive(entry, ctx) {
  if (!ctx.asOf && MONEY_KINDS.has(entry.kind)) staleNotice(ctx, 'Les montants de ce budget ont pu changer.');
}
