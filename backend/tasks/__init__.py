"""tasks domain: work a manager (or HQ, for a campaign) assigns to a store — fix the display,
deliver posters, check a price, train promoters on a topic — with a due date and whether it
needs a photo. Reps get a store's open tasks by sync and complete them at a visit, offline."""
