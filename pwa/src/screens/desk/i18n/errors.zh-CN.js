// The desk kit's words for a failed request that the server gave no reason for (kit.js apiMessage).
export default {
  'desk.notFound': '找不到该记录：可能已被删除，或不在您的查看范围内。',
  'desk.serverError': '服务器出现问题，请稍后重试。',
};
