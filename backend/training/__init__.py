"""training domain: HQ's training topics (with an optional quiz) and the sessions reps hold for
a store's promoters (导购员) at a visit, with each promoter's quiz score; coverage for HQ and
managers."""
