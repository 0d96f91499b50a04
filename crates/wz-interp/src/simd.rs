//! Lane-wise helpers for the `v128` instructions.
//!
//! A `v128` is handled as a `u128` (lane 0 in the low bits, as in memory). Each helper applies a
//! scalar function to every lane; the lane type picks the lane width. These are portable Rust
//! that the compiler vectorizes where it can; the JIT uses native vector instructions instead.

use crate::num::{self, Quiet};

/// A scalar type that can be a lane of a `v128`.
pub(crate) trait Lane: Copy {
    /// The lane width in bits.
    const BITS: u32;
    /// The lane from the low `BITS` bits of `bits`.
    fn from_bits(bits: u64) -> Self;
    /// The lane's bits, zero-extended.
    fn to_bits(self) -> u64;
}

macro_rules! int_lane {
    ($($t:ty => $u:ty),*) => { $(
        impl Lane for $t {
            const BITS: u32 = <$t>::BITS;
            fn from_bits(bits: u64) -> Self {
                bits as $t
            }
            fn to_bits(self) -> u64 {
                self as $u as u64
            }
        }
    )* };
}

int_lane!(i8 => u8, u8 => u8, i16 => u16, u16 => u16, i32 => u32, u32 => u32, i64 => u64, u64 => u64);

impl Lane for f32 {
    const BITS: u32 = 32;
    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn to_bits(self) -> u64 {
        f32::to_bits(self) as u64
    }
}

impl Lane for f64 {
    const BITS: u32 = 64;
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
}

const fn lanes<T: Lane>() -> u32 {
    128 / T::BITS
}

const fn lane_mask<T: Lane>() -> u128 {
    if T::BITS == 64 {
        u64::MAX as u128
    } else {
        (1u128 << T::BITS) - 1
    }
}

/// Lane `i` of `v`.
pub(crate) fn get<T: Lane>(v: u128, i: u32) -> T {
    T::from_bits((v >> (i * T::BITS)) as u64)
}

fn put<T: Lane>(x: T, i: u32) -> u128 {
    (x.to_bits() as u128) << (i * T::BITS)
}

/// `v` with lane `i` replaced by `x`.
pub(crate) fn replace<T: Lane>(v: u128, i: u32, x: T) -> u128 {
    (v & !(lane_mask::<T>() << (i * T::BITS))) | put(x, i)
}

/// Every lane set to `x`.
pub(crate) fn splat<T: Lane>(x: T) -> u128 {
    (0..lanes::<T>()).fold(0, |r, i| r | put(x, i))
}

/// `f` applied to every lane.
pub(crate) fn map<T: Lane>(v: u128, f: impl Fn(T) -> T) -> u128 {
    (0..lanes::<T>()).fold(0, |r, i| r | put(f(get(v, i)), i))
}

/// `f` applied to every pair of lanes.
pub(crate) fn zip<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> T) -> u128 {
    (0..lanes::<T>()).fold(0, |r, i| r | put(f(get(a, i), get(b, i)), i))
}

/// Every lane all ones where `f` holds for the pair of lanes, else zero.
pub(crate) fn cmp<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    (0..lanes::<T>()).fold(0, |r, i| {
        if f(get(a, i), get(b, i)) {
            r | lane_mask::<T>() << (i * T::BITS)
        } else {
            r
        }
    })
}

/// Lanes of type `D` from lanes `from..` of `v` converted by `f`, as many as both sides have;
/// the remaining lanes are zero.
pub(crate) fn convert<S: Lane, D: Lane>(v: u128, from: u32, f: impl Fn(S) -> D) -> u128 {
    let count = lanes::<D>().min(lanes::<S>() - from);
    (0..count).fold(0, |r, i| r | put(f(get(v, from + i)), i))
}

/// Like [`convert`] for pairs of lanes at the same positions of `a` and `b`.
pub(crate) fn convert2<S: Lane, D: Lane>(
    a: u128,
    b: u128,
    from: u32,
    f: impl Fn(S, S) -> D,
) -> u128 {
    let count = lanes::<D>().min(lanes::<S>() - from);
    (0..count).fold(0, |r, i| r | put(f(get(a, from + i), get(b, from + i)), i))
}

/// Lane `i` of the result is `f(lane 2i, lane 2i+1)` of `v` (the result lanes are twice as
/// wide).
pub(crate) fn pairwise<S: Lane, D: Lane>(v: u128, f: impl Fn(S, S) -> D) -> u128 {
    (0..lanes::<D>()).fold(0, |r, i| r | put(f(get(v, 2 * i), get(v, 2 * i + 1)), i))
}

/// The lanes of `a` then the lanes of `b`, each narrowed by `f` (the result lanes are half as
/// wide).
pub(crate) fn narrow<S: Lane, D: Lane>(a: u128, b: u128, f: impl Fn(S) -> D) -> u128 {
    let n = lanes::<S>();
    (0..n).fold(0, |r, i| {
        r | put(f(get(a, i)), i) | put(f(get(b, i)), n + i)
    })
}

/// The top bit of every lane, lane 0 in bit 0.
pub(crate) fn bitmask<T: Lane>(v: u128) -> u32 {
    (0..lanes::<T>()).fold(0, |r, i| {
        r | (((get::<T>(v, i).to_bits() >> (T::BITS - 1)) & 1) as u32) << i
    })
}

/// Whether every lane is non-zero.
pub(crate) fn all_true<T: Lane>(v: u128) -> bool {
    (0..lanes::<T>()).all(|i| get::<T>(v, i).to_bits() != 0)
}

