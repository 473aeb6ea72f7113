// Protocol errors (port of sync_protocol/errors.py). Every error a peer can cause carries a stable
// machine-readable `code` (clients branch on it), a human `message`, the offending `field` as a
// path into the message (`"mutations[3].hlc"`, or null) and JSON `details`.
import { SUPPORTED_VERSIONS } from './version.js';

export class SyncError extends Error {
  static code = 'sync_error';

  constructor(message, { field = null, details = null } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = new.target.code;
    this.message = message;
    this.field = field ?? null;
    this.details = details ? { ...details } : {};
  }

  /** `{code, message}` plus `field` and `details` when there are any (the JSON form). */
  toDict() {
    const out = { code: this.code, message: this.message };
    if (this.field !== null) out.field = this.field;
    if (Object.keys(this.details).length) out.details = this.details;
    return out;
  }
}

/** A push or pull message is malformed; `field` says where. */
export class EnvelopeError extends SyncError {
  static code = 'invalid_envelope';
}

/** The client speaks a protocol version the server does not: update the app. */
export class UnsupportedVersion extends SyncError {
  static code = 'unsupported_protocol_version';

  constructor(message, { field = 'protocol_version', details = null } = {}) {
    super(message, { field, details: { supported: [...SUPPORTED_VERSIONS], ...(details || {}) } });
  }
}

/** A hybrid logical clock value is malformed or out of range. */
export class InvalidHLC extends SyncError {
  static code = 'invalid_hlc';
}

/** A clock is too far ahead of the server's. */
export class ClockDrift extends SyncError {
  static code = 'clock_drift';

  constructor(aheadMs, maxAheadMs, { field = null } = {}) {
    super(
      `clock is ${aheadMs} ms ahead of the server (at most ${maxAheadMs} ms allowed); ` +
        "set the device's date and time to automatic",
      { field, details: { ahead_ms: aheadMs, max_ahead_ms: maxAheadMs } },
    );
    this.aheadMs = aheadMs;
    this.maxAheadMs = maxAheadMs;
  }
}

/** A pull cursor cannot be decoded: drop it and pull from the beginning. */
export class InvalidCursor extends SyncError {
  static code = 'invalid_cursor';
}
