"""Demo data for trying the product: `flask seed-demo` builds a believable organisation in southern
China (regions, territories, partners, hundreds of stores, users of every role, catalogue) with a
month of field history (visits, display checks, prices, promo stock, intel, warranty cards), and
HQ's and managers' views of it, deterministic by seed.

`backend.demo.seed.seed_demo` runs it, one module per domain, in this order (each draws from the
run's one random generator, so the order is part of the data):

- `context`: the state the modules share (random generator, clock, what was created so far);
- `geography`: the regions, territories and real neighbourhoods (data only);
- `org`: regions, territories, channel partners;
- `catalogue`: our products, competitors' models, promo materials, the VI checklist, the month's
  price story;
- `stores`: stores and their contacts;
- `auth`: users of every role, reps' beats;
- `visits`: a month of visits and display checks, with `intel.record_prices` and
  `stock.record_stock` during each;
- `intel`: reps' intel reports (and the prices above);
- `warranty`: warranty cards, shipments, spot checks, diversion flags;
- `channel`: half a year of shipments and sell-out, shop stock counts, sell-out reports;
- `aftersales`: fault codes, repair points (service-point stores, a repair provider), the
  clerks' 三包 returns, exchanges and repair referrals;
- `training`: promoters' training topics (with quizzes) and the sessions reps gave at visits;
- `market`: rivals, price rollups and alerts;
- `routes`: visit plans.
"""
