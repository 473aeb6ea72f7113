// 新店审核：疑似重复门店的判定规则（Reports.js、reports.js 的 dupRule）。
export default {
  'manager.report.dup.heading': '疑似重复（{n}）：{near} 米内的任何已有门店，或 {far} 米内名称相似的门店',
  'manager.report.dup.none': '{near} 米内没有已有门店，{far} 米内也没有名称相似的门店。',
  'manager.report.dup.n': '{n} 家疑似',
  'manager.report.dup.close': '距离很近',
  'manager.report.dup.similarName': '名称相似',
};