/// `i8x16.swizzle`: lane `i` is lane `s[i]` of `a`, or zero when that index is 16 or more.
pub(crate) fn swizzle(a: u128, s: u128) -> u128 {
    let (a, s) = (a.to_le_bytes(), s.to_le_bytes());
    let out: [u8; 16] = std::array::from_fn(|i| a.get(s[i] as usize).copied().unwrap_or(0));
    u128::from_le_bytes(out)
}

/// `i8x16.shuffle`: lane `i` is lane `m[i]` of the 32 lanes of `a` followed by `b`.
pub(crate) fn shuffle(a: u128, b: u128, m: u128) -> u128 {
    let (a, b, m) = (a.to_le_bytes(), b.to_le_bytes(), m.to_le_bytes());
    let out: [u8; 16] = std::array::from_fn(|i| {
        let k = (m[i] & 31) as usize;
        if k < 16 { a[k] } else { b[k - 16] }
    });
    u128::from_le_bytes(out)
}

/// `i16x8.q15mulr_sat_s` on one lane.
pub(crate) fn q15mulr(a: i16, b: i16) -> i16 {
    ((a as i32 * b as i32 + 0x4000) >> 15).clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// `i32x4.dot_i16x8_s`.
pub(crate) fn dot(a: u128, b: u128) -> u128 {
    (0..4).fold(0, |r, i| {
        let lo = get::<i16>(a, 2 * i) as i32 * get::<i16>(b, 2 * i) as i32;
        let hi = get::<i16>(a, 2 * i + 1) as i32 * get::<i16>(b, 2 * i + 1) as i32;
        r | put(lo.wrapping_add(hi), i)
    })
}

/// Float lane operations with WebAssembly's NaN and signed-zero rules.
pub(crate) mod float {
    use super::*;

    macro_rules! float_ops {
        ($f:ty, $min:ident, $max:ident) => {
            impl FloatLane for $f {
                fn wasm_min(self, b: Self) -> Self {
                    num::$min(self, b)
                }
                fn wasm_max(self, b: Self) -> Self {
                    num::$max(self, b)
                }
                fn ceil_q(self) -> Self {
                    self.ceil().quiet_nan()
                }
                fn floor_q(self) -> Self {
                    self.floor().quiet_nan()
                }
                fn trunc_q(self) -> Self {
                    self.trunc().quiet_nan()
                }
                fn nearest_q(self) -> Self {
                    self.round_ties_even().quiet_nan()
                }
                fn sqrt_q(self) -> Self {
                    self.sqrt().quiet_nan()
                }
            }
        };
    }

    /// The float lane operations that need more than a Rust operator.
    pub(crate) trait FloatLane: Lane + PartialOrd {
        fn wasm_min(self, b: Self) -> Self;
        fn wasm_max(self, b: Self) -> Self;
        fn ceil_q(self) -> Self;
        fn floor_q(self) -> Self;
        fn trunc_q(self) -> Self;
        fn nearest_q(self) -> Self;
        fn sqrt_q(self) -> Self;
    }

    float_ops!(f32, f32_min, f32_max);
    float_ops!(f64, f64_min, f64_max);

    /// `pmin`: `b < a ? b : a`.
    pub(crate) fn pmin<T: FloatLane>(a: T, b: T) -> T {
        if b < a { b } else { a }
    }

    /// `pmax`: `a < b ? b : a`.
    pub(crate) fn pmax<T: FloatLane>(a: T, b: T) -> T {
        if a < b { b } else { a }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip() {
        let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        assert_eq!(get::<u8>(v, 0), 0);
        assert_eq!(get::<u8>(v, 15), 15);
        assert_eq!(get::<u16>(v, 1), 0x0302);
        assert_eq!(get::<u64>(v, 1), 0x0f0e_0d0c_0b0a_0908);
        assert_eq!(replace::<u8>(v, 3, 0xff), v | 0xfc << 24);
        assert_eq!(map::<u8>(v, |x| x), v);
        assert_eq!(map::<u64>(v, |x| x), v);
        assert_eq!(splat::<u32>(7), 0x7_0000_0007_0000_0007_0000_0007);
    }

    #[test]
    fn comparisons_fill_lanes() {
        let a = splat::<i16>(-1);
        let b = splat::<i16>(1);
        assert_eq!(cmp::<i16>(a, b, |x, y| x < y), u128::MAX);
        assert_eq!(cmp::<u16>(a, b, |x, y| x < y), 0);
    }

    #[test]
    fn narrowing_and_widening() {
        let a = splat::<i16>(300);
        let b = splat::<i16>(-300);
        let n = narrow::<i16, i8>(a, b, |x| x.clamp(-128, 127) as i8);
        assert_eq!(get::<i8>(n, 0), 127);
        assert_eq!(get::<i8>(n, 15), -128);
        let w = convert::<i8, i16>(n, 8, |x| x as i16);
        assert_eq!(w, splat::<i16>(-128));
        assert_eq!(bitmask::<i8>(n), 0xff00);
        assert!(all_true::<i8>(n));
        assert!(!all_true::<i8>(replace::<i8>(n, 4, 0)));
    }

    #[test]
    fn shuffles() {
        let a = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        let b = a + splat::<u8>(16);
        let reverse = u128::from_le_bytes(std::array::from_fn(|i| 31 - i as u8));
        let r = shuffle(a, b, reverse);
        assert_eq!(get::<u8>(r, 0), 31);
        assert_eq!(get::<u8>(r, 15), 16);
        let idx = u128::from_le_bytes(std::array::from_fn(
            |i| if i == 0 { 200 } else { 15 - i as u8 },
        ));
        let s = swizzle(a, idx);
        assert_eq!(get::<u8>(s, 0), 0);
        assert_eq!(get::<u8>(s, 1), 14);
    }
}
