//! wazero's raw calling convention: every wasm value as `u64` (a `v128` as two, low half
//! first), for [`crate::Function::call`] and raw host functions.
//!
//! ```
//! use wz::raw;
//! assert_eq!(raw::decode_i32(raw::encode_i32(-7)), -7);
//! assert_eq!(raw::decode_f32(raw::encode_f32(1.5)), 1.5);
//! let [lo, hi] = raw::encode_v128(1 << 64 | 2);
//! assert_eq!((lo, hi), (2, 1));
//! assert_eq!(raw::decode_v128(lo, hi), 1 << 64 | 2);
//! assert_eq!(raw::decode_externref(raw::encode_externref(Some(9))), Some(9));
//! ```

/// An `i32` as a raw value (zero-extended).
///
/// ```
/// assert_eq!(wz::raw::encode_i32(-1), 0xffff_ffff);
/// ```
pub fn encode_i32(v: i32) -> u64 {
    v as u32 as u64
}

/// The `i32` in a raw value (its low 32 bits).
///
/// ```
/// assert_eq!(wz::raw::decode_i32(0xffff_ffff), -1);
/// ```
pub fn decode_i32(raw: u64) -> i32 {
    raw as u32 as i32
}

/// An `i64` as a raw value.
///
/// ```
/// assert_eq!(wz::raw::encode_i64(-1), u64::MAX);
/// ```
pub fn encode_i64(v: i64) -> u64 {
    v as u64
}

/// The `i64` in a raw value.
///
/// ```
/// assert_eq!(wz::raw::decode_i64(u64::MAX), -1);
/// ```
pub fn decode_i64(raw: u64) -> i64 {
    raw as i64
}

/// An `f32` as a raw value (its bits, zero-extended).
///
/// ```
/// assert_eq!(wz::raw::encode_f32(1.0), 0x3f80_0000);
/// ```
pub fn encode_f32(v: f32) -> u64 {
    v.to_bits() as u64
}

/// The `f32` in a raw value.
///
/// ```
/// assert_eq!(wz::raw::decode_f32(0x3f80_0000), 1.0);
/// ```
pub fn decode_f32(raw: u64) -> f32 {
    f32::from_bits(raw as u32)
}

/// An `f64` as a raw value (its bits).
///
/// ```
/// assert_eq!(wz::raw::encode_f64(2.0), 0x4000_0000_0000_0000);
/// ```
pub fn encode_f64(v: f64) -> u64 {
    v.to_bits()
}

/// The `f64` in a raw value.
///
/// ```
/// assert_eq!(wz::raw::decode_f64(0x4000_0000_0000_0000), 2.0);
/// ```
pub fn decode_f64(raw: u64) -> f64 {
    f64::from_bits(raw)
}

/// A `v128` as two raw values: low half, high half.
///
/// ```
/// assert_eq!(wz::raw::encode_v128(1 << 64 | 2), [2, 1]); // low half first
/// ```
pub fn encode_v128(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

/// The `v128` in two raw values (low half first).
///
/// ```
/// assert_eq!(wz::raw::decode_v128(2, 1), 1 << 64 | 2);
/// ```
pub fn decode_v128(lo: u64, hi: u64) -> u128 {
    lo as u128 | (hi as u128) << 64
}

/// The raw null reference (`ref.null func` or `ref.null extern`).
///
/// ```
/// assert!(wz::raw::is_null_ref(wz::raw::NULL_REF));
/// ```
pub const NULL_REF: u64 = 0;

/// Whether a raw `funcref` or `externref` is null. Non-null function references are opaque
/// handles of the runtime: pass them back to wasm as they are.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module (func $f) (elem declare func $f)
///     (func (export "some") (result funcref) (ref.func $f))
///     (func (export "none") (result funcref) (ref.null func)))"#).unwrap();
/// let some = module.exported_function("some").unwrap().call(&[]).unwrap();
/// let none = module.exported_function("none").unwrap().call(&[]).unwrap();
/// assert!(!wz::raw::is_null_ref(some[0]));
/// assert!(wz::raw::is_null_ref(none[0]));
/// ```
pub fn is_null_ref(raw: u64) -> bool {
    raw == NULL_REF
}

/// An `externref` as a raw value: `None` is null, `Some(v)` the host value `v` (at most
/// `u64::MAX - 1`; larger values cannot be told from null).
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module
///     (func (export "id") (param externref) (result externref) (local.get 0)))"#).unwrap();
/// let id = module.exported_function("id").unwrap();
/// let out = id.call(&[wz::raw::encode_externref(Some(42))]).unwrap();
/// assert_eq!(wz::raw::decode_externref(out[0]), Some(42));
/// assert_eq!(wz::raw::encode_externref(None), wz::raw::NULL_REF);
/// ```
pub fn encode_externref(v: Option<u64>) -> u64 {
    v.map_or(NULL_REF, |v| v.wrapping_add(1))
}

/// An `externref` from its raw value.
///
/// ```
/// assert_eq!(wz::raw::decode_externref(wz::raw::NULL_REF), None);
/// assert_eq!(wz::raw::decode_externref(wz::raw::encode_externref(Some(7))), Some(7));
/// ```
pub fn decode_externref(raw: u64) -> Option<u64> {
    (raw != NULL_REF).then(|| raw - 1)
}
