// The desk kit's strings (screens/desk/kit.js: what HQ's and the managers' screens share), in Chinese.
export default {
  'desk.offline': '没有网络：这些页面需要联网。',
  'desk.forbidden': '您的角色无权执行此操作。',
  'desk.refresh': '刷新',
  'desk.prev': '上一页',
  'desk.next': '下一页',
  'desk.page': '第 {page}/{pages} 页（共 {n} 条）',
  'desk.total': '共 {n} 条',
  'desk.exportCsv': '导出 CSV',
  'desk.exporting': '正在导出…',
  'desk.csvHint': '将此表下载为 CSV 文件',
  'desk.photo': '照片',
  'desk.photoPending': '处理中',
  'desk.close': '关闭',
};
