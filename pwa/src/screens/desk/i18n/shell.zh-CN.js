// 桌面外壳的文字（screens/desk/DeskNav.js：区域经理、总部和管理员桌面页面的侧边导航），简体中文。
export default {
  'desk.skip': '跳到正文',
  'desk.navLabel': '页面',
  'desk.group.field': '外勤',
  'desk.group.admin': '系统管理',
};
