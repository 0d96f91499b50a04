//! The instruction set, described once.
//!
//! The `ops!` macro below lists every instruction with its operand shape and its text name. From that one
//! list the macro derives the [`Op`] enum, stable opcodes, the binary encoding and decoding used
//! for compiled artifacts, slot and branch visitors used by the lowering, and the text printer
//! used by golden tests and `wz` debugging output. Adding an instruction is one line here plus
//! its semantics in each engine.

use std::fmt;

/// A slot of a function's frame: an index into the flat array of 64-bit cells the frame owns.
///
/// A frame is laid out as `[params | locals | constants | temporaries]`; a `v128` value takes two
/// consecutive slots (low half first).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Slot(pub u32);

impl Slot {
    /// The slot `n` cells after this one.
    pub fn offset(self, n: u32) -> Slot {
        Slot(self.0 + n)
    }
}

/// A branch distance in instructions, relative to the branching instruction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BranchOffset(pub i32);

impl BranchOffset {
    /// The absolute target of a branch at `pc`.
    pub fn target(self, pc: usize) -> usize {
        (pc as i64 + self.0 as i64) as usize
    }
}

/// An error decoding an encoded instruction sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrDecodeError {
    message: &'static str,
}

impl fmt::Display for IrDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for IrDecodeError {}

fn take<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], IrDecodeError> {
    if input.len() < N {
        return Err(IrDecodeError {
            message: "truncated instruction stream",
        });
    }
    let (head, rest) = input.split_at(N);
    *input = rest;
    Ok(head.try_into().expect("split_at gave N bytes"))
}

/// An operand field of an instruction: how it is encoded, decoded, printed and visited.
pub trait Field: Sized + Copy {
    /// Appends the field's encoding.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads the field from the front of `input`.
    fn decode(input: &mut &[u8]) -> Result<Self, IrDecodeError>;
    /// Writes the field's text form; `pc` is the index of the instruction holding it.
    fn print(&self, pc: usize, f: &mut dyn fmt::Write) -> fmt::Result;
    /// Calls `v` if the field is a slot.
    fn visit_slot(&mut self, _v: &mut dyn FnMut(&mut Slot)) {}
    /// Calls `v` if the field is a branch offset.
    fn visit_branch(&mut self, _v: &mut dyn FnMut(&mut BranchOffset)) {}
}

impl Field for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn decode(input: &mut &[u8]) -> Result<Self, IrDecodeError> {
        Ok(u32::from_le_bytes(take(input)?))
    }
    fn print(&self, _pc: usize, f: &mut dyn fmt::Write) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl Field for Slot {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn decode(input: &mut &[u8]) -> Result<Self, IrDecodeError> {
        Ok(Slot(u32::decode(input)?))
    }
    fn print(&self, _pc: usize, f: &mut dyn fmt::Write) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
    fn visit_slot(&mut self, v: &mut dyn FnMut(&mut Slot)) {
        v(self)
    }
}

impl Field for BranchOffset {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
    }
    fn decode(input: &mut &[u8]) -> Result<Self, IrDecodeError> {
        Ok(BranchOffset(i32::from_le_bytes(take(input)?)))
    }
    fn print(&self, pc: usize, f: &mut dyn fmt::Write) -> fmt::Result {
        write!(f, "@{}", self.target(pc))
    }
    fn visit_branch(&mut self, v: &mut dyn FnMut(&mut BranchOffset)) {
        v(self)
    }
}

macro_rules! shapes {
    ($( $(#[$doc:meta])* $name:ident { $( $field:ident : $fty:ty ),* } $( => $result:ident )? ; )*) => { $(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            $(
                #[doc = concat!("The `", stringify!($field), "` operand.")]
                pub $field: $fty,
            )*
        }

        impl $name {
            fn encode(&self, _out: &mut Vec<u8>) {
                $( self.$field.encode(_out); )*
            }
            fn decode(_input: &mut &[u8]) -> Result<Self, IrDecodeError> {
                Ok($name { $( $field: Field::decode(_input)? ),* })
            }
            fn print(&self, _pc: usize, _f: &mut dyn fmt::Write) -> fmt::Result {
                $(
                    write!(_f, " {}=", stringify!($field))?;
                    self.$field.print(_pc, _f)?;
                )*
                Ok(())
            }
            fn visit_slots(&mut self, _v: &mut dyn FnMut(&mut Slot)) {
                $( self.$field.visit_slot(_v); )*
            }
            fn visit_branches(&mut self, _v: &mut dyn FnMut(&mut BranchOffset)) {
                $( self.$field.visit_branch(_v); )*
            }
            #[allow(unreachable_code)]
            fn result_mut(&mut self) -> Option<&mut Slot> {
                $( return Some(&mut self.$result); )?
                None
            }
        }
    )* };
}

shapes! {
    /// `dst = op(src)`.
    Unary { dst: Slot, src: Slot } => dst;
    /// `dst = op(lhs, rhs)`.
    Binary { dst: Slot, lhs: Slot, rhs: Slot } => dst;
    /// `dst = load(addr + offset)`; traps when out of bounds.
    Load { dst: Slot, addr: Slot, offset: u32 } => dst;
    /// `store(addr + offset, value)`; traps when out of bounds.
    Store { addr: Slot, value: Slot, offset: u32 };
    /// `dst = load(base + index)`: the address is the 32-bit wrapping sum of two slots, with
    /// no offset; traps when out of bounds.
    LoadSum { dst: Slot, base: Slot, index: Slot } => dst;
    /// `store(base + index, value)`, the address summed as in [`LoadSum`]; traps when out of
    /// bounds.
    StoreSum { base: Slot, index: Slot, value: Slot };
    /// Jump by `offset`.
    Branch { offset: BranchOffset };
    /// Jump by `offset` depending on the i32 in `cond`.
    BranchIf { cond: Slot, offset: BranchOffset };
    /// Jump by `offset` depending on a comparison of `lhs` and `rhs`.
    BranchCmp { lhs: Slot, rhs: Slot, offset: BranchOffset };
    /// Jump to one of the `len` branch instructions that follow, chosen by the i32 in `index`
    /// (the last one when the index is out of range).
    BranchTable { index: Slot, len: u32 };
    /// Copy `len` slots from `src` to `dst` (lowest first).
    CopySpan { dst: Slot, src: Slot, len: u32 };
    /// Return the `len` values starting at `src` (placed at the frame's slot 0 for the caller).
    Return { src: Slot, len: u32 };
    /// Call function `func` (module index space); parameters start at `args`, results replace
    /// them.
    Call { func: u32, args: Slot };
    /// Call the function at table element `index`; `ty_table` packs the expected type index
    /// (low 24 bits) and the table index (high 8 bits). Parameters start at `args`, results
    /// replace them.
    CallIndirect { index: Slot, args: Slot, ty_table: u32 };
    /// Keep `dst` if the i32 in `cond` is non-zero, else overwrite it with `other`.
    Select { dst: Slot, cond: Slot, other: Slot };
    /// Stop with the trap code `code`.
    TrapWith { code: u32 };
    /// An amount of fuel (wasm operators).
    Amount { amount: u32 };
    /// `dst = global[global]`.
    GlobalGet { dst: Slot, global: u32 } => dst;
    /// `global[global] = src`.
    GlobalSet { src: Slot, global: u32 };
    /// Write the result to `dst`.
    Dst { dst: Slot } => dst;
    /// Operands in consecutive slots from `args`; the result, if any, replaces the first.
    Args { args: Slot };
    /// Operands in consecutive slots from `args` and one index immediate.
    ArgsIndex { args: Slot, index: u32 };
    /// Operands in consecutive slots from `args` and two index immediates.
    ArgsIndex2 { args: Slot, index: u32, index2: u32 };
    /// One index immediate.
    Index { index: u32 };
    /// `dst = op(index)` where `index` is an immediate (function or table index).
    DstIndex { dst: Slot, index: u32 } => dst;
    /// `dst = table[table][elem]`.
    TableGet { dst: Slot, elem: Slot, table: u32 } => dst;
    /// `table[table][elem] = value`.
    TableSet { elem: Slot, value: Slot, table: u32 };
    /// `dst = lane(src, lane)`: reads one lane of a `v128`.
    LaneGet { dst: Slot, src: Slot, lane: u32 } => dst;
    /// Replaces lane `lane` of the `v128` in `dst` (in place) with the scalar in `value`.
    LaneSet { dst: Slot, value: Slot, lane: u32 };
    /// `dst = op(dst, b, c)`: `dst` holds the first operand on entry and the result on exit.
    Ternary { dst: Slot, b: Slot, c: Slot };
}

