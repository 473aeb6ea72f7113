// Protocol version constants (port of sync_protocol/version.py).
/** The version this code speaks and writes into messages it produces. */
export const PROTOCOL_VERSION = 1;
/** Versions a server accepts. */
export const SUPPORTED_VERSIONS = Object.freeze([1]);
