// 渠道列表的筛选与分页（超龄库存按渠道商筛选）。
export default {
  'channel.allPartners': '全部渠道商',
};
