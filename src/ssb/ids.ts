// The shapes of SSB ids, for checks anywhere (no library needed).

/** A blob's id: `&`, the base64 of its sha256, `.sha256`. */
export const BLOB_ID = /^&[A-Za-z0-9+/]{43}=\.sha256$/;
/** A feed's id: `@`, the base64 of its ed25519 public key, `.ed25519`. */
export const FEED_ID = /^@[A-Za-z0-9+/]{43}=\.ed25519$/;
