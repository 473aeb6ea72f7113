"""desk: read models for the regional managers' and HQ's desk screens, assembled across domains.

A visit's whole story (check-in and out, checklist answers with their items, photos, stock
movements, prices, intel, trainings, tasks done) and the photo feed managers audit displays
with read the tables of many domains at once. The domains may import each other, but a visit
detail living in `visits` would make that domain depend on stock, intel, training, tasks and
photos (which themselves call `visits.service`), so these read models sit one layer above the
domains (`.importlinter`): they read any domain's models and scope rules, no domain reads them.
They hold no tables and no rules beyond who may see what (the domains' own scope functions).
"""
