// 保存的日期已有计划时：替换会改变什么（Plans.js 的 ReplaceDialog）。
export default {
  'manager.plan.replace.title': '这一天已有计划',
  'manager.plan.replace.who': '{by} 已于 {at} 为{rep}保存了 {day} 的计划（{n} 家门店）。',
  'manager.plan.replace.question': '要用您的计划替换它吗？变化如下：',
  'manager.plan.replace.added': '新增（{n}）',
  'manager.plan.replace.removed': '移除（{n}）',
  'manager.plan.replace.kept': '保留（{n}）',
  'manager.plan.replace.none': '无',
  'manager.plan.replace.orderChanged': '保留门店的顺序有变化。',
  'manager.plan.replace.orderSame': '保留门店的顺序不变。',
  'manager.plan.replace.noteChanged': '备注有变化。',
  'manager.plan.replace.confirm': '替换',
  'manager.plan.replace.cancel': '取消',
  'manager.plan.replaced': '已替换{rep} {day} 的计划（{n} 家门店）。',
};
