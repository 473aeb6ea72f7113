"""aftersales domain: 三包 service events at the counter (returns, exchanges, repair referrals) on
warranty cards, the fault codes they carry, and HQ's quality figures (rates per model)."""