macro_rules! ops {
    ($( $(#[$doc:meta])* $name:ident($shape:ident) = $text:literal, )*) => {
        /// One instruction of wz's register IR.
        ///
        /// The variant names follow WebAssembly's instruction names where they mean the same;
        /// every operand is a frame [`Slot`] or an immediate. See `docs/ir.md`.
        ///
        /// The layout is fixed (`repr(u16)`): an instruction starts with its [`Opcode`] as a
        /// `u16`, so an interpreter can index a table of handlers with it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum Op {
            $(
                #[doc = concat!("`", $text, "`.")]
                $(#[$doc])*
                $name($shape),
            )*
        }

        /// The numeric code of each [`Op`] variant, in declaration order from 0: the value
        /// of [`Op::opcode`] and of the `u16` every `Op` starts with.
        #[repr(u16)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Opcode {
            $(
                #[doc = concat!("The code of [`Op::", stringify!($name), "`].")]
                $name,
            )*
        }

        const OPCODES: &[Opcode] = &[$( Opcode::$name, )*];

        impl Op {
            /// How many distinct instructions there are.
            pub const COUNT: usize = OPCODES.len();

            /// The instruction's text name.
            pub fn mnemonic(&self) -> &'static str {
                match self { $( Op::$name(_) => $text, )* }
            }

            /// The instruction's [`Opcode`].
            pub fn code(&self) -> Opcode {
                match self { $( Op::$name(_) => Opcode::$name, )* }
            }

            /// The instruction's stable numeric code, used by the binary encoding.
            pub fn opcode(&self) -> u16 {
                match self { $( Op::$name(_) => Opcode::$name as u16, )* }
            }

            /// Appends the binary encoding: the opcode (u16, little-endian) then each operand.
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.opcode().to_le_bytes());
                match self { $( Op::$name(s) => s.encode(out), )* }
            }

            /// Reads one instruction from the front of `input`.
            pub fn decode(input: &mut &[u8]) -> Result<Op, IrDecodeError> {
                let code = u16::from_le_bytes(take(input)?);
                match OPCODES.get(code as usize) {
                    $( Some(Opcode::$name) => Ok(Op::$name($shape::decode(input)?)), )*
                    None => Err(IrDecodeError { message: "unknown opcode" }),
                }
            }

            /// Calls `v` on every slot operand.
            pub fn visit_slots(&mut self, v: &mut dyn FnMut(&mut Slot)) {
                match self { $( Op::$name(s) => s.visit_slots(v), )* }
            }

            /// Calls `v` on every branch offset operand.
            pub fn visit_branches(&mut self, v: &mut dyn FnMut(&mut BranchOffset)) {
                match self { $( Op::$name(s) => s.visit_branches(v), )* }
            }

            /// The slot that receives the instruction's only result, if it is a plain
            /// `dst = f(operands)` instruction (operands are all read before `dst` is written).
            pub fn result_mut(&mut self) -> Option<&mut Slot> {
                match self { $( Op::$name(s) => s.result_mut(), )* }
            }

            /// Writes the text form of the instruction at index `pc`.
            pub fn print(&self, pc: usize, f: &mut dyn fmt::Write) -> fmt::Result {
                f.write_str(self.mnemonic())?;
                match self { $( Op::$name(s) => s.print(pc, f), )* }
            }
        }
    };
}

