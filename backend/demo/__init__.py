"""Demo data for trying the product: `flask seed-demo` builds a believable organisation in southern
China (regions, territories, partners, hundreds of stores, users of every role, catalogue) with a
month of field history (visits, display checks, prices, promo stock, intel), deterministic by seed.
See `backend.demo.seed`."""
