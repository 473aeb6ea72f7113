// Pure pieces of the new-store review (tested in reports.test.js).

// The server's defaults (DUPLICATE_STORE_RADIUS_M, INTEL_DUPLICATE_RADIUS_M), for a report sent
// by a server that does not say its rule.
const DEFAULT_RULE = { any_name_m: 30, similar_name_m: 100 };

/** The duplicate rule a report's candidates were found by: `{near, far}` in metres. */
export function dupRule(report) {
  const r = report?.duplicate_radii || DEFAULT_RULE;
  return {
    near: Math.round(r.any_name_m ?? DEFAULT_RULE.any_name_m),
    far: Math.round(r.similar_name_m ?? DEFAULT_RULE.similar_name_m),
  };
}

/** Why a candidate is one: 'close' (within the small radius, whatever its name) or 'similarName'. */
export function whyCandidate(candidate, rule) {
  return Number(candidate.distance_m) <= rule.near ? 'close' : 'similarName';
}