ops! {
    // --- control -------------------------------------------------------------------------
    /// Traps unconditionally with the given code (`unreachable` and known-trapping code).
    Trap(TrapWith) = "trap",
    /// Charges `amount` fuel (emitted only when fuel is metered; see `Metering`).
    Fuel(Amount) = "fuel",
    /// Charges `amount` fuel, then traps if the fuel is spent or the call was interrupted
    /// (function entry and loop headers, when metering).
    Check(Amount) = "check",
    /// Reports the call of this function, with its parameters (`src`, `len` slots), to the
    /// environment's listener (first instruction when listening; see `Metering`).
    ListenEnter(Return) = "listen_enter",
    /// Reports the return of this function, with its results (`src`, `len` slots), to the
    /// environment's listener (right before each `return` when listening).
    ListenExit(Return) = "listen_exit",
    Br(Branch) = "br",
    /// Branch when the condition is zero.
    BrIfEqz(BranchIf) = "br_if_eqz",
    /// Branch when the condition is non-zero.
    BrIfNez(BranchIf) = "br_if_nez",
    BrTable(BranchTable) = "br_table",
    /// Fused `i32.eq` + `br_if`.
    BrI32Eq(BranchCmp) = "br_i32.eq",
    /// Fused `i32.ne` + `br_if`.
    BrI32Ne(BranchCmp) = "br_i32.ne",
    /// Fused `i32.lt_s` + `br_if`.
    BrI32LtS(BranchCmp) = "br_i32.lt_s",
    /// Fused `i32.lt_u` + `br_if`.
    BrI32LtU(BranchCmp) = "br_i32.lt_u",
    /// Fused `i32.gt_s` + `br_if`.
    BrI32GtS(BranchCmp) = "br_i32.gt_s",
    /// Fused `i32.gt_u` + `br_if`.
    BrI32GtU(BranchCmp) = "br_i32.gt_u",
    /// Fused `i32.le_s` + `br_if`.
    BrI32LeS(BranchCmp) = "br_i32.le_s",
    /// Fused `i32.le_u` + `br_if`.
    BrI32LeU(BranchCmp) = "br_i32.le_u",
    /// Fused `i32.ge_s` + `br_if`.
    BrI32GeS(BranchCmp) = "br_i32.ge_s",
    /// Fused `i32.ge_u` + `br_if`.
    BrI32GeU(BranchCmp) = "br_i32.ge_u",
    /// Fused `i64.eq` + `br_if`.
    BrI64Eq(BranchCmp) = "br_i64.eq",
    /// Fused `i64.ne` + `br_if`.
    BrI64Ne(BranchCmp) = "br_i64.ne",
    /// Fused `i64.lt_s` + `br_if`.
    BrI64LtS(BranchCmp) = "br_i64.lt_s",
    /// Fused `i64.lt_u` + `br_if`.
    BrI64LtU(BranchCmp) = "br_i64.lt_u",
    /// Fused `i64.gt_s` + `br_if`.
    BrI64GtS(BranchCmp) = "br_i64.gt_s",
    /// Fused `i64.gt_u` + `br_if`.
    BrI64GtU(BranchCmp) = "br_i64.gt_u",
    /// Fused `i64.le_s` + `br_if`.
    BrI64LeS(BranchCmp) = "br_i64.le_s",
    /// Fused `i64.le_u` + `br_if`.
    BrI64LeU(BranchCmp) = "br_i64.le_u",
    /// Fused `i64.ge_s` + `br_if`.
    BrI64GeS(BranchCmp) = "br_i64.ge_s",
    /// Fused `i64.ge_u` + `br_if`.
    BrI64GeU(BranchCmp) = "br_i64.ge_u",
    // `i32.add` fused with the conditional branch that follows it: the add, then the branch
    // at the next index (which stays in place, so jumping to it directly still works), in one
    // dispatch. Made after lowering (see `Op::fuse_add_branch`); when the next instruction is
    // not the named branch, only the add runs.
    /// `i32.add`, then the `br_i32.eq` after it.
    I32AddBrEq(Binary) = "i32.add+br_i32.eq",
    /// `i32.add`, then the `br_i32.ne` after it.
    I32AddBrNe(Binary) = "i32.add+br_i32.ne",
    /// `i32.add`, then the `br_i32.lt_s` after it.
    I32AddBrLtS(Binary) = "i32.add+br_i32.lt_s",
    /// `i32.add`, then the `br_i32.lt_u` after it.
    I32AddBrLtU(Binary) = "i32.add+br_i32.lt_u",
    /// `i32.add`, then the `br_i32.gt_s` after it.
    I32AddBrGtS(Binary) = "i32.add+br_i32.gt_s",
    /// `i32.add`, then the `br_i32.gt_u` after it.
    I32AddBrGtU(Binary) = "i32.add+br_i32.gt_u",
    /// `i32.add`, then the `br_i32.le_s` after it.
    I32AddBrLeS(Binary) = "i32.add+br_i32.le_s",
    /// `i32.add`, then the `br_i32.le_u` after it.
    I32AddBrLeU(Binary) = "i32.add+br_i32.le_u",
    /// `i32.add`, then the `br_i32.ge_s` after it.
    I32AddBrGeS(Binary) = "i32.add+br_i32.ge_s",
    /// `i32.add`, then the `br_i32.ge_u` after it.
    I32AddBrGeU(Binary) = "i32.add+br_i32.ge_u",
    /// `i32.add`, then the `br_if_eqz` after it.
    I32AddBrIfEqz(Binary) = "i32.add+br_if_eqz",
    /// `i32.add`, then the `br_if_nez` after it.
    I32AddBrIfNez(Binary) = "i32.add+br_if_nez",
    // Two instructions in one dispatch: the first (whose operands these are), then the second
    // at the next index, which stays in place (see `Op::fuse_pair`); when the next instruction
    // is not the named one, only the first runs. Chosen by counting adjacent executed
    // instructions over the benchmark workloads.
    /// `i32.mul`, then the `i32.add` after it.
    I32MulThenAdd(Binary) = "i32.mul+i32.add",
    /// `i32.add`, then the `i32.add` after it.
    I32AddThenAdd(Binary) = "i32.add+i32.add",
    /// `i32.add`, then the `i32.shl` after it.
    I32AddThenShl(Binary) = "i32.add+i32.shl",
    /// `i32.shl`, then the `i32.add` after it.
    I32ShlThenAdd(Binary) = "i32.shl+i32.add",
    /// `i32.rotl`, then the `i32.xor` after it.
    I32RotlThenXor(Binary) = "i32.rotl+i32.xor",
    /// `f64.mul`, then the `f64.add` after it.
    F64MulThenAdd(Binary) = "f64.mul+f64.add",
    /// `f64.mul`, then the `f64.sub` after it.
    F64MulThenSub(Binary) = "f64.mul+f64.sub",
    /// `f64.mul`, then the `f64.mul` after it.
    F64MulThenMul(Binary) = "f64.mul+f64.mul",
    /// `f64.sub`, then the `f64.mul` after it.
    F64SubThenMul(Binary) = "f64.sub+f64.mul",
    /// `i32.add`, then the `i32.store` after it.
    I32AddThenStore(Binary) = "i32.add+i32.store",
    /// `f64.add`, then the `f64.store` after it.
    F64AddThenStore(Binary) = "f64.add+f64.store",
    /// `f64.load`, then the `f64.mul` after it.
    F64LoadThenMul(Load) = "f64.load+f64.mul",
    /// `i32.load8_u`, then the `i32.add` after it.
    I32Load8UThenAdd(Load) = "i32.load8_u+i32.add",
    /// `i32.load8_u`, then the `br_if_eqz` after it.
    I32Load8UThenBrIfEqz(Load) = "i32.load8_u+br_if_eqz",
    /// `load8_u.sum`, then the `load8_u.sum` after it.
    Load8USumThenLoad8USum(LoadSum) = "load8_u.sum+load8_u.sum",
    /// `load8_u.sum`, then the `br_i32.eq` after it.
    Load8USumThenBrEq(LoadSum) = "load8_u.sum+br_i32.eq",
    Return(Return) = "return",
    Call(Call) = "call",
    CallIndirect(CallIndirect) = "call_indirect",
    /// `select` on 64-bit (or smaller) values.
    Select(Select) = "select",
    /// `select` on `v128` values (two slots each).
    SelectV128(Select) = "select.v128",
    /// Copies one slot.
    Copy(Unary) = "copy",
    /// Copies several consecutive slots.
    CopySpan(CopySpan) = "copy_span",

    // --- variables, references -------------------------------------------------------------
    GlobalGet(GlobalGet) = "global.get",
    GlobalSet(GlobalSet) = "global.set",
    /// `global.get` of a `v128` global.
    GlobalGetV128(GlobalGet) = "global.get.v128",
    /// `global.set` of a `v128` global.
    GlobalSetV128(GlobalSet) = "global.set.v128",
    RefIsNull(Unary) = "ref.is_null",
    RefFunc(DstIndex) = "ref.func",

    // --- memory ----------------------------------------------------------------------------
    I32Load(Load) = "i32.load",
    I64Load(Load) = "i64.load",
    F32Load(Load) = "f32.load",
    F64Load(Load) = "f64.load",
    I32Load8S(Load) = "i32.load8_s",
    I32Load8U(Load) = "i32.load8_u",
    I32Load16S(Load) = "i32.load16_s",
    I32Load16U(Load) = "i32.load16_u",
    I64Load8S(Load) = "i64.load8_s",
    I64Load8U(Load) = "i64.load8_u",
    I64Load16S(Load) = "i64.load16_s",
    I64Load16U(Load) = "i64.load16_u",
    I64Load32S(Load) = "i64.load32_s",
    I64Load32U(Load) = "i64.load32_u",
    I32Store(Store) = "i32.store",
    I64Store(Store) = "i64.store",
    F32Store(Store) = "f32.store",
    F64Store(Store) = "f64.store",
    I32Store8(Store) = "i32.store8",
    I32Store16(Store) = "i32.store16",
    I64Store8(Store) = "i64.store8",
    I64Store16(Store) = "i64.store16",
    I64Store32(Store) = "i64.store32",
    // Fused address computations (made by the lowering from an `i32.add` or an `i32.shl` by a
    // constant that only feeds the access; the result bits are those of every wasm access of
    // that width, e.g. `i32.load`, `f32.load` and `i64.load32_u` for 32 bits).
    /// A 32-bit load (zero-extended) from `base + index`.
    Load32Sum(LoadSum) = "load32.sum",
    /// A 64-bit load from `base + index`.
    Load64Sum(LoadSum) = "load64.sum",
    /// An 8-bit load (zero-extended) from `base + index`.
    Load8USum(LoadSum) = "load8_u.sum",
    /// A 32-bit store of the low half of `value` to `base + index`.
    Store32Sum(StoreSum) = "store32.sum",
    /// A 64-bit store to `base + index`.
    Store64Sum(StoreSum) = "store64.sum",
    /// An 8-bit store of the low byte of `value` to `base + index`.
    Store8Sum(StoreSum) = "store8.sum",
    /// A 32-bit load (zero-extended) from `(addr << 2) + offset` (the shift wraps at 32 bits).
    Load32Scaled(Load) = "load32.scaled",
    /// A 64-bit load from `(addr << 3) + offset`.
    Load64Scaled(Load) = "load64.scaled",
    /// A 32-bit store to `(addr << 2) + offset`.
    Store32Scaled(Store) = "store32.scaled",
    /// A 64-bit store to `(addr << 3) + offset`.
    Store64Scaled(Store) = "store64.scaled",
    MemorySize(Dst) = "memory.size",
    /// `dst = memory.grow(src)`.
    MemoryGrow(Unary) = "memory.grow",
    /// Operands `dst, value, len` from `args`.
    MemoryFill(Args) = "memory.fill",
    /// Operands `dst, src, len` from `args`.
    MemoryCopy(Args) = "memory.copy",
    /// Operands `dst, src, len` from `args`; `index` is the data segment.
    MemoryInit(ArgsIndex) = "memory.init",
    DataDrop(Index) = "data.drop",

    // --- tables ----------------------------------------------------------------------------
    TableGet(TableGet) = "table.get",
    TableSet(TableSet) = "table.set",
    /// `dst = table.size(index)`.
    TableSize(DstIndex) = "table.size",
    /// Operands `init, delta` from `args`; the result replaces `init`. `index` is the table.
    TableGrow(ArgsIndex) = "table.grow",
    /// Operands `dst, value, len` from `args`; `index` is the table.
    TableFill(ArgsIndex) = "table.fill",
    /// Operands `dst, src, len` from `args`; `index` is the destination table, `index2` the
    /// source table.
    TableCopy(ArgsIndex2) = "table.copy",
    /// Operands `dst, src, len` from `args`; `index` is the table, `index2` the element segment.
    TableInit(ArgsIndex2) = "table.init",
    ElemDrop(Index) = "elem.drop",

    // --- i32 -------------------------------------------------------------------------------
    I32Eqz(Unary) = "i32.eqz",
    I32Eq(Binary) = "i32.eq",
    I32Ne(Binary) = "i32.ne",
    I32LtS(Binary) = "i32.lt_s",
    I32LtU(Binary) = "i32.lt_u",
    I32GtS(Binary) = "i32.gt_s",
    I32GtU(Binary) = "i32.gt_u",
    I32LeS(Binary) = "i32.le_s",
    I32LeU(Binary) = "i32.le_u",
    I32GeS(Binary) = "i32.ge_s",
    I32GeU(Binary) = "i32.ge_u",
    I32Clz(Unary) = "i32.clz",
    I32Ctz(Unary) = "i32.ctz",
    I32Popcnt(Unary) = "i32.popcnt",
    I32Add(Binary) = "i32.add",
    I32Sub(Binary) = "i32.sub",
    I32Mul(Binary) = "i32.mul",
    I32DivS(Binary) = "i32.div_s",
    I32DivU(Binary) = "i32.div_u",
    I32RemS(Binary) = "i32.rem_s",
    I32RemU(Binary) = "i32.rem_u",
    I32And(Binary) = "i32.and",
    I32Or(Binary) = "i32.or",
    I32Xor(Binary) = "i32.xor",
    I32Shl(Binary) = "i32.shl",
    I32ShrS(Binary) = "i32.shr_s",
    I32ShrU(Binary) = "i32.shr_u",
    I32Rotl(Binary) = "i32.rotl",
    I32Rotr(Binary) = "i32.rotr",
    I32Extend8S(Unary) = "i32.extend8_s",
    I32Extend16S(Unary) = "i32.extend16_s",

    // --- i64 -------------------------------------------------------------------------------
    I64Eqz(Unary) = "i64.eqz",
    I64Eq(Binary) = "i64.eq",
    I64Ne(Binary) = "i64.ne",
    I64LtS(Binary) = "i64.lt_s",
    I64LtU(Binary) = "i64.lt_u",
    I64GtS(Binary) = "i64.gt_s",
    I64GtU(Binary) = "i64.gt_u",
    I64LeS(Binary) = "i64.le_s",
    I64LeU(Binary) = "i64.le_u",
    I64GeS(Binary) = "i64.ge_s",
    I64GeU(Binary) = "i64.ge_u",
    I64Clz(Unary) = "i64.clz",
    I64Ctz(Unary) = "i64.ctz",
    I64Popcnt(Unary) = "i64.popcnt",
    I64Add(Binary) = "i64.add",
    I64Sub(Binary) = "i64.sub",
    I64Mul(Binary) = "i64.mul",
    I64DivS(Binary) = "i64.div_s",
    I64DivU(Binary) = "i64.div_u",
    I64RemS(Binary) = "i64.rem_s",
    I64RemU(Binary) = "i64.rem_u",
    I64And(Binary) = "i64.and",
    I64Or(Binary) = "i64.or",
    I64Xor(Binary) = "i64.xor",
    I64Shl(Binary) = "i64.shl",
    I64ShrS(Binary) = "i64.shr_s",
    I64ShrU(Binary) = "i64.shr_u",
    I64Rotl(Binary) = "i64.rotl",
    I64Rotr(Binary) = "i64.rotr",
    I64Extend8S(Unary) = "i64.extend8_s",
    I64Extend16S(Unary) = "i64.extend16_s",
    I64Extend32S(Unary) = "i64.extend32_s",

    // --- f32 -------------------------------------------------------------------------------
    F32Eq(Binary) = "f32.eq",
    F32Ne(Binary) = "f32.ne",
    F32Lt(Binary) = "f32.lt",
    F32Gt(Binary) = "f32.gt",
    F32Le(Binary) = "f32.le",
    F32Ge(Binary) = "f32.ge",
    F32Abs(Unary) = "f32.abs",
    F32Neg(Unary) = "f32.neg",
    F32Ceil(Unary) = "f32.ceil",
    F32Floor(Unary) = "f32.floor",
    F32Trunc(Unary) = "f32.trunc",
    F32Nearest(Unary) = "f32.nearest",
    F32Sqrt(Unary) = "f32.sqrt",
    F32Add(Binary) = "f32.add",
    F32Sub(Binary) = "f32.sub",
    F32Mul(Binary) = "f32.mul",
    F32Div(Binary) = "f32.div",
    F32Min(Binary) = "f32.min",
    F32Max(Binary) = "f32.max",
    F32Copysign(Binary) = "f32.copysign",

    // --- f64 -------------------------------------------------------------------------------
    F64Eq(Binary) = "f64.eq",
    F64Ne(Binary) = "f64.ne",
    F64Lt(Binary) = "f64.lt",
    F64Gt(Binary) = "f64.gt",
    F64Le(Binary) = "f64.le",
    F64Ge(Binary) = "f64.ge",
    F64Abs(Unary) = "f64.abs",
    F64Neg(Unary) = "f64.neg",
    F64Ceil(Unary) = "f64.ceil",
    F64Floor(Unary) = "f64.floor",
    F64Trunc(Unary) = "f64.trunc",
    F64Nearest(Unary) = "f64.nearest",
    F64Sqrt(Unary) = "f64.sqrt",
    F64Add(Binary) = "f64.add",
    F64Sub(Binary) = "f64.sub",
    F64Mul(Binary) = "f64.mul",
    F64Div(Binary) = "f64.div",
    F64Min(Binary) = "f64.min",
    F64Max(Binary) = "f64.max",
    F64Copysign(Binary) = "f64.copysign",

    // --- conversions -----------------------------------------------------------------------
    I32WrapI64(Unary) = "i32.wrap_i64",
    I32TruncF32S(Unary) = "i32.trunc_f32_s",
    I32TruncF32U(Unary) = "i32.trunc_f32_u",
    I32TruncF64S(Unary) = "i32.trunc_f64_s",
    I32TruncF64U(Unary) = "i32.trunc_f64_u",
    I64ExtendI32S(Unary) = "i64.extend_i32_s",
    I64ExtendI32U(Unary) = "i64.extend_i32_u",
    I64TruncF32S(Unary) = "i64.trunc_f32_s",
    I64TruncF32U(Unary) = "i64.trunc_f32_u",
    I64TruncF64S(Unary) = "i64.trunc_f64_s",
    I64TruncF64U(Unary) = "i64.trunc_f64_u",
    F32ConvertI32S(Unary) = "f32.convert_i32_s",
    F32ConvertI32U(Unary) = "f32.convert_i32_u",
    F32ConvertI64S(Unary) = "f32.convert_i64_s",
    F32ConvertI64U(Unary) = "f32.convert_i64_u",
    F32DemoteF64(Unary) = "f32.demote_f64",
    F64ConvertI32S(Unary) = "f64.convert_i32_s",
    F64ConvertI32U(Unary) = "f64.convert_i32_u",
    F64ConvertI64S(Unary) = "f64.convert_i64_s",
    F64ConvertI64U(Unary) = "f64.convert_i64_u",
    F64PromoteF32(Unary) = "f64.promote_f32",
    I32TruncSatF32S(Unary) = "i32.trunc_sat_f32_s",
    I32TruncSatF32U(Unary) = "i32.trunc_sat_f32_u",
    I32TruncSatF64S(Unary) = "i32.trunc_sat_f64_s",
    I32TruncSatF64U(Unary) = "i32.trunc_sat_f64_u",
    I64TruncSatF32S(Unary) = "i64.trunc_sat_f32_s",
    I64TruncSatF32U(Unary) = "i64.trunc_sat_f32_u",
    I64TruncSatF64S(Unary) = "i64.trunc_sat_f64_s",
    I64TruncSatF64U(Unary) = "i64.trunc_sat_f64_u",

    // --- v128 (SIMD) --------------------------------------------------------------------------
    // Lane loads and stores lower to a scalar load or store plus a lane operation.
    V128Load(Load) = "v128.load",
    V128Load8x8S(Load) = "v128.load8x8_s",
    V128Load8x8U(Load) = "v128.load8x8_u",
    V128Load16x4S(Load) = "v128.load16x4_s",
    V128Load16x4U(Load) = "v128.load16x4_u",
    V128Load32x2S(Load) = "v128.load32x2_s",
    V128Load32x2U(Load) = "v128.load32x2_u",
    V128Load8Splat(Load) = "v128.load8_splat",
    V128Load16Splat(Load) = "v128.load16_splat",
    V128Load32Splat(Load) = "v128.load32_splat",
    V128Load64Splat(Load) = "v128.load64_splat",
    V128Load32Zero(Load) = "v128.load32_zero",
    V128Load64Zero(Load) = "v128.load64_zero",
    V128Store(Store) = "v128.store",
    /// `c` is a constant `v128` holding the 16 lane indices (each below 32).
    I8x16Shuffle(Ternary) = "i8x16.shuffle",
    I8x16ExtractLaneS(LaneGet) = "i8x16.extract_lane_s",
    I8x16ExtractLaneU(LaneGet) = "i8x16.extract_lane_u",
    I8x16ReplaceLane(LaneSet) = "i8x16.replace_lane",
    I16x8ExtractLaneS(LaneGet) = "i16x8.extract_lane_s",
    I16x8ExtractLaneU(LaneGet) = "i16x8.extract_lane_u",
    I16x8ReplaceLane(LaneSet) = "i16x8.replace_lane",
    I32x4ExtractLane(LaneGet) = "i32x4.extract_lane",
    I32x4ReplaceLane(LaneSet) = "i32x4.replace_lane",
    I64x2ExtractLane(LaneGet) = "i64x2.extract_lane",
    I64x2ReplaceLane(LaneSet) = "i64x2.replace_lane",
    F32x4ExtractLane(LaneGet) = "f32x4.extract_lane",
    F32x4ReplaceLane(LaneSet) = "f32x4.replace_lane",
    F64x2ExtractLane(LaneGet) = "f64x2.extract_lane",
    F64x2ReplaceLane(LaneSet) = "f64x2.replace_lane",
    I8x16Swizzle(Binary) = "i8x16.swizzle",
    I8x16Splat(Unary) = "i8x16.splat",
    I16x8Splat(Unary) = "i16x8.splat",
    I32x4Splat(Unary) = "i32x4.splat",
    I64x2Splat(Unary) = "i64x2.splat",
    F32x4Splat(Unary) = "f32x4.splat",
    F64x2Splat(Unary) = "f64x2.splat",
    I8x16Eq(Binary) = "i8x16.eq",
    I8x16Ne(Binary) = "i8x16.ne",
    I8x16LtS(Binary) = "i8x16.lt_s",
    I8x16LtU(Binary) = "i8x16.lt_u",
    I8x16GtS(Binary) = "i8x16.gt_s",
    I8x16GtU(Binary) = "i8x16.gt_u",
    I8x16LeS(Binary) = "i8x16.le_s",
    I8x16LeU(Binary) = "i8x16.le_u",
    I8x16GeS(Binary) = "i8x16.ge_s",
    I8x16GeU(Binary) = "i8x16.ge_u",
    I16x8Eq(Binary) = "i16x8.eq",
    I16x8Ne(Binary) = "i16x8.ne",
    I16x8LtS(Binary) = "i16x8.lt_s",
    I16x8LtU(Binary) = "i16x8.lt_u",
    I16x8GtS(Binary) = "i16x8.gt_s",
    I16x8GtU(Binary) = "i16x8.gt_u",
    I16x8LeS(Binary) = "i16x8.le_s",
    I16x8LeU(Binary) = "i16x8.le_u",
    I16x8GeS(Binary) = "i16x8.ge_s",
    I16x8GeU(Binary) = "i16x8.ge_u",
    I32x4Eq(Binary) = "i32x4.eq",
    I32x4Ne(Binary) = "i32x4.ne",
    I32x4LtS(Binary) = "i32x4.lt_s",
    I32x4LtU(Binary) = "i32x4.lt_u",
    I32x4GtS(Binary) = "i32x4.gt_s",
    I32x4GtU(Binary) = "i32x4.gt_u",
    I32x4LeS(Binary) = "i32x4.le_s",
    I32x4LeU(Binary) = "i32x4.le_u",
    I32x4GeS(Binary) = "i32x4.ge_s",
    I32x4GeU(Binary) = "i32x4.ge_u",
    I64x2Eq(Binary) = "i64x2.eq",
    I64x2Ne(Binary) = "i64x2.ne",
    I64x2LtS(Binary) = "i64x2.lt_s",
    I64x2GtS(Binary) = "i64x2.gt_s",
    I64x2LeS(Binary) = "i64x2.le_s",
    I64x2GeS(Binary) = "i64x2.ge_s",
    F32x4Eq(Binary) = "f32x4.eq",
    F32x4Ne(Binary) = "f32x4.ne",
    F32x4Lt(Binary) = "f32x4.lt",
    F32x4Gt(Binary) = "f32x4.gt",
    F32x4Le(Binary) = "f32x4.le",
    F32x4Ge(Binary) = "f32x4.ge",
    F64x2Eq(Binary) = "f64x2.eq",
    F64x2Ne(Binary) = "f64x2.ne",
    F64x2Lt(Binary) = "f64x2.lt",
    F64x2Gt(Binary) = "f64x2.gt",
    F64x2Le(Binary) = "f64x2.le",
    F64x2Ge(Binary) = "f64x2.ge",
    V128Not(Unary) = "v128.not",
    V128And(Binary) = "v128.and",
    V128AndNot(Binary) = "v128.andnot",
    V128Or(Binary) = "v128.or",
    V128Xor(Binary) = "v128.xor",
    /// `dst` holds the first operand, `b` the second, `c` the mask.
    V128Bitselect(Ternary) = "v128.bitselect",
    V128AnyTrue(Unary) = "v128.any_true",
    I8x16Abs(Unary) = "i8x16.abs",
    I8x16Neg(Unary) = "i8x16.neg",
    I8x16Popcnt(Unary) = "i8x16.popcnt",
    I8x16AllTrue(Unary) = "i8x16.all_true",
    I8x16Bitmask(Unary) = "i8x16.bitmask",
    I8x16NarrowI16x8S(Binary) = "i8x16.narrow_i16x8_s",
    I8x16NarrowI16x8U(Binary) = "i8x16.narrow_i16x8_u",
    I8x16Shl(Binary) = "i8x16.shl",
    I8x16ShrS(Binary) = "i8x16.shr_s",
    I8x16ShrU(Binary) = "i8x16.shr_u",
    I8x16Add(Binary) = "i8x16.add",
    I8x16AddSatS(Binary) = "i8x16.add_sat_s",
    I8x16AddSatU(Binary) = "i8x16.add_sat_u",
    I8x16Sub(Binary) = "i8x16.sub",
    I8x16SubSatS(Binary) = "i8x16.sub_sat_s",
    I8x16SubSatU(Binary) = "i8x16.sub_sat_u",
    I8x16MinS(Binary) = "i8x16.min_s",
    I8x16MinU(Binary) = "i8x16.min_u",
    I8x16MaxS(Binary) = "i8x16.max_s",
    I8x16MaxU(Binary) = "i8x16.max_u",
    I8x16AvgrU(Binary) = "i8x16.avgr_u",
    I16x8ExtAddPairwiseI8x16S(Unary) = "i16x8.extadd_pairwise_i8x16_s",
    I16x8ExtAddPairwiseI8x16U(Unary) = "i16x8.extadd_pairwise_i8x16_u",
    I16x8Abs(Unary) = "i16x8.abs",
    I16x8Neg(Unary) = "i16x8.neg",
    I16x8Q15MulrSatS(Binary) = "i16x8.q15mulr_sat_s",
    I16x8AllTrue(Unary) = "i16x8.all_true",
    I16x8Bitmask(Unary) = "i16x8.bitmask",
    I16x8NarrowI32x4S(Binary) = "i16x8.narrow_i32x4_s",
    I16x8NarrowI32x4U(Binary) = "i16x8.narrow_i32x4_u",
    I16x8ExtendLowI8x16S(Unary) = "i16x8.extend_low_i8x16_s",
    I16x8ExtendHighI8x16S(Unary) = "i16x8.extend_high_i8x16_s",
    I16x8ExtendLowI8x16U(Unary) = "i16x8.extend_low_i8x16_u",
    I16x8ExtendHighI8x16U(Unary) = "i16x8.extend_high_i8x16_u",
    I16x8Shl(Binary) = "i16x8.shl",
    I16x8ShrS(Binary) = "i16x8.shr_s",
    I16x8ShrU(Binary) = "i16x8.shr_u",
    I16x8Add(Binary) = "i16x8.add",
    I16x8AddSatS(Binary) = "i16x8.add_sat_s",
    I16x8AddSatU(Binary) = "i16x8.add_sat_u",
    I16x8Sub(Binary) = "i16x8.sub",
    I16x8SubSatS(Binary) = "i16x8.sub_sat_s",
    I16x8SubSatU(Binary) = "i16x8.sub_sat_u",
    I16x8Mul(Binary) = "i16x8.mul",
    I16x8MinS(Binary) = "i16x8.min_s",
    I16x8MinU(Binary) = "i16x8.min_u",
    I16x8MaxS(Binary) = "i16x8.max_s",
    I16x8MaxU(Binary) = "i16x8.max_u",
    I16x8AvgrU(Binary) = "i16x8.avgr_u",
    I16x8ExtMulLowI8x16S(Binary) = "i16x8.extmul_low_i8x16_s",
    I16x8ExtMulHighI8x16S(Binary) = "i16x8.extmul_high_i8x16_s",
    I16x8ExtMulLowI8x16U(Binary) = "i16x8.extmul_low_i8x16_u",
    I16x8ExtMulHighI8x16U(Binary) = "i16x8.extmul_high_i8x16_u",
    I32x4ExtAddPairwiseI16x8S(Unary) = "i32x4.extadd_pairwise_i16x8_s",
    I32x4ExtAddPairwiseI16x8U(Unary) = "i32x4.extadd_pairwise_i16x8_u",
    I32x4Abs(Unary) = "i32x4.abs",
    I32x4Neg(Unary) = "i32x4.neg",
    I32x4AllTrue(Unary) = "i32x4.all_true",
    I32x4Bitmask(Unary) = "i32x4.bitmask",
    I32x4ExtendLowI16x8S(Unary) = "i32x4.extend_low_i16x8_s",
    I32x4ExtendHighI16x8S(Unary) = "i32x4.extend_high_i16x8_s",
    I32x4ExtendLowI16x8U(Unary) = "i32x4.extend_low_i16x8_u",
    I32x4ExtendHighI16x8U(Unary) = "i32x4.extend_high_i16x8_u",
    I32x4Shl(Binary) = "i32x4.shl",
    I32x4ShrS(Binary) = "i32x4.shr_s",
    I32x4ShrU(Binary) = "i32x4.shr_u",
    I32x4Add(Binary) = "i32x4.add",
    I32x4Sub(Binary) = "i32x4.sub",
    I32x4Mul(Binary) = "i32x4.mul",
    I32x4MinS(Binary) = "i32x4.min_s",
    I32x4MinU(Binary) = "i32x4.min_u",
    I32x4MaxS(Binary) = "i32x4.max_s",
    I32x4MaxU(Binary) = "i32x4.max_u",
    I32x4DotI16x8S(Binary) = "i32x4.dot_i16x8_s",
    I32x4ExtMulLowI16x8S(Binary) = "i32x4.extmul_low_i16x8_s",
    I32x4ExtMulHighI16x8S(Binary) = "i32x4.extmul_high_i16x8_s",
    I32x4ExtMulLowI16x8U(Binary) = "i32x4.extmul_low_i16x8_u",
    I32x4ExtMulHighI16x8U(Binary) = "i32x4.extmul_high_i16x8_u",
    I64x2Abs(Unary) = "i64x2.abs",
    I64x2Neg(Unary) = "i64x2.neg",
    I64x2AllTrue(Unary) = "i64x2.all_true",
    I64x2Bitmask(Unary) = "i64x2.bitmask",
    I64x2ExtendLowI32x4S(Unary) = "i64x2.extend_low_i32x4_s",
    I64x2ExtendHighI32x4S(Unary) = "i64x2.extend_high_i32x4_s",
    I64x2ExtendLowI32x4U(Unary) = "i64x2.extend_low_i32x4_u",
    I64x2ExtendHighI32x4U(Unary) = "i64x2.extend_high_i32x4_u",
    I64x2Shl(Binary) = "i64x2.shl",
    I64x2ShrS(Binary) = "i64x2.shr_s",
    I64x2ShrU(Binary) = "i64x2.shr_u",
    I64x2Add(Binary) = "i64x2.add",
    I64x2Sub(Binary) = "i64x2.sub",
    I64x2Mul(Binary) = "i64x2.mul",
    I64x2ExtMulLowI32x4S(Binary) = "i64x2.extmul_low_i32x4_s",
    I64x2ExtMulHighI32x4S(Binary) = "i64x2.extmul_high_i32x4_s",
    I64x2ExtMulLowI32x4U(Binary) = "i64x2.extmul_low_i32x4_u",
    I64x2ExtMulHighI32x4U(Binary) = "i64x2.extmul_high_i32x4_u",
    F32x4Ceil(Unary) = "f32x4.ceil",
    F32x4Floor(Unary) = "f32x4.floor",
    F32x4Trunc(Unary) = "f32x4.trunc",
    F32x4Nearest(Unary) = "f32x4.nearest",
    F32x4Abs(Unary) = "f32x4.abs",
    F32x4Neg(Unary) = "f32x4.neg",
    F32x4Sqrt(Unary) = "f32x4.sqrt",
    F32x4Add(Binary) = "f32x4.add",
    F32x4Sub(Binary) = "f32x4.sub",
    F32x4Mul(Binary) = "f32x4.mul",
    F32x4Div(Binary) = "f32x4.div",
    F32x4Min(Binary) = "f32x4.min",
    F32x4Max(Binary) = "f32x4.max",
    F32x4PMin(Binary) = "f32x4.pmin",
    F32x4PMax(Binary) = "f32x4.pmax",
    F64x2Ceil(Unary) = "f64x2.ceil",
    F64x2Floor(Unary) = "f64x2.floor",
    F64x2Trunc(Unary) = "f64x2.trunc",
    F64x2Nearest(Unary) = "f64x2.nearest",
    F64x2Abs(Unary) = "f64x2.abs",
    F64x2Neg(Unary) = "f64x2.neg",
    F64x2Sqrt(Unary) = "f64x2.sqrt",
    F64x2Add(Binary) = "f64x2.add",
    F64x2Sub(Binary) = "f64x2.sub",
    F64x2Mul(Binary) = "f64x2.mul",
    F64x2Div(Binary) = "f64x2.div",
    F64x2Min(Binary) = "f64x2.min",
    F64x2Max(Binary) = "f64x2.max",
    F64x2PMin(Binary) = "f64x2.pmin",
    F64x2PMax(Binary) = "f64x2.pmax",
    I32x4TruncSatF32x4S(Unary) = "i32x4.trunc_sat_f32x4_s",
    I32x4TruncSatF32x4U(Unary) = "i32x4.trunc_sat_f32x4_u",
    F32x4ConvertI32x4S(Unary) = "f32x4.convert_i32x4_s",
    F32x4ConvertI32x4U(Unary) = "f32x4.convert_i32x4_u",
    I32x4TruncSatF64x2SZero(Unary) = "i32x4.trunc_sat_f64x2_s_zero",
    I32x4TruncSatF64x2UZero(Unary) = "i32x4.trunc_sat_f64x2_u_zero",
    F64x2ConvertLowI32x4S(Unary) = "f64x2.convert_low_i32x4_s",
    F64x2ConvertLowI32x4U(Unary) = "f64x2.convert_low_i32x4_u",
    F32x4DemoteF64x2Zero(Unary) = "f32x4.demote_f64x2_zero",
    F64x2PromoteLowF32x4(Unary) = "f64x2.promote_low_f32x4",
}

