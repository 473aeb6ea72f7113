// The desk kit's words for a failed request that the server gave no reason for (kit.js apiMessage).
export default {
  'desk.notFound': 'Not found: it may have been removed, or it is outside what you may see.',
  'desk.serverError': 'The server had a problem. Try again in a moment.',
};
