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

/// Functions start at multiples of this, unless their loops ask for an offset within a line
/// (see [`loop_friendly_start`]).
pub(crate) const FUNCTION_ALIGN: usize = 32;

/// The fetch line whose boundaries small loops should not straddle.
const LINE: u32 = 64;

/// Where in a 64-byte line a function should start so that its small loops do not straddle a
/// line boundary: `Some(offset)` (0 or 32) for a function with loops of at most 64
/// bytes, from their header to the end of the block that jumps back; `None` without any.
///
/// Some CPUs (this project's AMD EPYC among them) fetch from one 64-byte line per cycle, so a
/// tight loop split over two lines runs markedly slower, and which loops are split otherwise
/// depends on code size before them (docs/performance.md). Cranelift cannot align loop
/// headers inside a function; choosing the function's start is the freedom left. Of the two
/// offsets, the one with fewer split loops wins (0 on a tie).
pub(crate) fn loop_friendly_start(
    bb_starts: &[u32],
    bb_edges: &[(u32, u32)],
    len: u32,
) -> Option<u32> {
    let mut loops = Vec::new();
    for &(from, to) in bb_edges {
        if to > from {
            continue;
        }
        // A back edge: the loop runs from `to` to the end of the block at `from`.
        let next = bb_starts.partition_point(|&s| s <= from);
        let end = bb_starts.get(next).copied().unwrap_or(len);
        if end > to && end - to <= LINE {
            loops.push((to, end));
        }
    }
    if loops.is_empty() {
        return None;
    }
    let split = |start: u32| {
        loops
            .iter()
            .filter(|&&(head, end)| (start + head) / LINE != (start + end - 1) / LINE)
            .count()
    };
    // Only starts on the default alignment: 16-byte starts measured slower (`json`).
    [0, 32].into_iter().min_by_key(|&start| split(start))
}

impl Image {
    /// Lays `funcs` out in order.
    pub fn layout(funcs: &[CompiledFunction]) -> Result<Image, CompileError> {
        let mut code = Vec::new();
        let mut offsets = Vec::with_capacity(funcs.len());
        let mut relocs = Vec::new();
        let mut traps = Vec::new();
        let mut srclocs = Vec::new();
        for (index, f) in funcs.iter().enumerate() {
            let mut at = code.len().next_multiple_of(FUNCTION_ALIGN);
            if let Some(start) = f.start {
                // The image is placed at a page boundary (and artifacts keep its offsets), so
                // an offset within the image is the offset within a line.
                while at as u32 % LINE != start {
                    at += FUNCTION_ALIGN;
                }
            }
            code.resize(at, 0);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two loops of `sieve`'s shape: 0x76..0x8e (split at 0x80 when the function starts on a
    /// line) and 0xa4..0xc1 (split at 0xc0).
    const STARTS: [u32; 5] = [0, 0x76, 0x8e, 0xa4, 0xc1];
    const EDGES: [(u32, u32); 5] = [
        (0, 0x76),
        (0x76, 0x76),
        (0x76, 0x8e),
        (0xa4, 0xa4),
        (0xa4, 0xc1),
    ];

    #[test]
    fn small_loops_pick_a_start_that_keeps_them_in_one_line() {
        assert_eq!(loop_friendly_start(&STARTS, &EDGES, 0xd7), Some(32));
        // No back edge: no preference.
        assert_eq!(loop_friendly_start(&STARTS, &EDGES[..1], 0xd7), None);
        // A loop longer than a line cannot be kept in one: no preference either.
        assert_eq!(
            loop_friendly_start(&[0, 0x10, 0x60], &[(0x10, 0x10)], 0x70),
            None
        );
        // Already inside one line at 0: stays at 0.
        assert_eq!(
            loop_friendly_start(&[0, 0x04, 0x20], &[(0x04, 0x04)], 0x30),
            Some(0)
        );
    }

    fn function(start: Option<u32>, len: usize) -> CompiledFunction {
        CompiledFunction {
            start,
            code: vec![0xcc; len],
            srclocs: Vec::new(),
            relocs: Vec::new(),
            traps: Vec::new(),
        }
    }

    #[test]
    fn layout_honours_the_preferred_start() {
        let funcs = [
            function(None, 10),
            function(Some(32), 0xd7),
            function(Some(0), 5),
            function(None, 3),
        ];
        let image = Image::layout(&funcs).unwrap();
        assert_eq!(image.offsets[0], 0);
        assert_eq!(image.offsets[1] % 64, 32);
        assert_eq!(image.offsets[1], 32, "the nearest such offset");
        assert_eq!(image.offsets[2] % 64, 0);
        assert!(image.offsets[2] >= image.offsets[1] + 0xd7);
        assert_eq!(image.offsets[3] % FUNCTION_ALIGN, 0);
        for (i, f) in funcs.iter().enumerate() {
            let at = image.offsets[i];
            assert_eq!(&image.code[at..at + f.code.len()], &f.code[..]);
        }
    }
}
