// 业务员任务（issue 18）：经理导航（任务页的文字在桌面组件包里，tasks.*）。
export default {
  'manager.nav.tasks': '任务',
};
