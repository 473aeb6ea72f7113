"""channel domain: sell-in (shipments), sell-out (warranty cards, declared reports) and the channel
stock between them, with its rollups, aging, FIFO breaks and replenishment alerts."""
