//! Typed calls: a signature checked once, then calls without checks or allocation.

use std::marker::PhantomData;

use wz_store::{Error, ValType};

use crate::limits::CallContext;
use crate::module::Function;

/// A Rust type that stands for a wasm value type.
///
/// ```
/// use wz::WasmTy;
/// assert_eq!(<i64 as WasmTy>::TYPE, wz::ValType::I64);
/// assert_eq!(<u128 as WasmTy>::SLOTS, 2); // v128
/// let mut slots = [0u64; 1];
/// (-1i32).to_slots(&mut slots);
/// assert_eq!(slots, [0xffff_ffff]);
/// assert_eq!(i32::from_slots(&slots), -1);
/// ```
pub trait WasmTy: Copy + Send + Sync + 'static {
    /// The wasm type.
    const TYPE: ValType;
    /// Raw slots a value takes (two for `v128`, else one).
    const SLOTS: usize;
    /// Writes the value to `out[..SLOTS]`.
    fn to_slots(self, out: &mut [u64]);
    /// Reads a value from `slots[..SLOTS]`.
    fn from_slots(slots: &[u64]) -> Self;
}

macro_rules! scalar {
    ($t:ty, $vt:ident, |$v:ident| $to:expr, |$s:ident| $from:expr) => {
        impl WasmTy for $t {
            const TYPE: ValType = ValType::$vt;
            const SLOTS: usize = 1;
            fn to_slots(self, out: &mut [u64]) {
                let $v = self;
                out[0] = $to;
            }
            fn from_slots(slots: &[u64]) -> Self {
                let $s = slots[0];
                $from
            }
        }
    };
}

scalar!(i32, I32, |v| v as u32 as u64, |s| s as u32 as i32);
scalar!(i64, I64, |v| v as u64, |s| s as i64);
scalar!(f32, F32, |v| v.to_bits() as u64, |s| f32::from_bits(
    s as u32
));
scalar!(f64, F64, |v| v.to_bits(), |s| f64::from_bits(s));

/// `v128`, as its 128 bits (lane 0 in the low bits).
impl WasmTy for u128 {
    const TYPE: ValType = ValType::V128;
    const SLOTS: usize = 2;
    fn to_slots(self, out: &mut [u64]) {
        out[0] = self as u64;
        out[1] = (self >> 64) as u64;
    }
    fn from_slots(slots: &[u64]) -> Self {
        slots[0] as u128 | (slots[1] as u128) << 64
    }
}

/// A list of wasm values: a [`WasmTy`], a tuple of up to sixteen of them, or `()`. Typed
/// functions take their parameters and results as such lists, host closures likewise.
///
/// ```
/// use wz::WasmValues;
/// assert_eq!(<(i32, f64)>::types(), [wz::ValType::I32, wz::ValType::F64]);
/// let mut slots = [0u64; 2];
/// (1i32, 2.0f64).to_slots(&mut slots);
/// assert_eq!(<(i32, f64)>::from_slots(&slots), (1, 2.0));
/// ```
pub trait WasmValues: Sized + Send + Sync + 'static {
    /// Raw slots all values take.
    const SLOTS: usize;
    /// Their wasm types, in order.
    fn types() -> Vec<ValType>;
    /// Writes them to `out[..SLOTS]`.
    fn to_slots(self, out: &mut [u64]);
    /// Reads them from `slots[..SLOTS]`.
    fn from_slots(slots: &[u64]) -> Self;
}

/// The parameters of a typed function (any [`WasmValues`]).
///
/// ```
/// fn params_of<P: wz::WasmParams>() -> Vec<wz::ValType> { P::types() }
/// assert_eq!(params_of::<(i32, i64)>(), [wz::ValType::I32, wz::ValType::I64]);
/// assert!(params_of::<()>().is_empty());
/// ```
pub trait WasmParams: WasmValues {}
impl<T: WasmValues> WasmParams for T {}

/// The results of a typed function (any [`WasmValues`]).
///
/// ```
/// fn results_of<R: wz::WasmResults>() -> usize { R::SLOTS }
/// assert_eq!(results_of::<(u128, f32)>(), 3);
/// ```
pub trait WasmResults: WasmValues {}
impl<T: WasmValues> WasmResults for T {}

impl<T: WasmTy> WasmValues for T {
    const SLOTS: usize = T::SLOTS;
    fn types() -> Vec<ValType> {
        vec![T::TYPE]
    }
    fn to_slots(self, out: &mut [u64]) {
        WasmTy::to_slots(self, out)
    }
    fn from_slots(slots: &[u64]) -> Self {
        <T as WasmTy>::from_slots(slots)
    }
}

macro_rules! tuples {
    ($( ( $($n:ident)* ) )*) => {$(
        #[allow(non_snake_case, unused_assignments, unused_mut, unused_variables, clippy::unused_unit)]
        impl<$($n: WasmTy),*> WasmValues for ($($n,)*) {
            const SLOTS: usize = 0 $(+ $n::SLOTS)*;
            fn types() -> Vec<ValType> {
                vec![$($n::TYPE),*]
            }
            fn to_slots(self, out: &mut [u64]) {
                let ($($n,)*) = self;
                let mut at = 0;
                $(
                    WasmTy::to_slots($n, &mut out[at..]);
                    at += $n::SLOTS;
                )*
            }
            fn from_slots(slots: &[u64]) -> Self {
                let mut at = 0;
                ($({
                    let v = <$n as WasmTy>::from_slots(&slots[at..]);
                    at += $n::SLOTS;
                    v
                },)*)
            }
        }
    )*};
}

