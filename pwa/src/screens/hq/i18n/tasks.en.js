// Tasks for reps (issue 18): HQ's nav entry (the page's strings are the desk kit's, tasks.*).
export default {
  'hq.nav.tasks': 'Tasks',
};
