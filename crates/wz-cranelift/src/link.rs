//! Linking: compiled functions laid out into one code image, then loaded.
//!
//! An [`Image`] is position-independent: code bytes, where each function starts, the
//! relocations still to apply (by symbolic target) and the trap sites. Compiling produces one
//! from [`CompiledFunction`]s; an artifact ([`crate::artifact`]) stores one as a relocatable
//! object and reads it back. [`Image::load`] resolves the relocations for the address the code
//! lands at and makes it executable.

use std::sync::Arc;

use cranelift_codegen::binemit::Reloc;

use crate::code::{CodeMemory, Patch};
use crate::{CompileError, CompiledFunction, ir};

/// What a relocation refers to, as recorded by code generation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RelocTarget {
    /// A defined function of the module, by defined index.
    Function(u32),
    /// A runtime math routine.
    LibCall(ir::LibCall),
    /// An offset in the referring function itself (its constant pool).
    Own(u32),
}

/// How a relocation is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelocKind {
    /// A 32-bit PC-relative displacement (x86_64 calls and constant references).
    PcRel32,
    /// The 26-bit displacement of an aarch64 `bl`.
    Arm64Call,
    /// A 64-bit absolute address.
    Abs64,
}

/// What a relocation in an [`Image`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The start of a function of the image (the addend says where in it).
    Function(u32),
    /// A runtime math routine.
    LibCall(ir::LibCall),
}

/// A relocation at image offset `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageReloc {
    pub at: usize,
    pub kind: RelocKind,
    pub target: Target,
    pub addend: i64,
}

/// Functions laid out one after another, before loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    pub code: Vec<u8>,
    /// Where each function starts, in order.
    pub offsets: Vec<usize>,
    pub relocs: Vec<ImageReloc>,
    /// Trap sites: image offset and code.
    pub traps: Vec<(u32, ir::TrapCode)>,
    /// Sorted `(image offset, module offset)`: the wasm instruction the code from that offset
    /// on came from, or [`crate::NO_SRCLOC`].
    pub srclocs: Vec<(u32, u32)>,
}

/// Functions start at multiples of this.
pub(crate) const FUNCTION_ALIGN: usize = 32;

impl Image {
    /// Lays `funcs` out in order.
    pub fn layout(funcs: &[CompiledFunction]) -> Result<Image, CompileError> {
        let mut code = Vec::new();
        let mut offsets = Vec::with_capacity(funcs.len());
        let mut relocs = Vec::new();
        let mut traps = Vec::new();
        let mut srclocs = Vec::new();
        for (index, f) in funcs.iter().enumerate() {
            code.resize(code.len().next_multiple_of(FUNCTION_ALIGN), 0);
            let start = code.len();
            offsets.push(start);
            code.extend_from_slice(&f.code);
            for &(at, reloc, target, addend) in &f.relocs {
                let kind = match reloc {
                    Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 | Reloc::X86PCRel4 => {
                        RelocKind::PcRel32
                    }
                    Reloc::Arm64Call => RelocKind::Arm64Call,
                    Reloc::Abs8 => RelocKind::Abs64,
                    other => {
                        return Err(CompileError::new(format!(
                            "unsupported relocation {other:?} to {target:?}"
                        )));
                    }
                };
                let (target, addend) = match target {
                    RelocTarget::Function(i) => (Target::Function(i), addend),
                    RelocTarget::LibCall(lc) => (Target::LibCall(lc), addend),
                    RelocTarget::Own(o) => (Target::Function(index as u32), addend + o as i64),
                };
                let supported = matches!(
                    (kind, target),
                    (RelocKind::PcRel32, Target::Function(_))
                        | (RelocKind::Arm64Call, Target::Function(_))
                        | (RelocKind::Abs64, Target::LibCall(_))
                );
                if !supported || (kind == RelocKind::Arm64Call && addend != 0) {
                    return Err(CompileError::new(format!(
                        "unsupported relocation {reloc:?} to {target:?}"
                    )));
                }
                relocs.push(ImageReloc {
                    at: start + at as usize,
                    kind,
                    target,
                    addend,
                });
            }
            traps.extend(f.traps.iter().map(|&(o, c)| (start as u32 + o, c)));
            srclocs.extend(f.srclocs.iter().map(|&(o, l)| (start as u32 + o, l)));
        }
        Ok(Image {
            code,
            offsets,
            relocs,
            traps,
            srclocs,
        })
    }

