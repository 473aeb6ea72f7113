// The quality and training-coverage REST calls (GET /api/v1/quality/…, /training/…; HQ sees every
// region, a manager the server scopes to theirs), on top of the app's HTTP client (`request` of
// src/api.js: bearer token, JSON errors → ApiError). Each answers a plain list.
import { request } from '../../api.js';

const list = (path, query) => request('GET', path, { query }).then((rows) => (Array.isArray(rows) ? rows : []));

/** Units sold, returns, exchanges, repairs and their rates per 1,000 per model, with the top
 * faults. `query`: since, until (purchase dates), region_id. */
export const models = (query) => list('/quality/models', query);

/** One model's weeks (by purchase week): `query` product_id, region_id, weeks. */
export const weekly = (query) => list('/quality/weekly', query);

/** One model by region: `query` product_id, since, until. */
export const regions = (query) => list('/quality/regions', query);

/** The early-life alerts raised (models in their first weeks whose returns and exchanges per 1,000
 * exceeded the threshold), worst rate first. `query`: region_id (none: every region in scope),
 * acknowledged ('false': those nobody acknowledged yet; none: all). */
export const alerts = (query) => list('/quality/alerts', query);

/** Acknowledge an early-life alert (HQ, an admin, the manager of its region); 409 when someone
 * already did. Answers the alert. */
export const acknowledge = (id) => request('POST', `/quality/alerts/${encodeURIComponent(id)}/acknowledge`);

/** Each current training topic: stores and promoters trained, the average quiz score, by region.
 * `query`: region_id, topic_id. */
export const coverage = (query) => list('/training/coverage', query);

/** Stores with a new model on the shelf and no training on it. `query`: region_id. */
export const gaps = (query) => list('/training/gaps', query);