impl Op {
    /// For a comparison (or `i32.eqz`) whose result feeds `br_if` or `if`, the fused branch
    /// instruction (taken when the comparison holds, or when it fails if `negate`).
    pub fn fuse_compare_branch(&self, negate: bool, offset: BranchOffset) -> Option<Op> {
        type Ctor = fn(BranchCmp) -> Op;
        if let Op::I32Eqz(u) = *self {
            let b = BranchIf {
                cond: u.src,
                offset,
            };
            return Some(if negate {
                Op::BrIfNez(b)
            } else {
                Op::BrIfEqz(b)
            });
        }
        let (b, yes, no) = match *self {
            Op::I32Eq(b) => (b, Op::BrI32Eq as Ctor, Op::BrI32Ne as Ctor),
            Op::I32Ne(b) => (b, Op::BrI32Ne as Ctor, Op::BrI32Eq as Ctor),
            Op::I32LtS(b) => (b, Op::BrI32LtS as Ctor, Op::BrI32GeS as Ctor),
            Op::I32LtU(b) => (b, Op::BrI32LtU as Ctor, Op::BrI32GeU as Ctor),
            Op::I32GtS(b) => (b, Op::BrI32GtS as Ctor, Op::BrI32LeS as Ctor),
            Op::I32GtU(b) => (b, Op::BrI32GtU as Ctor, Op::BrI32LeU as Ctor),
            Op::I32LeS(b) => (b, Op::BrI32LeS as Ctor, Op::BrI32GtS as Ctor),
            Op::I32LeU(b) => (b, Op::BrI32LeU as Ctor, Op::BrI32GtU as Ctor),
            Op::I32GeS(b) => (b, Op::BrI32GeS as Ctor, Op::BrI32LtS as Ctor),
            Op::I32GeU(b) => (b, Op::BrI32GeU as Ctor, Op::BrI32LtU as Ctor),
            Op::I64Eq(b) => (b, Op::BrI64Eq as Ctor, Op::BrI64Ne as Ctor),
            Op::I64Ne(b) => (b, Op::BrI64Ne as Ctor, Op::BrI64Eq as Ctor),
            Op::I64LtS(b) => (b, Op::BrI64LtS as Ctor, Op::BrI64GeS as Ctor),
            Op::I64LtU(b) => (b, Op::BrI64LtU as Ctor, Op::BrI64GeU as Ctor),
            Op::I64GtS(b) => (b, Op::BrI64GtS as Ctor, Op::BrI64LeS as Ctor),
            Op::I64GtU(b) => (b, Op::BrI64GtU as Ctor, Op::BrI64LeU as Ctor),
            Op::I64LeS(b) => (b, Op::BrI64LeS as Ctor, Op::BrI64GtS as Ctor),
            Op::I64LeU(b) => (b, Op::BrI64LeU as Ctor, Op::BrI64GtU as Ctor),
            Op::I64GeS(b) => (b, Op::BrI64GeS as Ctor, Op::BrI64LtS as Ctor),
            Op::I64GeU(b) => (b, Op::BrI64GeU as Ctor, Op::BrI64LtU as Ctor),
            _ => return None,
        };
        let cmp = BranchCmp {
            lhs: b.lhs,
            rhs: b.rhs,
            offset,
        };
        Some(if negate { no(cmp) } else { yes(cmp) })
    }
}

