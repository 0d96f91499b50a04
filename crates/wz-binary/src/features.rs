use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// The set of WebAssembly core features a module may use (wazero's `CoreFeatures`).
///
/// The default is Wasm 2.0: every feature listed here. [`Features::V1`] is the 1.0 specification
/// plus mutable globals, as in wazero.
///
/// ```
/// use wz_binary::Features;
/// let f = Features::V1 | Features::SIGN_EXTENSION;
/// assert!(f.contains(Features::MUTABLE_GLOBAL));
/// assert!(!f.contains(Features::SIMD));
/// assert_eq!(Features::default(), Features::V2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features(u32);

impl Features {
    /// The set as bits (stable: each feature's bit never changes), for cache keys.
    ///
    /// ```
    /// use wz_binary::Features;
    /// assert_eq!(Features::V1.bits(), 1);
    /// assert_eq!(Features::V2.bits(), 0x7f);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// No feature beyond the 1.0 MVP (not even mutable globals).
    ///
    /// ```
    /// assert!(!wz_binary::Features::NONE.contains(wz_binary::Features::MUTABLE_GLOBAL));
    /// ```
    pub const NONE: Features = Features(0);
    /// Import and export of mutable globals.
    ///
    /// ```
    /// assert!(wz_binary::Features::V1.contains(wz_binary::Features::MUTABLE_GLOBAL));
    /// ```
    pub const MUTABLE_GLOBAL: Features = Features(1 << 0);
    /// `i32.extend8_s` and friends.
    ///
    /// ```
    /// assert!(wz_binary::Features::V2.contains(wz_binary::Features::SIGN_EXTENSION));
    /// ```
    pub const SIGN_EXTENSION: Features = Features(1 << 1);
    /// `i32.trunc_sat_f32_s` and friends.
    ///
    /// ```
    /// assert!(!wz_binary::Features::V1.contains(wz_binary::Features::SATURATING_FLOAT_TO_INT));
    /// ```
    pub const SATURATING_FLOAT_TO_INT: Features = Features(1 << 2);
    /// Multiple results from functions and blocks; block parameters.
    ///
    /// ```
    /// assert!(wz_binary::Features::V2.contains(wz_binary::Features::MULTI_VALUE));
    /// ```
    pub const MULTI_VALUE: Features = Features(1 << 3);
    /// `memory.copy`, `memory.fill`, passive segments, `memory.init`, ...
    ///
    /// ```
    /// assert!(wz_binary::Features::V2.contains(wz_binary::Features::BULK_MEMORY));
    /// ```
    pub const BULK_MEMORY: Features = Features(1 << 4);
    /// `funcref`/`externref` values, several tables, table instructions.
    ///
    /// ```
    /// assert!(wz_binary::Features::V2.contains(wz_binary::Features::REFERENCE_TYPES));
    /// ```
    pub const REFERENCE_TYPES: Features = Features(1 << 5);
    /// 128-bit fixed-width SIMD (`v128`).
    ///
    /// ```
    /// use wz_binary::Features;
    /// let no_simd = Features::V2.without(Features::SIMD);
    /// assert!(!no_simd.contains(Features::SIMD));
    /// ```
    pub const SIMD: Features = Features(1 << 6);
    /// WebAssembly 1.0 as wazero defines it: the MVP plus mutable globals.
    ///
    /// ```
    /// assert_eq!(wz_binary::Features::V1, wz_binary::Features::MUTABLE_GLOBAL);
    /// ```
    pub const V1: Features = Features::MUTABLE_GLOBAL;
    /// WebAssembly 2.0: every feature above.
    ///
    /// ```
    /// assert_eq!(wz_binary::Features::V2, wz_binary::Features::default());
    /// ```
    pub const V2: Features = Features(0x7f);

    const NAMES: [(Features, &'static str); 7] = [
        (Features::MUTABLE_GLOBAL, "mutable-global"),
        (Features::SIGN_EXTENSION, "sign-extension"),
        (
            Features::SATURATING_FLOAT_TO_INT,
            "nontrapping-float-to-int",
        ),
        (Features::MULTI_VALUE, "multi-value"),
        (Features::BULK_MEMORY, "bulk-memory"),
        (Features::REFERENCE_TYPES, "reference-types"),
        (Features::SIMD, "simd"),
    ];

    /// Whether every feature in `other` is in `self`.
    ///
    /// ```
    /// use wz_binary::Features;
    /// assert!(Features::V2.contains(Features::SIMD | Features::MULTI_VALUE));
    /// assert!(!Features::V1.contains(Features::SIMD));
    /// ```
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` without the features in `other`.
    ///
    /// ```
    /// use wz_binary::Features;
    /// assert_eq!(Features::V2.without(Features::V2), Features::NONE);
    /// ```
    pub const fn without(self, other: Features) -> Features {
        Features(self.0 & !other.0)
    }

    /// The same set as wasmparser understands it.
    ///
    /// ```
    /// let wp = wz_binary::Features::V1.to_wasmparser();
    /// assert!(wp.mutable_global() && !wp.simd());
    /// ```
    pub fn to_wasmparser(self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as W;
        let mut w = W::MVP;
        let map = [
            (Features::MUTABLE_GLOBAL, W::MUTABLE_GLOBAL),
            (Features::SIGN_EXTENSION, W::SIGN_EXTENSION),
            (
                Features::SATURATING_FLOAT_TO_INT,
                W::SATURATING_FLOAT_TO_INT,
            ),
            (Features::MULTI_VALUE, W::MULTI_VALUE),
            (Features::BULK_MEMORY, W::BULK_MEMORY),
            (Features::REFERENCE_TYPES, W::REFERENCE_TYPES),
            (Features::SIMD, W::SIMD),
        ];
        for (ours, theirs) in map {
            if self.contains(ours) {
                w |= theirs;
            }
        }
        w
    }
}

impl Default for Features {
    fn default() -> Self {
        Features::V2
    }
}

impl BitOr for Features {
    type Output = Features;
    fn bitor(self, rhs: Features) -> Features {
        Features(self.0 | rhs.0)
    }
}

impl BitOrAssign for Features {
    fn bitor_assign(&mut self, rhs: Features) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Features::NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "Features({})", names.join(" | "))
    }
}
