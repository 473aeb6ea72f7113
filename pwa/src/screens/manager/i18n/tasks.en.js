// Tasks for reps (issue 18): the manager's nav entry (the page's strings are the desk kit's, tasks.*).
export default {
  'manager.nav.tasks': 'Tasks',
};