tuples! {
    ()
    (A)
    (A B)
    (A B C)
    (A B C D)
    (A B C D E)
    (A B C D E F)
    (A B C D E F G)
    (A B C D E F G H)
    (A B C D E F G H I)
    (A B C D E F G H I J)
    (A B C D E F G H I J K)
    (A B C D E F G H I J K L)
    (A B C D E F G H I J K L M)
    (A B C D E F G H I J K L M N)
    (A B C D E F G H I J K L M N O)
    (A B C D E F G H I J K L M N O P)
}

/// Calls that fit in this many raw slots use a buffer on the stack.
const INLINE_SLOTS: usize = 16;

/// Slots of most signatures: calls with at most these many take a smaller buffer.
const SMALL_SLOTS: usize = 4;

/// A function whose signature was checked against `P -> R` once; calls neither check
/// types nor allocate (for signatures of up to 16 raw slots).
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module
///     (func (export "divmod") (param i64 i64) (result i64 i64)
///       (i64.div_u (local.get 0) (local.get 1))
///       (i64.rem_u (local.get 0) (local.get 1))))"#).unwrap();
/// let f = module.exported_function("divmod").unwrap();
/// let divmod = f.typed::<(i64, i64), (i64, i64)>().unwrap();
/// assert_eq!(divmod.call((17, 5)).unwrap(), (3, 2));
/// // Division by zero is a trap, reported as an error.
/// assert!(divmod.call((1, 0)).is_err());
/// // The wrong signature is refused up front.
/// assert!(f.typed::<i64, i64>().is_err());
/// ```
pub struct TypedFunction<P, R> {
    func: Function,
    _signature: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunction<P, R> {
    fn clone(&self) -> Self {
        TypedFunction {
            func: self.func.clone(),
            _signature: PhantomData,
        }
    }
}

impl<P, R> std::fmt::Debug for TypedFunction<P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TypedFunction({:?})", self.func)
    }
}

impl<P: WasmParams, R: WasmResults> TypedFunction<P, R> {
    pub(crate) fn new(func: Function) -> Result<Self, Error> {
        let def = func.definition();
        if def.params() != P::types().as_slice() || def.results() != R::types().as_slice() {
            return Err(Error::usage(format!(
                "{} is {}, not {:?} -> {:?}",
                def.name(),
                def.ty(),
                P::types(),
                R::types()
            )));
        }
        Ok(TypedFunction {
            func,
            _signature: PhantomData,
        })
    }

    /// Calls the function.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func (export "hyp") (param f64 f64) (result f64)
    ///       (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0)) (f64.mul (local.get 1) (local.get 1))))))"#)
    ///     .unwrap();
    /// let hyp = module.exported_function("hyp").unwrap().typed::<(f64, f64), f64>().unwrap();
    /// assert_eq!(hyp.call((3.0, 4.0)).unwrap(), 5.0);
    /// ```
    pub fn call(&self, params: P) -> Result<R, Error> {
        self.call_inner(None, params)
    }

    /// Calls the function bounded by `ctx`: its fuel budget and deadline.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "id") (param i32) (result i32) (local.get 0)))"#)
    ///     .unwrap();
    /// let id = module.exported_function("id").unwrap().typed::<i32, i32>().unwrap();
    /// assert_eq!(id.call_with(&wz::CallContext::new().with_fuel(10), -4).unwrap(), -4);
    /// ```
    pub fn call_with(&self, ctx: &CallContext, params: P) -> Result<R, Error> {
        self.call_inner(Some(ctx), params)
    }

    #[inline]
    fn call_inner(&self, ctx: Option<&CallContext>, params: P) -> Result<R, Error> {
        let n = self.func.slots;
        if n <= SMALL_SLOTS {
            self.call_in::<SMALL_SLOTS>(ctx, params)
        } else if n <= INLINE_SLOTS {
            self.call_in::<INLINE_SLOTS>(ctx, params)
        } else {
            self.call_heap(ctx, params)
        }
    }

    /// A call with more slots than fit on the stack (rare: a buffer on the heap).
    #[cold]
    #[inline(never)]
    fn call_heap(&self, ctx: Option<&CallContext>, params: P) -> Result<R, Error> {
        let mut buf = vec![0u64; self.func.slots];
        params.to_slots(&mut buf);
        self.func.call_raw(ctx, &mut buf)?;
        Ok(R::from_slots(&buf))
    }

    /// A call whose slots fit in `N` (a buffer on the stack, zeroed: the smaller, the
    /// cheaper).
    #[inline(always)]
    fn call_in<const N: usize>(&self, ctx: Option<&CallContext>, params: P) -> Result<R, Error> {
        let mut buf = [0u64; N];
        params.to_slots(&mut buf);
        self.func.call_raw(ctx, &mut buf[..self.func.slots])?;
        Ok(R::from_slots(&buf))
    }

    /// The untyped function.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (func (export "nop")))"#).unwrap();
    /// let nop = module.exported_function("nop").unwrap().typed::<(), ()>().unwrap();
    /// assert_eq!(nop.func().definition().name(), "nop");
    /// ```
    pub fn func(&self) -> &Function {
        &self.func
    }
}
