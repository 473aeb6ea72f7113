// The HTTP client of the PWA: same-origin `/api/v1/...`, bearer token, JSON errors → ApiError.
//
// Every failure is an `ApiError {status, code, message, field, details, errors, retryAfter}`:
// `code` is the body's machine-readable `error` (e.g. `not_found`, `mutation_gap`) or, failing
// that, the HTTP status name in snake_case (`not_found`, `method_not_allowed`); a request that
// never got an answer (offline, DNS, connection reset) is `{status: 0, code: 'network'}`.
// UI code does not call `fetch` for the data a user records: it goes through db/ and sync/. HQ's
// desktop screens (online only) call the REST functions at the end of this file.
// No answer is kept in the browser's HTTP cache (`cache: 'no-store'`): the user's data must live
// only where signing out removes it (db/wipe.js). The token is kept in memory only (and in the
// local database's session, which signing out deletes).

const CHUNK_BYTES = 256 * 1024;

const config = {
  baseUrl: '/api/v1',
  fetch: (...args) => globalThis.fetch(...args),
};
let token = null;

/** Point the client elsewhere (tests, tools): `{baseUrl, fetch}`. */
export function configure({ baseUrl, fetch } = {}) {
  if (baseUrl !== undefined) config.baseUrl = baseUrl.replace(/\/$/, '');
  if (fetch !== undefined) config.fetch = fetch;
}

/** Use `t` as the bearer token of every request from now on (null: none). */
export function setToken(t) {
  token = t || null;
}

/** The bearer token in use, or null. */
export function getToken() {
  return token;
}