impl Op {
    /// For an instruction followed by `next`, one of the frequent pairs (the `*Then*`
    /// instructions): the instruction that runs both (replacing this one; `next` stays where
    /// it is).
    pub fn fuse_pair(&self, next: &Op) -> Option<Op> {
        Some(match (*self, next) {
            (Op::I32Mul(a), Op::I32Add(_)) => Op::I32MulThenAdd(a),
            (Op::I32Add(a), Op::I32Add(_)) => Op::I32AddThenAdd(a),
            (Op::I32Add(a), Op::I32Shl(_)) => Op::I32AddThenShl(a),
            (Op::I32Shl(a), Op::I32Add(_)) => Op::I32ShlThenAdd(a),
            (Op::I32Rotl(a), Op::I32Xor(_)) => Op::I32RotlThenXor(a),
            (Op::F64Mul(a), Op::F64Add(_)) => Op::F64MulThenAdd(a),
            (Op::F64Mul(a), Op::F64Sub(_)) => Op::F64MulThenSub(a),
            (Op::F64Mul(a), Op::F64Mul(_)) => Op::F64MulThenMul(a),
            (Op::F64Sub(a), Op::F64Mul(_)) => Op::F64SubThenMul(a),
            (Op::I32Add(a), Op::I32Store(_)) => Op::I32AddThenStore(a),
            (Op::F64Add(a), Op::F64Store(_)) => Op::F64AddThenStore(a),
            (Op::F64Load(l), Op::F64Mul(_)) => Op::F64LoadThenMul(l),
            (Op::I32Load8U(l), Op::I32Add(_)) => Op::I32Load8UThenAdd(l),
            (Op::I32Load8U(l), Op::BrIfEqz(_)) => Op::I32Load8UThenBrIfEqz(l),
            (Op::Load8USum(l), Op::Load8USum(_)) => Op::Load8USumThenLoad8USum(l),
            (Op::Load8USum(l), Op::BrI32Eq(_)) => Op::Load8USumThenBrEq(l),
            _ => return None,
        })
    }

