// Saving over a day that has a plan: what the replacement changes (Plans.js, ReplaceDialog).
export default {
  'manager.plan.replace.title': 'This day already has a plan',
  'manager.plan.replace.who': '{rep} has a plan of {n} stores for {day}, saved by {by} at {at}.',
  'manager.plan.replace.who.one': '{rep} has a plan of {n} store for {day}, saved by {by} at {at}.',
  'manager.plan.replace.question': 'Replace it with yours? It changes:',
  'manager.plan.replace.added': 'Added ({n})',
  'manager.plan.replace.removed': 'Removed ({n})',
  'manager.plan.replace.kept': 'Kept ({n})',
  'manager.plan.replace.none': 'none',
  'manager.plan.replace.orderChanged': 'The kept stores change order.',
  'manager.plan.replace.orderSame': 'The kept stores keep their order.',
  'manager.plan.replace.noteChanged': 'The note changes.',
  'manager.plan.replace.confirm': 'Replace',
  'manager.plan.replace.cancel': 'Cancel',
  'manager.plan.replaced': 'Replaced the plan of {rep} for {day} ({n} stores).',
  'manager.plan.replaced.one': 'Replaced the plan of {rep} for {day} ({n} store).',
};
