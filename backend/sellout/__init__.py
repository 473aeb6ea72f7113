"""sellout domain: shop stock of our phones, declared sell-out and competitors' sell-out estimates,
recorded by reps at a visit (REST and sync)."""