    /// For an `i32.add` followed by `next`, an i32 conditional branch: the instruction that
    /// runs both (replacing the add; `next` stays where it is).
    pub fn fuse_add_branch(&self, next: &Op) -> Option<Op> {
        let Op::I32Add(a) = *self else { return None };
        Some(match next {
            Op::BrI32Eq(_) => Op::I32AddBrEq(a),
            Op::BrI32Ne(_) => Op::I32AddBrNe(a),
            Op::BrI32LtS(_) => Op::I32AddBrLtS(a),
            Op::BrI32LtU(_) => Op::I32AddBrLtU(a),
            Op::BrI32GtS(_) => Op::I32AddBrGtS(a),
            Op::BrI32GtU(_) => Op::I32AddBrGtU(a),
            Op::BrI32LeS(_) => Op::I32AddBrLeS(a),
            Op::BrI32LeU(_) => Op::I32AddBrLeU(a),
            Op::BrI32GeS(_) => Op::I32AddBrGeS(a),
            Op::BrI32GeU(_) => Op::I32AddBrGeU(a),
            Op::BrIfEqz(_) => Op::I32AddBrIfEqz(a),
            Op::BrIfNez(_) => Op::I32AddBrIfNez(a),
            _ => return None,
        })
    }

    /// For a memory access with offset 0 whose address is `base + index` (an `i32.add` that
    /// only feeds it), the fused instruction, if there is one for its width.
    pub fn fuse_address_sum(&self, base: Slot, index: Slot) -> Option<Op> {
        let load = |l: &Load, ctor: fn(LoadSum) -> Op| {
            (l.offset == 0).then(|| {
                ctor(LoadSum {
                    dst: l.dst,
                    base,
                    index,
                })
            })
        };
        let store = |s: &Store, ctor: fn(StoreSum) -> Op| {
            (s.offset == 0).then(|| {
                ctor(StoreSum {
                    base,
                    index,
                    value: s.value,
                })
            })
        };
        match self {
            Op::I32Load(l) | Op::F32Load(l) | Op::I64Load32U(l) => load(l, Op::Load32Sum),
            Op::I64Load(l) | Op::F64Load(l) => load(l, Op::Load64Sum),
            Op::I32Load8U(l) | Op::I64Load8U(l) => load(l, Op::Load8USum),
            Op::I32Store(s) | Op::F32Store(s) | Op::I64Store32(s) => store(s, Op::Store32Sum),
            Op::I64Store(s) | Op::F64Store(s) => store(s, Op::Store64Sum),
            Op::I32Store8(s) | Op::I64Store8(s) => store(s, Op::Store8Sum),
            _ => None,
        }
    }

