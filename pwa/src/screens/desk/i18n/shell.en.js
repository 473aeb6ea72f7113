// The desk shell's strings (screens/desk/DeskNav.js: the side navigation of the manager's, HQ's and
// administrators' desk screens), in English.
export default {
  'desk.skip': 'Skip to content',
  'desk.navLabel': 'Pages',
  'desk.group.field': 'In the field',
  'desk.group.admin': 'Administration',
};
