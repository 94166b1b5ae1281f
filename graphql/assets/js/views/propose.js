// « Proposer une action »: the proposal form, for the coordinator and the porteurs.
import { gql } from '../api.js';
import { h } from '../dom.js';
import { viewHeader } from '../ui.js';
import { openForm } from '../forms.js';
import { PROPOSE } from '../commands.js';

export async function render(ctx) {
  const { partners, actions } = await gql(`query Proposal($p: ID!) { partners(programmeId: $p) { id name active }
    actions(programmeId: $p, first: 500) { edges { node { id reference title year } } } }`, { p: ctx.programmeId });
  const earlier = actions.edges.map((e) => e.node).sort((a, b) => a.reference.localeCompare(b.reference, 'fr'));
  const place = h('div', { class: 'form-place' });
  const root = h('div', { class: 'view view-propose' }, viewHeader('Proposer une action', 'La proposition est enregistrée à la date d’effet choisie ; elle attend ensuite l’instruction.'), place);
  if (!ctx.programme.availableCommands.includes('proposeAction')) {
    place.append(h('p', null, 'Votre rôle ne permet pas de proposer une action.'));
    return root;
  }
  openForm({ ...PROPOSE, label: 'Nouvelle proposition' }, { ...ctx, partners, actions: earlier }, {
    container: place, target: 'propose', version: null,
    onDone: (result) => { location.hash = ctx.link('/action/' + encodeURIComponent(result.action.id), null); },
    onConflict: () => ctx.refresh(),
  });
  return root;
}