export class ApiError extends Error {
  constructor({
    status,
    code,
    message,
    field = null,
    details = null,
    errors = null,
    retryAfter = null,
    reason = null,
    params = null,
  }) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.message = message || code;
    this.field = field;
    this.details = details;
    this.errors = errors;
    this.retryAfter = retryAfter; // seconds, from a Retry-After header
    this.reason = reason; // which rule refused (backend/core/reasons.py), said by i18n reasonText
    this.params = params; // its numbers and names
  }

  /** No answer at all (offline, connection dropped). */
  get isNetwork() {
    return this.status === 0;
  }

  /** Worth retrying later as it was: no answer, a server failure, or rate limiting. */
  get isTransient() {
    return this.status === 0 || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

const snake = (text) =>
  String(text)
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/** The first field named in an error body (`errors.json.<field>` / `errors.query.<field>`). */
function firstField(body) {
  if (typeof body?.field === 'string') return body.field;
  const errors = body?.errors;
  if (!errors || typeof errors !== 'object') return null;
  for (const location of ['json', 'query', 'path', 'form', 'headers']) {
    const fields = errors[location];
    if (fields && typeof fields === 'object') {
      const key = Object.keys(fields)[0];
      if (key !== undefined) return key;
    }
  }
  return null;
}

function retryAfterOf(response) {
  const value = response.headers?.get?.('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

const STATUS_NAMES = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'invalid',
  429: 'too_many_requests',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

async function errorFrom(response) {
  let body = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  // The server's error body: {code (machine code), status, message, field, errors, details,
  // reason, params}.
  // Another answer (a proxy's 502 page) gets a code from its status.
  return new ApiError({
    status: response.status,
    code:
      (typeof body?.code === 'string' && body.code) ||
      STATUS_NAMES[response.status] ||
      (response.statusText && snake(response.statusText)) ||
      `http_${response.status}`,
    message: body?.message || response.statusText || `HTTP ${response.status}`,
    field: firstField(body),
    details: body?.details ?? null,
    errors: body?.errors ?? null,
    retryAfter: retryAfterOf(response),
    reason: typeof body?.reason === 'string' ? body.reason : null,
    params: body?.params && typeof body.params === 'object' ? body.params : null,
  });
}

/**
 * One request to `/api/v1${path}`. `json` is sent as a JSON body; `body` as is (with
 * `contentType`; a FormData body sets its own multipart type). Resolves to the parsed JSON
 * answer (null for an empty one); rejects with ApiError.
 */
export async function request(method, path, options = {}) {
  return (await send(method, path, options)).data;
}

/**
 * A page of a paginated list: `{items, pagination}`, `pagination` being the `X-Pagination`
 * header (`{total, total_pages, page, page_size?, …}`; null when the server sent none).
 */
export async function requestPage(path, { query, signal } = {}) {
  const { data, response } = await send('GET', path, { query, signal });
  let pagination = null;
  try {
    const header = response.headers?.get?.('X-Pagination');
    pagination = header ? JSON.parse(header) : null;
  } catch {
    pagination = null;
  }
  return { items: Array.isArray(data) ? data : (data?.items ?? []), pagination };
}

async function send(method, path, { json, body, contentType, query, signal, headers = {} } = {}) {
  let url = config.baseUrl + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    const qs = params.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body !== undefined && contentType) {
    h['Content-Type'] = contentType;
  }
  let response;
  try {
    response = await config.fetch(url, {
      method,
      headers: h,
      body: payload,
      signal,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (exc) {
    if (exc?.name === 'AbortError') throw exc;
    throw new ApiError({ status: 0, code: 'network', message: exc?.message || 'Network error' });
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return { data: null, response };
  let text;
  try {
    text = await response.text();
  } catch (exc) {
    // The answer was cut off: as far as we know nothing arrived.
    throw new ApiError({ status: 0, code: 'network', message: exc?.message || 'Network error' });
  }
  if (!text) return { data: null, response };
  try {
    return { data: JSON.parse(text), response };
  } catch {
    throw new ApiError({
      status: response.status,
      code: 'invalid_response',
      message: 'The server answered something that is not JSON.',
    });
  }
}

// --- auth ---------------------------------------------------------------------------------------

/** Log in: `{token, token_type, expires_at, user}`; the token is used from now on. */
export async function login(username, password) {
  const res = await request('POST', '/auth/login', { json: { username, password } });
  setToken(res.token);
  return res;
}

/** Revoke the token (best effort: offline, the token is only forgotten locally). */
export async function logout() {
  try {
    if (token) await request('POST', '/auth/logout');
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
  } finally {
    setToken(null);
  }
}

/** The logged-in user. */
export function me() {
  return request('GET', '/auth/me');
}

// --- sync ---------------------------------------------------------------------------------------

/** POST /sync/push with a body made by protocol/envelope.js `buildPush`. */
export function push(body, { signal } = {}) {
  return request('POST', '/sync/push', { json: body, signal });
}

/** GET /sync/pull: one page of changes since `cursor` (none: a snapshot). */
export function pull({ cursor = null, limit = null, clientId = null } = {}, { signal } = {}) {
  return request('GET', '/sync/pull', { query: { cursor, limit, client_id: clientId }, signal });
}

// --- photos -------------------------------------------------------------------------------------

async function bytesOf(blob) {
  if (blob instanceof Uint8Array) return blob;
  if (blob instanceof ArrayBuffer) return new Uint8Array(blob);
  return new Uint8Array(await blob.arrayBuffer());
}

function sliceOf(blob, start, end) {
  if (blob instanceof Uint8Array) return blob.subarray(start, end);
  if (blob instanceof ArrayBuffer) return new Uint8Array(blob, start, end - start);
  return blob.slice(start, end);
}

function sizeOf(blob) {
  return blob.size ?? blob.byteLength ?? blob.length;
}

/** One-shot upload: `PUT /photos/{id}?sha256=…` with the bytes as the body. */
export async function putPhoto(photo, onProgress) {
  const size = photo.size ?? sizeOf(photo.blob);
  const body = photo.blob instanceof Blob ? photo.blob : await bytesOf(photo.blob);
  const res = await request('PUT', `/photos/${encodeURIComponent(photo.id)}`, {
    query: { sha256: photo.sha256 },
    body,
    contentType: photo.blob?.type || 'image/jpeg',
  });
  onProgress?.(size, size);
  return res;
}

/**
 * Upload a stored photo `{id, blob, sha256, size}` with the resumable protocol (SPEC.md §I.5):
 * POST starts (or finds) the upload and says the server's offset, PATCHes send chunks of 256 KiB
 * from there; a 409 carries the server's offset in `details.offset` and the upload resumes from
 * it. A sha256 mismatch at the end discards the server's copy: the upload starts again (once).
 * Where the resumable endpoints are not deployed (404/405 on POST) the one-shot PUT is used.
 * `onProgress(bytesDone, bytesTotal)` is called as bytes are acknowledged. Resolves to the
 * server's answer (the photo's metadata or the final upload status).
 */
export async function uploadPhoto(photo, onProgress, { chunkBytes = CHUNK_BYTES } = {}) {
  const size = photo.size ?? sizeOf(photo.blob);
  const path = `/photos/${encodeURIComponent(photo.id)}/upload`;
  let restarts = 0;
  for (;;) {
    let status;
    try {
      status = await request('POST', path, { json: { sha256: photo.sha256, size } });
    } catch (exc) {
      if (exc instanceof ApiError && (exc.status === 404 || exc.status === 405)) return putPhoto(photo, onProgress);
      throw exc;
    }
    if (status?.complete) {
      onProgress?.(size, size);
      return status;
    }
    let offset = Number(status?.offset ?? 0);
    onProgress?.(offset, size);
    let restart = false;
    while (!restart) {
      const end = Math.min(offset + chunkBytes, size);
      let res;
      try {
        res = await request('PATCH', path, {
          query: { offset },
          body: sliceOf(photo.blob, offset, end),
          contentType: 'application/octet-stream',
        });
      } catch (exc) {
        if (!(exc instanceof ApiError)) throw exc;
        if (exc.status === 409 && Number.isInteger(exc.details?.offset)) {
          offset = exc.details.offset; // the server has another offset: resume from there
          onProgress?.(offset, size);
          continue;
        }
        if ((exc.status === 422 && exc.field === 'sha256') || exc.status === 404) {
          // The server discarded the upload (checksum mismatch, or abandoned and cleaned up).
          if (restarts++ >= 1) throw exc;
          restart = true;
          continue;
        }
        throw exc;
      }
      if (res && res.complete === false && Number.isInteger(res.offset)) {
        offset = res.offset;
        onProgress?.(offset, size);
        continue;
      }
      // 200/201: the photo is stored (PhotoSchema), or an upload status saying complete.
      onProgress?.(size, size);
      return res;
    }
  }
}

// --- HQ (online only: desktop screens) ------------------------------------------------------------

const pageQuery = ({ page, pageSize } = {}) => ({ page, page_size: pageSize });

/** Upload a shipment CSV (multipart field `file`): the import `{id, status: 'queued', …}` (202). */
export function uploadShipmentImport(file, { signal } = {}) {
  const form = new FormData();
  form.append('file', file, file?.name || 'shipments.csv');
  return request('POST', '/shipment-imports', { body: form, signal });
}

/** Shipment imports, newest first: `{items, pagination}`. */
export function shipmentImports(paging = {}) {
  return requestPage('/shipment-imports', { query: pageQuery(paging) });
}

/** One shipment import (poll it while `queued` / `running`). */
export function shipmentImport(id) {
  return request('GET', `/shipment-imports/${encodeURIComponent(id)}`);
}

/** The bad rows of an import `{line, reason, raw}`: `{items, pagination}`. */
export function shipmentImportErrors(id, paging = {}) {
  return requestPage(`/shipment-imports/${encodeURIComponent(id)}/errors`, { query: pageQuery(paging) });
}

/** Flagged (diverted) units counted `by` partner | shipped_region | sold_region | model:
 * `[{id, name, count}]`, largest first. `filters`: partner_id, shipped_region_id, sold_region_id, product_id. */
export function diversionSummary(by, filters = {}) {
  return request('GET', '/diversion/summary', { query: { by, ...filters } });
}

/** The diversion flags matching `filters`: `{items, pagination}`. */
export function diversionFlags(filters = {}, paging = {}) {
  return requestPage('/diversion/flags', { query: { ...filters, ...pageQuery(paging) } });
}

/** Warranty cards (HQ: every store, buyers masked), e.g. `{imei}`: `{items, pagination}`. */
export function warrantyCards({ imei, ...paging } = {}) {
  return requestPage('/warranty-cards', { query: { imei, ...pageQuery(paging) } });
}

/** Void a warranty card (HQ), giving the reason. */
export function voidCard(id, reason) {
  return request('POST', `/warranty-cards/${encodeURIComponent(id)}/void`, { json: { reason } });
}

// --- HQ: market intelligence (online only) -------------------------------------------------------

/** Price trends `[{period, period_start, model_key, model, brand, ours, n, n_promo, median, min, max, mean}]`.
 * `filters`: period (week | day), since, until, region_id (none: nationwide), brand_id, product_id, with_rivals, competitor_model_id. */
export function marketPriceTrends(filters = {}, { signal } = {}) {
  return request('GET', '/market/price-trends', { query: filters, signal });
}

/** Price-drop alerts, newest first: `{items, pagination}`. `filters`: acknowledged, region_id, brand_id, period. */
export function marketAlerts(filters = {}, paging = {}) {
  return requestPage('/market/alerts', { query: { ...filters, ...pageQuery(paging) } });
}

/** How many alerts nobody acknowledged yet. */
export async function marketUnacknowledgedCount() {
  const { items, pagination } = await requestPage('/market/alerts', { query: { acknowledged: false, page_size: 1 } });
  return pagination && Number.isFinite(Number(pagination.total)) ? Number(pagination.total) : items.length;
}

/** One alert with its evidence: `previous_observations`, `observations` (with `store_name`, `photo_ids`). */
export function marketAlert(id) {
  return request('GET', `/market/alerts/${encodeURIComponent(id)}`);
}

/** Acknowledge an alert (HQ): the alert. */
export function acknowledgeAlert(id) {
  return request('POST', `/market/alerts/${encodeURIComponent(id)}/acknowledge`);
}

/** Promotions seen on shelves, newest first: `{items, pagination}`. `filters`: region_id, brand_id, since, until. */
export function marketPromotions(filters = {}, paging = {}) {
  return requestPage('/market/promotions', { query: { ...filters, ...pageQuery(paging) } });
}

/** Store openings, new stores, closings and moves (at most 2,000). `filters`: region_id, kind, since, until. */
export function marketStoreChanges(filters = {}) {
  return request('GET', '/market/store-changes', { query: filters });
}

/** Promo materials delivered / used / returned by region with the cost used. `filters`: region_id, since, until. */
export function marketMaterialUse(filters = {}) {
  return request('GET', '/market/material-use', { query: filters });
}

/** A stored photo's JPEG as a Blob (the bearer token is needed, so no plain <img src>):
 * `variant` thumb (≤320 px) | display (≤1600 px) | full. A photo not processed yet is a 409. */
export async function photoFile(id, variant = 'thumb', { signal } = {}) {
  const url = `${config.baseUrl}/photos/${encodeURIComponent(id)}/file?variant=${encodeURIComponent(variant)}`;
  const headers = { Accept: 'image/jpeg' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await config.fetch(url, {
      method: 'GET',
      headers,
      signal,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (exc) {
    if (exc?.name === 'AbortError') throw exc;
    throw new ApiError({ status: 0, code: 'network', message: exc?.message || 'Network error' });
  }
  if (!response.ok) throw await errorFrom(response);
  return response.blob();
}
