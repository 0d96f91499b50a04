//! Numeric semantics that differ from Rust's operators.

use wz_ir::TrapCode;

macro_rules! minmax {
    ($min:ident, $max:ident, $f:ty) => {
        /// `fN.min`: NaN if either operand is NaN; -0 is less than +0.
        pub fn $min(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$f>::from_bits(a.to_bits() | b.to_bits())
            } else {
                a.min(b)
            }
        }

        /// `fN.max`: NaN if either operand is NaN; +0 is greater than -0.
        pub fn $max(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$f>::from_bits(a.to_bits() & b.to_bits())
            } else {
                a.max(b)
            }
        }
    };
}

minmax!(f32_min, f32_max, f32);
minmax!(f64_min, f64_max, f64);

/// Float operations whose result may be a NaN operand passed through unchanged (rounding,
/// `sqrt` in software): WebAssembly requires the result NaN to be quiet.
pub trait Quiet {
    /// `self` with the quiet bit set if it is a NaN.
    fn quiet_nan(self) -> Self;
}

impl Quiet for f32 {
    fn quiet_nan(self) -> f32 {
        if self.is_nan() {
            f32::from_bits(self.to_bits() | 0x0040_0000)
        } else {
            self
        }
    }
}

impl Quiet for f64 {
    fn quiet_nan(self) -> f64 {
        if self.is_nan() {
            f64::from_bits(self.to_bits() | 0x0008_0000_0000_0000)
        } else {
            self
        }
    }
}

/// See [`Quiet`].
pub fn quiet<T: Quiet>(x: T) -> T {
    x.quiet_nan()
}

macro_rules! trunc {
    ($name:ident, $to:ty, $lo:expr, $hi:expr) => {
        /// Trapping float-to-integer truncation: NaN and out-of-range values trap.
        pub fn $name(x: f64) -> Result<$to, TrapCode> {
            if x.is_nan() {
                Err(TrapCode::InvalidConversionToInteger)
            } else if x > $lo && x < $hi {
                Ok(x as $to)
            } else {
                Err(TrapCode::IntegerOverflow)
            }
        }
    };
}

trunc!(trunc_i32, i32, -2147483649.0, 2147483648.0);
trunc!(trunc_u32, u32, -1.0, 4294967296.0);
trunc!(
    trunc_i64,
    i64,
    -9223372036854777856.0,
    9223372036854775808.0
);
trunc!(trunc_u64, u64, -1.0, 18446744073709551616.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_signed_zero_and_nan() {
        assert!(f32_min(0.0, -0.0).is_sign_negative());
        assert!(f32_max(-0.0, 0.0).is_sign_positive());
        assert!(f64_min(f64::NAN, 1.0).is_nan());
        assert_eq!(f64_max(1.0, 2.0), 2.0);
    }

    #[test]
    fn truncation_edges() {
        assert_eq!(trunc_i32(-2147483648.9), Ok(i32::MIN));
        assert_eq!(trunc_i32(2147483648.0), Err(TrapCode::IntegerOverflow));
        assert_eq!(trunc_u32(-0.99), Ok(0));
        assert_eq!(trunc_u32(-1.0), Err(TrapCode::IntegerOverflow));
        assert_eq!(trunc_i64(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(
            trunc_i64(9223372036854775808.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(
            trunc_u64(f64::NAN),
            Err(TrapCode::InvalidConversionToInteger)
        );
    }
}
