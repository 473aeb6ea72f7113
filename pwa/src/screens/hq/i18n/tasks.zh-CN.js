// 业务员任务（issue 18）：总部导航（任务页的文字在桌面组件包里，tasks.*）。
export default {
  'hq.nav.tasks': '任务',
};
