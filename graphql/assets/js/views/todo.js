// « À faire »: what waits for the person signed in, on their home page, with links to the forms.
import { gql } from '../api.js';
import { h } from '../dom.js';
import * as f from '../format.js';

const QUERY = `query Todo($p: ID!) {
  reportsDue(programmeId: $p, withinDays: 30) { action { id reference title holder { id } availableCommands } kind dueOn overdue }
  actions(programmeId: $p, filter: {status: [PROPOSED, COMPLEMENTS_REQUESTED, UNDER_REVIEW]}, first: 200) {
    edges { node { id reference title status holder { id name } availableCommands } } }
}`;

/** The « À faire » block, or null when nothing waits (or for roles that keep nothing). */
export async function todo(ctx) {
  if (ctx.asOf || !['PORTEUR', 'COORDINATOR', 'PILOT', 'ADMIN'].includes(ctx.me.role)) return null;
  const data = await gql(QUERY, { p: ctx.programmeId });
  const items = [];
  const go = (a, command, text) => h('a', { href: ctx.link('/action/' + encodeURIComponent(a.id) + (command ? '/' + command : '')) }, text);
  for (const r of data.reportsDue) {
    if (!r.action.availableCommands.includes('submitReport') && !r.action.availableCommands.includes('extendReportDeadline')) continue;
    const mine = r.action.availableCommands.includes('submitReport');
    items.push(h('li', { 'data-testid': 'todo-item', 'data-kind': r.overdue ? 'report-overdue' : 'report-due', class: r.overdue ? 'is-overdue' : null },
      r.overdue ? 'En retard : ' : 'À remettre : ', f.fr('ReportKind', r.kind), ' de ', go(r.action, mine ? 'submitReport' : null, r.action.reference + ' — ' + r.action.title),
      ', attendu le ' + f.date(r.dueOn) + '.'));
  }
  for (const a of data.actions.edges.map((e) => e.node)) {
    if (a.status === 'COMPLEMENTS_REQUESTED' && a.availableCommands.includes('provideComplements')) {
      items.push(h('li', { 'data-testid': 'todo-item', 'data-kind': 'complements' }, 'Compléments demandés pour ', go(a, 'provideComplements', a.reference + ' — ' + a.title), '.'));
    } else if (a.status === 'PROPOSED' && a.availableCommands.includes('requestComplements')) {
      items.push(h('li', { 'data-testid': 'todo-item', 'data-kind': 'to-review' }, 'À instruire : ', go(a, null, a.reference + ' — ' + a.title), ' (' + a.holder.name + ').'));
    }
  }
  const today = f.todayIso();
  const soon = new Date(Date.parse(today + 'T12:00:00Z') + 30 * 86400000).toISOString().slice(0, 10);
  if (ctx.programme.availableCommands.includes('scheduleSession')) {
    for (const s of ctx.sessions.filter((x) => !x.held && !x.cancelled && x.date <= soon)) {
      const past = s.date <= today;
      items.push(h('li', { 'data-testid': 'todo-item', 'data-kind': past ? 'session-to-record' : 'session-to-hold' },
        past ? 'Séance à enregistrer : ' : 'Séance à tenir : ',
        h('a', { href: ctx.link('/session/' + encodeURIComponent(s.id) + (past ? '/recordSessionHeld' : '')) }, f.fr('BodyKind', s.body) + ' du ' + f.date(s.date) + ' — ' + s.title), '.'));
    }
  }
  return h('section', { class: 'block todo no-print', 'data-testid': 'todo', 'aria-labelledby': 'todo-title' },
    h('h2', { id: 'todo-title' }, 'À faire'),
    items.length ? h('ul', { class: 'todo-list' }, items) : h('p', { 'data-testid': 'todo-empty' }, 'Rien ne vous attend pour le moment.'));
}