    /// For a memory access whose address is `index << shift` (an `i32.shl` by a constant that
    /// only feeds it), the fused instruction, if the shift matches the access width (4 bytes:
    /// 2, 8 bytes: 3).
    pub fn fuse_address_scaled(&self, index: Slot, shift: u32) -> Option<Op> {
        let load = |l: &Load, ctor: fn(Load) -> Op| {
            ctor(Load {
                dst: l.dst,
                addr: index,
                offset: l.offset,
            })
        };
        let store = |s: &Store, ctor: fn(Store) -> Op| {
            ctor(Store {
                addr: index,
                value: s.value,
                offset: s.offset,
            })
        };
        match (self, shift & 31) {
            (Op::I32Load(l) | Op::F32Load(l) | Op::I64Load32U(l), 2) => {
                Some(load(l, Op::Load32Scaled))
            }
            (Op::I64Load(l) | Op::F64Load(l), 3) => Some(load(l, Op::Load64Scaled)),
            (Op::I32Store(s) | Op::F32Store(s) | Op::I64Store32(s), 2) => {
                Some(store(s, Op::Store32Scaled))
            }
            (Op::I64Store(s) | Op::F64Store(s), 3) => Some(store(s, Op::Store64Scaled)),
            _ => None,
        }
    }

    /// For a conditional branch on integers, the branch taken exactly when this one is not,
    /// to `offset`. (Float comparisons have no such negation: NaN fails both.)
    pub fn negated_branch(&self, offset: BranchOffset) -> Option<Op> {
        type Ctor = fn(BranchCmp) -> Op;
        let (b, negated) = match *self {
            Op::BrIfEqz(b) => {
                return Some(Op::BrIfNez(BranchIf {
                    cond: b.cond,
                    offset,
                }));
            }
            Op::BrIfNez(b) => {
                return Some(Op::BrIfEqz(BranchIf {
                    cond: b.cond,
                    offset,
                }));
            }
            Op::BrI32Eq(b) => (b, Op::BrI32Ne as Ctor),
            Op::BrI32Ne(b) => (b, Op::BrI32Eq as Ctor),
            Op::BrI32LtS(b) => (b, Op::BrI32GeS as Ctor),
            Op::BrI32LtU(b) => (b, Op::BrI32GeU as Ctor),
            Op::BrI32GtS(b) => (b, Op::BrI32LeS as Ctor),
            Op::BrI32GtU(b) => (b, Op::BrI32LeU as Ctor),
            Op::BrI32LeS(b) => (b, Op::BrI32GtS as Ctor),
            Op::BrI32LeU(b) => (b, Op::BrI32GtU as Ctor),
            Op::BrI32GeS(b) => (b, Op::BrI32LtS as Ctor),
            Op::BrI32GeU(b) => (b, Op::BrI32LtU as Ctor),
            Op::BrI64Eq(b) => (b, Op::BrI64Ne as Ctor),
            Op::BrI64Ne(b) => (b, Op::BrI64Eq as Ctor),
            Op::BrI64LtS(b) => (b, Op::BrI64GeS as Ctor),
            Op::BrI64LtU(b) => (b, Op::BrI64GeU as Ctor),
            Op::BrI64GtS(b) => (b, Op::BrI64LeS as Ctor),
            Op::BrI64GtU(b) => (b, Op::BrI64LeU as Ctor),
            Op::BrI64LeS(b) => (b, Op::BrI64GtS as Ctor),
            Op::BrI64LeU(b) => (b, Op::BrI64GtU as Ctor),
            Op::BrI64GeS(b) => (b, Op::BrI64LtS as Ctor),
            Op::BrI64GeU(b) => (b, Op::BrI64LtU as Ctor),
            _ => return None,
        };
        Some(negated(BranchCmp {
            lhs: b.lhs,
            rhs: b.rhs,
            offset,
        }))
    }

    /// The target of a conditional branch on integers (`br_if_*` or a fused integer
    /// compare-and-branch): those [`Op::negated_branch`] can negate.
    pub fn conditional_target(&self, pc: usize) -> Option<usize> {
        let offset = match *self {
            Op::BrIfEqz(b) | Op::BrIfNez(b) => b.offset,
            Op::BrI32Eq(b)
            | Op::BrI32Ne(b)
            | Op::BrI32LtS(b)
            | Op::BrI32LtU(b)
            | Op::BrI32GtS(b)
            | Op::BrI32GtU(b)
            | Op::BrI32LeS(b)
            | Op::BrI32LeU(b)
            | Op::BrI32GeS(b)
            | Op::BrI32GeU(b)
            | Op::BrI64Eq(b)
            | Op::BrI64Ne(b)
            | Op::BrI64LtS(b)
            | Op::BrI64LtU(b)
            | Op::BrI64GtS(b)
            | Op::BrI64GtU(b)
            | Op::BrI64LeS(b)
            | Op::BrI64LeU(b)
            | Op::BrI64GeS(b)
            | Op::BrI64GeU(b) => b.offset,
            _ => return None,
        };
        Some(offset.target(pc))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.print(0, f)
    }
}
