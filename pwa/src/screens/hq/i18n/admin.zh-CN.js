// 管理员在总部导航中的入口（页面在 screens/admin，单独加载）。
export default {
  'hq.admin.users': '用户',
  'hq.admin.stores': '门店',
  'hq.admin.partners': '渠道商',
  'hq.admin.products': '产品',
  'hq.admin.competitors': '竞品机型',
  'hq.admin.brands': '竞品品牌',
  'hq.admin.materials': '宣传物料',
  'hq.admin.checklist': '检查项',
};
