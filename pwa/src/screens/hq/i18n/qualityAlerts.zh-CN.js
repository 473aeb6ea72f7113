// 质量页的早期质量预警：确认预警，显示哪些预警。
export default {
  'quality.alerts.which': '显示',
  'quality.alerts.openOnly': '未确认',
  'quality.alerts.all': '全部',
  'quality.alerts.noneOpen': '没有待确认的早期质量预警。',
  'quality.alerts.ackedBy': '已于 {when} 确认',
};