    /// Copies the image into executable memory, resolving its relocations.
    pub fn load(&self) -> Result<Arc<CodeMemory>, CompileError> {
        let mut patches = Vec::with_capacity(self.relocs.len());
        for r in &self.relocs {
            let function = |i: u32| {
                self.offsets
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| CompileError::new("relocation to an unknown function"))
            };
            patches.push(match (r.kind, r.target) {
                (RelocKind::PcRel32, Target::Function(i)) => Patch::PcRel32 {
                    at: r.at,
                    target: function(i)?,
                    addend: r.addend,
                },
                (RelocKind::Arm64Call, Target::Function(i)) if r.addend == 0 => Patch::Arm64Call {
                    at: r.at,
                    target: function(i)?,
                },
                (RelocKind::Abs64, Target::LibCall(lc)) => Patch::Abs64 {
                    at: r.at,
                    value: libcall_address(lc)?.wrapping_add(r.addend as u64),
                },
                (kind, target) => {
                    return Err(CompileError::new(format!(
                        "unsupported relocation {kind:?} to {target:?}"
                    )));
                }
            });
        }
        CodeMemory::new(&self.code, &patches, self.traps.clone())
    }
}

/// The runtime math routines generated code may call, with their C names (the symbol names
/// in artifacts).
pub(crate) const LIBCALLS: &[(ir::LibCall, &str)] = &[
    (ir::LibCall::FloorF32, "floorf"),
    (ir::LibCall::FloorF64, "floor"),
    (ir::LibCall::CeilF32, "ceilf"),
    (ir::LibCall::CeilF64, "ceil"),
    (ir::LibCall::TruncF32, "truncf"),
    (ir::LibCall::TruncF64, "trunc"),
    (ir::LibCall::NearestF32, "nearbyintf"),
    (ir::LibCall::NearestF64, "nearbyint"),
    (ir::LibCall::FmaF32, "fmaf"),
    (ir::LibCall::FmaF64, "fma"),
];

fn libcall_address(lc: ir::LibCall) -> Result<u64, CompileError> {
    extern "C" fn floor_f32(x: f32) -> f32 {
        x.floor()
    }
    extern "C" fn floor_f64(x: f64) -> f64 {
        x.floor()
    }
    extern "C" fn ceil_f32(x: f32) -> f32 {
        x.ceil()
    }
    extern "C" fn ceil_f64(x: f64) -> f64 {
        x.ceil()
    }
    extern "C" fn trunc_f32(x: f32) -> f32 {
        x.trunc()
    }
    extern "C" fn trunc_f64(x: f64) -> f64 {
        x.trunc()
    }
    extern "C" fn nearest_f32(x: f32) -> f32 {
        x.round_ties_even()
    }
    extern "C" fn nearest_f64(x: f64) -> f64 {
        x.round_ties_even()
    }
    extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    Ok(match lc {
        ir::LibCall::FloorF32 => floor_f32 as *const () as u64,
        ir::LibCall::FloorF64 => floor_f64 as *const () as u64,
        ir::LibCall::CeilF32 => ceil_f32 as *const () as u64,
        ir::LibCall::CeilF64 => ceil_f64 as *const () as u64,
        ir::LibCall::TruncF32 => trunc_f32 as *const () as u64,
        ir::LibCall::TruncF64 => trunc_f64 as *const () as u64,
        ir::LibCall::NearestF32 => nearest_f32 as *const () as u64,
        ir::LibCall::NearestF64 => nearest_f64 as *const () as u64,
        ir::LibCall::FmaF32 => fma_f32 as *const () as u64,
        ir::LibCall::FmaF64 => fma_f64 as *const () as u64,
        other => return Err(CompileError::new(format!("unsupported libcall {other:?}"))),
    })
}
