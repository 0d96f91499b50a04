//! The `v128` instructions.
//!
//! Vectors travel as `i8x16` (on the operand stack, in locals and across blocks); each
//! instruction reinterprets its operands as the lane shape it works on and its result back as
//! `i8x16`. Those bitcasts cost nothing in machine code: they only retype a vector register.
//! Almost every wasm instruction has a Cranelift instruction with the same semantics (swizzle's
//! out-of-range lanes, shift counts modulo the lane width, NaN-propagating `fmin`/`fmax`, the
//! saturating conversions); the few that do not are built from two or three of them.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

use super::Translator;
use crate::CompileError;

use types::{F32X4, F64X2, I8, I8X16, I16, I16X8, I32, I32X4, I64X2};

/// Bitcasts between vector shapes keep the bytes in wasm's (little-endian) lane order.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Reinterprets vector `v` as `ty`.
fn cast(b: &mut FunctionBuilder<'_>, ty: Type, v: Value) -> Value {
    if b.func.dfg.value_type(v) == ty {
        v
    } else {
        b.ins().bitcast(ty, lane_order(), v)
    }
}

impl<'e, 'b> Translator<'e, 'b> {
    /// Pops a vector as shape `ty`.
    fn pop_as(&mut self, ty: Type) -> Result<Value, CompileError> {
        let v = self.pop()?;
        Ok(cast(&mut self.b, ty, v))
    }

    /// Pushes a vector of any shape as `i8x16`.
    fn push_vector(&mut self, v: Value) {
        let v = cast(&mut self.b, I8X16, v);
        self.push(v);
    }

