//! The generic serde codec: the only place of the workspace that calls bincode.
//!
//! The configuration is frozen: little-endian, fixed-width integers (a `u64` is always eight
//! bytes, a length is a `u64`), no size limit beyond the caller's. Fixed widths make the stored
//! bytes easy to describe to an auditor (see `GUARANTEES.md`) and cheap to decode.
//!
//! bincode's serde mode has no `deserialize_any`: types encoded here must not use `untagged`,
//! `flatten`, internally tagged enums, `skip_serializing_if` or `serde_json::Value`. Never
//! reorder, rename or remove fields or variants of an encoded type: add a schema version instead.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

type Config = bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Fixint,
    bincode::config::NoLimit,
>;

const CONFIG: Config = bincode::config::standard()
    .with_little_endian()
    .with_fixed_int_encoding()
    .with_no_limit();

/// The same encoding, read with a bound on what a length may claim ([`decode_bounded`]).
const DECODE_CONFIG: bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Fixint,
    bincode::config::Limit<{ 1 << 30 }>,
> = CONFIG.with_limit::<{ 1 << 30 }>();

/// Encodes a value with the frozen configuration.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    bincode::serde::encode_to_vec(value, CONFIG)
        .map_err(|e| Error::InvalidInput(format!("cannot encode value: {e}")))
}

/// Appends the encoding of a value to `out` (saves an allocation on hot paths).
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    bincode::serde::encode_into_std_write(value, out, CONFIG)
        .map(|_| ())
        .map_err(|e| Error::InvalidInput(format!("cannot encode value: {e}")))
}

/// Decodes a value encoded by [`encode`]; trailing bytes are an error, because they mean the
/// bytes were written for another type. For bytes whose lengths can be trusted (records whose
/// hash chain `verify` checks, snapshots whose checksum was checked): a damaged length could
/// ask for an absurd allocation; use [`decode_bounded`] for bytes without such a check.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    decode_with(bytes, CONFIG)
}

/// [`decode`] with a bound on what a length may claim (1 GiB; nothing stored comes near it):
/// damaged bytes that claim a huge string are an error instead of an allocation that aborts
/// the process. Slower (every read is counted): for the text files and the file-kept trees,
/// which nothing else checks before they are decoded.
pub fn decode_bounded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    decode_with(bytes, DECODE_CONFIG)
}

fn decode_with<T: DeserializeOwned>(
    bytes: &[u8],
    config: impl bincode::config::Config,
) -> Result<T, Error> {
    let (value, read) = bincode::serde::decode_from_slice(bytes, config)
        .map_err(|e| Error::InvalidInput(format!("cannot decode value: {e}")))?;
    if read != bytes.len() {
        return Err(Error::InvalidInput(format!(
            "cannot decode value: {} trailing bytes",
            bytes.len() - read
        )));
    }
    Ok(value)
}

/// Serializes a `Vec<u8>` as bytes (length, then the bytes) rather than as a sequence of
/// integers, so that decoding is one copy instead of a loop. The encoding is the same for
/// bincode; only the speed differs.
pub(crate) mod bytes {
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}
