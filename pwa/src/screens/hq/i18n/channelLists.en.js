// The channel lists' filters and paging (the aging list by partner).
export default {
  'channel.allPartners': 'All partners',
};
