// The administrators' entries in HQ's navigation (the pages are screens/admin, a chunk of their own).
export default {
  'hq.admin.users': 'Users',
  'hq.admin.stores': 'Stores',
  'hq.admin.partners': 'Partners',
  'hq.admin.products': 'Products',
  'hq.admin.competitors': 'Competitor models',
  'hq.admin.brands': 'Competitor brands',
  'hq.admin.materials': 'Promo materials',
  'hq.admin.checklist': 'Checklist items',
};
