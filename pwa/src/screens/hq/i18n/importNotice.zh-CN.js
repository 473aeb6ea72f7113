// 发货导入结束后上传表单下方的提示（importNotice.js）。
export default {
  'imports.notice.done': '{name} 导入完成：载入 {loaded} 行，未变 {unchanged} 行，错误 {bad} 行。',
  'imports.notice.failed': '{name} 导入失败：{why}',
};