    fn vunop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'b>, Value) -> Value,
    ) -> Result<(), CompileError> {
        let a = self.pop_as(ty)?;
        let r = f(&mut self.b, a);
        self.push_vector(r);
        Ok(())
    }

    fn vbinop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'b>, Value, Value) -> Value,
    ) -> Result<(), CompileError> {
        let y = self.pop_as(ty)?;
        let x = self.pop_as(ty)?;
        let r = f(&mut self.b, x, y);
        self.push_vector(r);
        Ok(())
    }

    fn vicmp(&mut self, ty: Type, cc: IntCC) -> Result<(), CompileError> {
        self.vbinop(ty, |b, x, y| b.ins().icmp(cc, x, y))
    }

    fn vfcmp(&mut self, ty: Type, cc: FloatCC) -> Result<(), CompileError> {
        self.vbinop(ty, |b, x, y| b.ins().fcmp(cc, x, y))
    }

    /// A shift of every lane by a scalar count (Cranelift takes it modulo the lane width, as
    /// wasm does).
    fn vshift(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'b>, Value, Value) -> Value,
    ) -> Result<(), CompileError> {
        let count = self.pop()?;
        let x = self.pop_as(ty)?;
        let r = f(&mut self.b, x, count);
        self.push_vector(r);
        Ok(())
    }

    /// Pushes the scalar `any_true`/`all_true`-style result `r` (an `i8`) as an `i32`.
    fn push_flag(&mut self, r: Value) {
        let r = self.b.ins().uextend(I32, r);
        self.push(r);
    }

    fn all_true(&mut self, ty: Type) -> Result<(), CompileError> {
        let v = self.pop_as(ty)?;
        let r = self.b.ins().vall_true(v);
        self.push_flag(r);
        Ok(())
    }

    fn bitmask(&mut self, ty: Type) -> Result<(), CompileError> {
        let v = self.pop_as(ty)?;
        let r = self.b.ins().vhigh_bits(I32, v);
        self.push(r);
        Ok(())
    }

    fn splat(&mut self, ty: Type) -> Result<(), CompileError> {
        let mut x = self.pop()?;
        let lane = ty.lane_type();
        if self.b.func.dfg.value_type(x) != lane {
            x = self.b.ins().ireduce(lane, x);
        }
        let r = self.b.ins().splat(ty, x);
        self.push_vector(r);
        Ok(())
    }

    /// `extract_lane`, widening 8- and 16-bit lanes to `i32` (signed or not).
    fn extract_lane(&mut self, ty: Type, lane: u8, signed: bool) -> Result<(), CompileError> {
        let v = self.pop_as(ty)?;
        let mut r = self.b.ins().extractlane(v, lane);
        if ty.lane_bits() < 32 {
            r = if signed {
                self.b.ins().sextend(I32, r)
            } else {
                self.b.ins().uextend(I32, r)
            };
        }
        self.push(r);
        Ok(())
    }

    fn replace_lane(&mut self, ty: Type, lane: u8) -> Result<(), CompileError> {
        let mut x = self.pop()?;
        let v = self.pop_as(ty)?;
        if ty.lane_bits() < 32 {
            x = self.b.ins().ireduce(ty.lane_type(), x);
        }
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_vector(r);
        Ok(())
    }

    /// `v128.loadNxM_s/u`: eight, four or two narrow lanes widened to twice their width.
    fn load_extend(
        &mut self,
        memarg: &MemArg,
        shape: Type,
        signed: bool,
    ) -> Result<(), CompileError> {
        let index = self.pop()?;
        let (ea, flags) = self.address(memarg, index, 8)?;
        let ins = self.b.ins();
        let r = match (shape, signed) {
            (I8, true) => ins.sload8x8(flags, ea, 0),
            (I8, false) => ins.uload8x8(flags, ea, 0),
            (I16, true) => ins.sload16x4(flags, ea, 0),
            (I16, false) => ins.uload16x4(flags, ea, 0),
            (_, true) => ins.sload32x2(flags, ea, 0),
            (_, false) => ins.uload32x2(flags, ea, 0),
        };
        self.push_vector(r);
        Ok(())
    }

    /// `v128.loadN_splat`.
    fn load_splat(&mut self, memarg: &MemArg, ty: Type) -> Result<(), CompileError> {
        let index = self.pop()?;
        let lane = ty.lane_type();
        let (ea, flags) = self.address(memarg, index, lane.bytes())?;
        let x = self.b.ins().load(lane, flags, ea, 0);
        let r = self.b.ins().splat(ty, x);
        self.push_vector(r);
        Ok(())
    }

    /// `v128.loadN_zero`: one scalar in lane 0, zeros elsewhere.
    fn load_zero(&mut self, memarg: &MemArg, ty: Type) -> Result<(), CompileError> {
        let index = self.pop()?;
        let lane = ty.lane_type();
        let (ea, flags) = self.address(memarg, index, lane.bytes())?;
        let x = self.b.ins().load(lane, flags, ea, 0);
        let r = self.b.ins().scalar_to_vector(ty, x);
        self.push_vector(r);
        Ok(())
    }

    fn load_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) -> Result<(), CompileError> {
        let v = self.pop_as(ty)?;
        let index = self.pop()?;
        let lane_ty = ty.lane_type();
        let (ea, flags) = self.address(memarg, index, lane_ty.bytes())?;
        let x = self.b.ins().load(lane_ty, flags, ea, 0);
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_vector(r);
        Ok(())
    }

    fn store_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) -> Result<(), CompileError> {
        let v = self.pop_as(ty)?;
        let index = self.pop()?;
        let (ea, flags) = self.address(memarg, index, ty.lane_type().bytes())?;
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(flags, x, ea, 0);
        Ok(())
    }

    /// `extend_low`/`extend_high`: half the lanes of a `from` vector widened.
    fn widen(&mut self, from: Type, high: bool, signed: bool) -> Result<(), CompileError> {
        self.vunop(from, |b, x| widen(b, x, high, signed))
    }

    /// `extmul_low`/`extmul_high`.
    fn extmul(&mut self, from: Type, high: bool, signed: bool) -> Result<(), CompileError> {
        self.vbinop(from, |b, x, y| {
            let x = widen(b, x, high, signed);
            let y = widen(b, y, high, signed);
            b.ins().imul(x, y)
        })
    }

    /// `extadd_pairwise`: adjacent lanes widened and summed.
    fn extadd_pairwise(&mut self, from: Type, signed: bool) -> Result<(), CompileError> {
        self.vunop(from, |b, x| {
            let lo = widen(b, x, false, signed);
            let hi = widen(b, x, true, signed);
            b.ins().iadd_pairwise(lo, hi)
        })
    }

    /// `pmin` (`y < x ? y : x`) and `pmax` (`x < y ? y : x`): a compare and a select, with
    /// no NaN or signed-zero special cases.
    fn pseudo_min_max(&mut self, ty: Type, max: bool) -> Result<(), CompileError> {
        self.vbinop(ty, |b, x, y| {
            let mask = if max {
                b.ins().fcmp(FloatCC::LessThan, x, y)
            } else {
                b.ins().fcmp(FloatCC::LessThan, y, x)
            };
            let mask = b.ins().bitcast(ty, lane_order(), mask);
            b.ins().bitselect(mask, y, x)
        })
    }

    /// Translates `op` when it is a `v128` instruction; returns `false` for any other.
    pub(super) fn simd_op(&mut self, op: &Operator<'_>) -> Result<bool, CompileError> {
        match *op {
            // --- memory -----------------------------------------------------------------
            Operator::V128Load { memarg } => self.load(&memarg, I8X16, 16, None)?,
            Operator::V128Store { memarg } => self.store(&memarg, 16)?,
            Operator::V128Load8x8S { memarg } => self.load_extend(&memarg, I8, true)?,
            Operator::V128Load8x8U { memarg } => self.load_extend(&memarg, I8, false)?,
            Operator::V128Load16x4S { memarg } => self.load_extend(&memarg, I16, true)?,
            Operator::V128Load16x4U { memarg } => self.load_extend(&memarg, I16, false)?,
            Operator::V128Load32x2S { memarg } => self.load_extend(&memarg, I32, true)?,
            Operator::V128Load32x2U { memarg } => self.load_extend(&memarg, I32, false)?,
            Operator::V128Load8Splat { memarg } => self.load_splat(&memarg, I8X16)?,
            Operator::V128Load16Splat { memarg } => self.load_splat(&memarg, I16X8)?,
            Operator::V128Load32Splat { memarg } => self.load_splat(&memarg, I32X4)?,
            Operator::V128Load64Splat { memarg } => self.load_splat(&memarg, I64X2)?,
            Operator::V128Load32Zero { memarg } => self.load_zero(&memarg, I32X4)?,
            Operator::V128Load64Zero { memarg } => self.load_zero(&memarg, I64X2)?,
            Operator::V128Load8Lane { memarg, lane } => self.load_lane(&memarg, I8X16, lane)?,
            Operator::V128Load16Lane { memarg, lane } => self.load_lane(&memarg, I16X8, lane)?,
            Operator::V128Load32Lane { memarg, lane } => self.load_lane(&memarg, I32X4, lane)?,
            Operator::V128Load64Lane { memarg, lane } => self.load_lane(&memarg, I64X2, lane)?,
            Operator::V128Store8Lane { memarg, lane } => self.store_lane(&memarg, I8X16, lane)?,
            Operator::V128Store16Lane { memarg, lane } => self.store_lane(&memarg, I16X8, lane)?,
            Operator::V128Store32Lane { memarg, lane } => self.store_lane(&memarg, I32X4, lane)?,
            Operator::V128Store64Lane { memarg, lane } => self.store_lane(&memarg, I64X2, lane)?,

            // --- constants, lanes, shuffles ---------------------------------------------
            Operator::V128Const { value } => {
                let bytes = value.i128().to_le_bytes().to_vec();
                let c = self.b.func.dfg.constants.insert(bytes.into());
                let v = self.b.ins().vconst(I8X16, c);
                self.push(v);
            }
            Operator::I8x16Shuffle { lanes } => {
                let y = self.pop_as(I8X16)?;
                let x = self.pop_as(I8X16)?;
                let mask = self.b.func.dfg.immediates.push(lanes.to_vec().into());
                let r = self.b.ins().shuffle(x, y, mask);
                self.push(r);
            }
            Operator::I8x16Swizzle => self.vbinop(I8X16, |b, x, y| b.ins().swizzle(x, y))?,
            Operator::I8x16Splat => self.splat(I8X16)?,
            Operator::I16x8Splat => self.splat(I16X8)?,
            Operator::I32x4Splat => self.splat(I32X4)?,
            Operator::I64x2Splat => self.splat(I64X2)?,
            Operator::F32x4Splat => self.splat(F32X4)?,
            Operator::F64x2Splat => self.splat(F64X2)?,
            Operator::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, true)?,
            Operator::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, false)?,
            Operator::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, true)?,
            Operator::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, false)?,
            Operator::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, false)?,
            Operator::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, false)?,
            Operator::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, false)?,
            Operator::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, false)?,
            Operator::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane)?,
            Operator::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane)?,
            Operator::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane)?,
            Operator::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane)?,
            Operator::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane)?,
            Operator::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane)?,

            // --- comparisons ------------------------------------------------------------
            Operator::I8x16Eq => self.vicmp(I8X16, IntCC::Equal)?,
            Operator::I8x16Ne => self.vicmp(I8X16, IntCC::NotEqual)?,
            Operator::I8x16LtS => self.vicmp(I8X16, IntCC::SignedLessThan)?,
            Operator::I8x16LtU => self.vicmp(I8X16, IntCC::UnsignedLessThan)?,
            Operator::I8x16GtS => self.vicmp(I8X16, IntCC::SignedGreaterThan)?,
            Operator::I8x16GtU => self.vicmp(I8X16, IntCC::UnsignedGreaterThan)?,
            Operator::I8x16LeS => self.vicmp(I8X16, IntCC::SignedLessThanOrEqual)?,
            Operator::I8x16LeU => self.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I8x16GeS => self.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I8x16GeU => self.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I16x8Eq => self.vicmp(I16X8, IntCC::Equal)?,
            Operator::I16x8Ne => self.vicmp(I16X8, IntCC::NotEqual)?,
            Operator::I16x8LtS => self.vicmp(I16X8, IntCC::SignedLessThan)?,
            Operator::I16x8LtU => self.vicmp(I16X8, IntCC::UnsignedLessThan)?,
            Operator::I16x8GtS => self.vicmp(I16X8, IntCC::SignedGreaterThan)?,
            Operator::I16x8GtU => self.vicmp(I16X8, IntCC::UnsignedGreaterThan)?,
            Operator::I16x8LeS => self.vicmp(I16X8, IntCC::SignedLessThanOrEqual)?,
            Operator::I16x8LeU => self.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I16x8GeS => self.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I16x8GeU => self.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I32x4Eq => self.vicmp(I32X4, IntCC::Equal)?,
            Operator::I32x4Ne => self.vicmp(I32X4, IntCC::NotEqual)?,
            Operator::I32x4LtS => self.vicmp(I32X4, IntCC::SignedLessThan)?,
            Operator::I32x4LtU => self.vicmp(I32X4, IntCC::UnsignedLessThan)?,
            Operator::I32x4GtS => self.vicmp(I32X4, IntCC::SignedGreaterThan)?,
            Operator::I32x4GtU => self.vicmp(I32X4, IntCC::UnsignedGreaterThan)?,
            Operator::I32x4LeS => self.vicmp(I32X4, IntCC::SignedLessThanOrEqual)?,
            Operator::I32x4LeU => self.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I32x4GeS => self.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I32x4GeU => self.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I64x2Eq => self.vicmp(I64X2, IntCC::Equal)?,
            Operator::I64x2Ne => self.vicmp(I64X2, IntCC::NotEqual)?,
            Operator::I64x2LtS => self.vicmp(I64X2, IntCC::SignedLessThan)?,
            Operator::I64x2GtS => self.vicmp(I64X2, IntCC::SignedGreaterThan)?,
            Operator::I64x2LeS => self.vicmp(I64X2, IntCC::SignedLessThanOrEqual)?,
            Operator::I64x2GeS => self.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual)?,
            Operator::F32x4Eq => self.vfcmp(F32X4, FloatCC::Equal)?,
            Operator::F32x4Ne => self.vfcmp(F32X4, FloatCC::NotEqual)?,
            Operator::F32x4Lt => self.vfcmp(F32X4, FloatCC::LessThan)?,
            Operator::F32x4Gt => self.vfcmp(F32X4, FloatCC::GreaterThan)?,
            Operator::F32x4Le => self.vfcmp(F32X4, FloatCC::LessThanOrEqual)?,
            Operator::F32x4Ge => self.vfcmp(F32X4, FloatCC::GreaterThanOrEqual)?,
            Operator::F64x2Eq => self.vfcmp(F64X2, FloatCC::Equal)?,
            Operator::F64x2Ne => self.vfcmp(F64X2, FloatCC::NotEqual)?,
            Operator::F64x2Lt => self.vfcmp(F64X2, FloatCC::LessThan)?,
            Operator::F64x2Gt => self.vfcmp(F64X2, FloatCC::GreaterThan)?,
            Operator::F64x2Le => self.vfcmp(F64X2, FloatCC::LessThanOrEqual)?,
            Operator::F64x2Ge => self.vfcmp(F64X2, FloatCC::GreaterThanOrEqual)?,

            // --- bitwise ----------------------------------------------------------------
            Operator::V128Not => self.vunop(I8X16, |b, x| b.ins().bnot(x))?,
            Operator::V128And => self.vbinop(I8X16, |b, x, y| b.ins().band(x, y))?,
            Operator::V128AndNot => self.vbinop(I8X16, |b, x, y| b.ins().band_not(x, y))?,
            Operator::V128Or => self.vbinop(I8X16, |b, x, y| b.ins().bor(x, y))?,
            Operator::V128Xor => self.vbinop(I8X16, |b, x, y| b.ins().bxor(x, y))?,
            Operator::V128Bitselect => {
                let c = self.pop_as(I8X16)?;
                let y = self.pop_as(I8X16)?;
                let x = self.pop_as(I8X16)?;
                let r = self.b.ins().bitselect(c, x, y);
                self.push(r);
            }
            Operator::V128AnyTrue => {
                let v = self.pop_as(I8X16)?;
                let r = self.b.ins().vany_true(v);
                self.push_flag(r);
            }

            // --- integer lanes ----------------------------------------------------------
            Operator::I8x16Abs => self.vunop(I8X16, |b, x| b.ins().iabs(x))?,
            Operator::I16x8Abs => self.vunop(I16X8, |b, x| b.ins().iabs(x))?,
            Operator::I32x4Abs => self.vunop(I32X4, |b, x| b.ins().iabs(x))?,
            Operator::I64x2Abs => self.vunop(I64X2, |b, x| b.ins().iabs(x))?,
            Operator::I8x16Neg => self.vunop(I8X16, |b, x| b.ins().ineg(x))?,
            Operator::I16x8Neg => self.vunop(I16X8, |b, x| b.ins().ineg(x))?,
            Operator::I32x4Neg => self.vunop(I32X4, |b, x| b.ins().ineg(x))?,
            Operator::I64x2Neg => self.vunop(I64X2, |b, x| b.ins().ineg(x))?,
            Operator::I8x16Popcnt => self.vunop(I8X16, |b, x| b.ins().popcnt(x))?,
            Operator::I8x16AllTrue => self.all_true(I8X16)?,
            Operator::I16x8AllTrue => self.all_true(I16X8)?,
            Operator::I32x4AllTrue => self.all_true(I32X4)?,
            Operator::I64x2AllTrue => self.all_true(I64X2)?,
            Operator::I8x16Bitmask => self.bitmask(I8X16)?,
            Operator::I16x8Bitmask => self.bitmask(I16X8)?,
            Operator::I32x4Bitmask => self.bitmask(I32X4)?,
            Operator::I64x2Bitmask => self.bitmask(I64X2)?,
            Operator::I8x16NarrowI16x8S => self.vbinop(I16X8, |b, x, y| b.ins().snarrow(x, y))?,
            Operator::I8x16NarrowI16x8U => self.vbinop(I16X8, |b, x, y| b.ins().unarrow(x, y))?,
            Operator::I16x8NarrowI32x4S => self.vbinop(I32X4, |b, x, y| b.ins().snarrow(x, y))?,
            Operator::I16x8NarrowI32x4U => self.vbinop(I32X4, |b, x, y| b.ins().unarrow(x, y))?,
            Operator::I16x8ExtendLowI8x16S => self.widen(I8X16, false, true)?,
            Operator::I16x8ExtendHighI8x16S => self.widen(I8X16, true, true)?,
            Operator::I16x8ExtendLowI8x16U => self.widen(I8X16, false, false)?,
            Operator::I16x8ExtendHighI8x16U => self.widen(I8X16, true, false)?,
            Operator::I32x4ExtendLowI16x8S => self.widen(I16X8, false, true)?,
            Operator::I32x4ExtendHighI16x8S => self.widen(I16X8, true, true)?,
            Operator::I32x4ExtendLowI16x8U => self.widen(I16X8, false, false)?,
            Operator::I32x4ExtendHighI16x8U => self.widen(I16X8, true, false)?,
            Operator::I64x2ExtendLowI32x4S => self.widen(I32X4, false, true)?,
            Operator::I64x2ExtendHighI32x4S => self.widen(I32X4, true, true)?,
            Operator::I64x2ExtendLowI32x4U => self.widen(I32X4, false, false)?,
            Operator::I64x2ExtendHighI32x4U => self.widen(I32X4, true, false)?,
            Operator::I8x16Shl => self.vshift(I8X16, |b, x, n| b.ins().ishl(x, n))?,
            Operator::I16x8Shl => self.vshift(I16X8, |b, x, n| b.ins().ishl(x, n))?,
            Operator::I32x4Shl => self.vshift(I32X4, |b, x, n| b.ins().ishl(x, n))?,
            Operator::I64x2Shl => self.vshift(I64X2, |b, x, n| b.ins().ishl(x, n))?,
            Operator::I8x16ShrS => self.vshift(I8X16, |b, x, n| b.ins().sshr(x, n))?,
            Operator::I16x8ShrS => self.vshift(I16X8, |b, x, n| b.ins().sshr(x, n))?,
            Operator::I32x4ShrS => self.vshift(I32X4, |b, x, n| b.ins().sshr(x, n))?,
            Operator::I64x2ShrS => self.vshift(I64X2, |b, x, n| b.ins().sshr(x, n))?,
            Operator::I8x16ShrU => self.vshift(I8X16, |b, x, n| b.ins().ushr(x, n))?,
            Operator::I16x8ShrU => self.vshift(I16X8, |b, x, n| b.ins().ushr(x, n))?,
            Operator::I32x4ShrU => self.vshift(I32X4, |b, x, n| b.ins().ushr(x, n))?,
            Operator::I64x2ShrU => self.vshift(I64X2, |b, x, n| b.ins().ushr(x, n))?,
            Operator::I8x16Add => self.vbinop(I8X16, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I16x8Add => self.vbinop(I16X8, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I32x4Add => self.vbinop(I32X4, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I64x2Add => self.vbinop(I64X2, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I8x16Sub => self.vbinop(I8X16, |b, x, y| b.ins().isub(x, y))?,
            Operator::I16x8Sub => self.vbinop(I16X8, |b, x, y| b.ins().isub(x, y))?,
            Operator::I32x4Sub => self.vbinop(I32X4, |b, x, y| b.ins().isub(x, y))?,
            Operator::I64x2Sub => self.vbinop(I64X2, |b, x, y| b.ins().isub(x, y))?,
            Operator::I16x8Mul => self.vbinop(I16X8, |b, x, y| b.ins().imul(x, y))?,
            Operator::I32x4Mul => self.vbinop(I32X4, |b, x, y| b.ins().imul(x, y))?,
            Operator::I64x2Mul => self.vbinop(I64X2, |b, x, y| b.ins().imul(x, y))?,
            Operator::I8x16AddSatS => self.vbinop(I8X16, |b, x, y| b.ins().sadd_sat(x, y))?,
            Operator::I8x16AddSatU => self.vbinop(I8X16, |b, x, y| b.ins().uadd_sat(x, y))?,
            Operator::I16x8AddSatS => self.vbinop(I16X8, |b, x, y| b.ins().sadd_sat(x, y))?,
            Operator::I16x8AddSatU => self.vbinop(I16X8, |b, x, y| b.ins().uadd_sat(x, y))?,
            Operator::I8x16SubSatS => self.vbinop(I8X16, |b, x, y| b.ins().ssub_sat(x, y))?,
            Operator::I8x16SubSatU => self.vbinop(I8X16, |b, x, y| b.ins().usub_sat(x, y))?,
            Operator::I16x8SubSatS => self.vbinop(I16X8, |b, x, y| b.ins().ssub_sat(x, y))?,
            Operator::I16x8SubSatU => self.vbinop(I16X8, |b, x, y| b.ins().usub_sat(x, y))?,
            Operator::I8x16MinS => self.vbinop(I8X16, |b, x, y| b.ins().smin(x, y))?,
            Operator::I8x16MinU => self.vbinop(I8X16, |b, x, y| b.ins().umin(x, y))?,
            Operator::I8x16MaxS => self.vbinop(I8X16, |b, x, y| b.ins().smax(x, y))?,
            Operator::I8x16MaxU => self.vbinop(I8X16, |b, x, y| b.ins().umax(x, y))?,
            Operator::I16x8MinS => self.vbinop(I16X8, |b, x, y| b.ins().smin(x, y))?,
            Operator::I16x8MinU => self.vbinop(I16X8, |b, x, y| b.ins().umin(x, y))?,
            Operator::I16x8MaxS => self.vbinop(I16X8, |b, x, y| b.ins().smax(x, y))?,
            Operator::I16x8MaxU => self.vbinop(I16X8, |b, x, y| b.ins().umax(x, y))?,
            Operator::I32x4MinS => self.vbinop(I32X4, |b, x, y| b.ins().smin(x, y))?,
            Operator::I32x4MinU => self.vbinop(I32X4, |b, x, y| b.ins().umin(x, y))?,
            Operator::I32x4MaxS => self.vbinop(I32X4, |b, x, y| b.ins().smax(x, y))?,
            Operator::I32x4MaxU => self.vbinop(I32X4, |b, x, y| b.ins().umax(x, y))?,
            Operator::I8x16AvgrU => self.vbinop(I8X16, |b, x, y| b.ins().avg_round(x, y))?,
            Operator::I16x8AvgrU => self.vbinop(I16X8, |b, x, y| b.ins().avg_round(x, y))?,
            Operator::I16x8Q15MulrSatS => {
                self.vbinop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))?
            }
            Operator::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise(I8X16, true)?,
            Operator::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise(I8X16, false)?,
            Operator::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise(I16X8, true)?,
            Operator::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise(I16X8, false)?,
            Operator::I16x8ExtMulLowI8x16S => self.extmul(I8X16, false, true)?,
            Operator::I16x8ExtMulHighI8x16S => self.extmul(I8X16, true, true)?,
            Operator::I16x8ExtMulLowI8x16U => self.extmul(I8X16, false, false)?,
            Operator::I16x8ExtMulHighI8x16U => self.extmul(I8X16, true, false)?,
            Operator::I32x4ExtMulLowI16x8S => self.extmul(I16X8, false, true)?,
            Operator::I32x4ExtMulHighI16x8S => self.extmul(I16X8, true, true)?,
            Operator::I32x4ExtMulLowI16x8U => self.extmul(I16X8, false, false)?,
            Operator::I32x4ExtMulHighI16x8U => self.extmul(I16X8, true, false)?,
            Operator::I64x2ExtMulLowI32x4S => self.extmul(I32X4, false, true)?,
            Operator::I64x2ExtMulHighI32x4S => self.extmul(I32X4, true, true)?,
            Operator::I64x2ExtMulLowI32x4U => self.extmul(I32X4, false, false)?,
            Operator::I64x2ExtMulHighI32x4U => self.extmul(I32X4, true, false)?,
            Operator::I32x4DotI16x8S => self.vbinop(I16X8, |b, x, y| {
                let lo = {
                    let x = widen(b, x, false, true);
                    let y = widen(b, y, false, true);
                    b.ins().imul(x, y)
                };
                let hi = {
                    let x = widen(b, x, true, true);
                    let y = widen(b, y, true, true);
                    b.ins().imul(x, y)
                };
                b.ins().iadd_pairwise(lo, hi)
            })?,

            // --- float lanes ------------------------------------------------------------
            Operator::F32x4Ceil => self.vunop(F32X4, |b, x| b.ins().ceil(x))?,
            Operator::F64x2Ceil => self.vunop(F64X2, |b, x| b.ins().ceil(x))?,
            Operator::F32x4Floor => self.vunop(F32X4, |b, x| b.ins().floor(x))?,
            Operator::F64x2Floor => self.vunop(F64X2, |b, x| b.ins().floor(x))?,
            Operator::F32x4Trunc => self.vunop(F32X4, |b, x| b.ins().trunc(x))?,
            Operator::F64x2Trunc => self.vunop(F64X2, |b, x| b.ins().trunc(x))?,
            Operator::F32x4Nearest => self.vunop(F32X4, |b, x| b.ins().nearest(x))?,
            Operator::F64x2Nearest => self.vunop(F64X2, |b, x| b.ins().nearest(x))?,
            Operator::F32x4Abs => self.vunop(F32X4, |b, x| b.ins().fabs(x))?,
            Operator::F64x2Abs => self.vunop(F64X2, |b, x| b.ins().fabs(x))?,
            Operator::F32x4Neg => self.vunop(F32X4, |b, x| b.ins().fneg(x))?,
            Operator::F64x2Neg => self.vunop(F64X2, |b, x| b.ins().fneg(x))?,
            Operator::F32x4Sqrt => self.vunop(F32X4, |b, x| b.ins().sqrt(x))?,
            Operator::F64x2Sqrt => self.vunop(F64X2, |b, x| b.ins().sqrt(x))?,
            Operator::F32x4Add => self.vbinop(F32X4, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F64x2Add => self.vbinop(F64X2, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F32x4Sub => self.vbinop(F32X4, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F64x2Sub => self.vbinop(F64X2, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F32x4Mul => self.vbinop(F32X4, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F64x2Mul => self.vbinop(F64X2, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F32x4Div => self.vbinop(F32X4, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F64x2Div => self.vbinop(F64X2, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F32x4Min => self.vbinop(F32X4, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F64x2Min => self.vbinop(F64X2, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F32x4Max => self.vbinop(F32X4, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F64x2Max => self.vbinop(F64X2, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F32x4PMin => self.pseudo_min_max(F32X4, false)?,
            Operator::F64x2PMin => self.pseudo_min_max(F64X2, false)?,
            Operator::F32x4PMax => self.pseudo_min_max(F32X4, true)?,
            Operator::F64x2PMax => self.pseudo_min_max(F64X2, true)?,

            // --- conversions ------------------------------------------------------------
            Operator::I32x4TruncSatF32x4S => {
                self.vunop(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x))?
            }
            Operator::I32x4TruncSatF32x4U => {
                self.vunop(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x))?
            }
            Operator::F32x4ConvertI32x4S => {
                self.vunop(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x))?
            }
            Operator::F32x4ConvertI32x4U => {
                self.vunop(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x))?
            }
            Operator::I32x4TruncSatF64x2SZero => self.vunop(F64X2, |b, x| {
                let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
                let zero = zero_vector(b, I64X2);
                b.ins().snarrow(wide, zero)
            })?,
            Operator::I32x4TruncSatF64x2UZero => self.vunop(F64X2, |b, x| {
                let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
                let zero = zero_vector(b, I64X2);
                b.ins().uunarrow(wide, zero)
            })?,
            Operator::F64x2ConvertLowI32x4S => self.vunop(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            })?,
            Operator::F64x2ConvertLowI32x4U => self.vunop(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            })?,
            Operator::F32x4DemoteF64x2Zero => self.vunop(F64X2, |b, x| b.ins().fvdemote(x))?,
            Operator::F64x2PromoteLowF32x4 => self.vunop(F32X4, |b, x| b.ins().fvpromote_low(x))?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The low or high half of the lanes of `x`, each widened to twice its width.
fn widen(b: &mut FunctionBuilder<'_>, x: Value, high: bool, signed: bool) -> Value {
    match (high, signed) {
        (false, true) => b.ins().swiden_low(x),
        (true, true) => b.ins().swiden_high(x),
        (false, false) => b.ins().uwiden_low(x),
        (true, false) => b.ins().uwiden_high(x),
    }
}

/// An all-zero vector of type `ty`.
fn zero_vector(b: &mut FunctionBuilder<'_>, ty: Type) -> Value {
    let c = b.func.dfg.constants.insert(vec![0u8; 16].into());
    b.ins().vconst(ty, c)
}
