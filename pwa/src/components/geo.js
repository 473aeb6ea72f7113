// The phone's position and distances (great-circle; the server measures geodesic distances with
// geopy, which differ by well under 1 % at store scale).
import { t } from '../i18n/index.js';

export const OFFSITE_THRESHOLD_M = 150;
// However poor the fix, farther than this is off-site (the server's OFFSITE_MAX_ALLOWANCE_M).
export const OFFSITE_MAX_ALLOWANCE_M = 500;

export function getPosition({ timeout = 15000, maximumAge = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    if (typeof navigator === 'undefined' || !navigator.geolocation) {
      reject(new Error('geolocation unavailable'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          latitude: p.coords.latitude,
          longitude: p.coords.longitude,
          accuracy: Math.max(0, Math.round((p.coords.accuracy ?? 0) * 10) / 10),
          at: p.timestamp,
        }),
      (err) => reject(err),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

export function distanceM(a, b) {
  if (!a || !b) return null;
  const lat1 = Number(a.latitude);
  const lat2 = Number(b.latitude);
  const lon1 = Number(a.longitude);
  const lon2 = Number(b.longitude);
  if (![lat1, lat2, lon1, lon2].every(Number.isFinite)) return null;
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Off-site when further than max(accuracy, 150 m), capped at 500 m: the rule the server flags
 * visits with. */
export function offSiteLimit(accuracy) {
  return Math.min(
    Math.max(Number(accuracy) || 0, OFFSITE_THRESHOLD_M),
    Math.max(OFFSITE_MAX_ALLOWANCE_M, OFFSITE_THRESHOLD_M),
  );
}

export function isOffSite(distance, accuracy) {
  return distance !== null && distance > offSiteLimit(accuracy);
}

export function positionError(err) {
  if (!err) return '';
  if (err.code === 1) return t('geo.denied');
  if (err.code === 2) return t('geo.unavailable');
  if (err.code === 3) return t('geo.timeout');
  return err.message || String(err);
}
