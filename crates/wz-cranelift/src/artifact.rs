//! Compiled modules as relocatable ELF objects ("artifacts").
//!
//! An artifact is an ordinary relocatable object (`ET_REL`) that standard tools can inspect
//! (`readelf -a`, `objdump -d`): a `.text` section with one local symbol `wz_func_<i>` per
//! defined function, `RELA` relocations for calls between them and to the math routines
//! (undefined symbols with their C names), and two sections of wz's own:
//!
//! - `.wz.meta`: magic, the engine fingerprint (wz version, artifact format, target, every
//!   Cranelift setting, the JIT options), a hash of the module's bytes, the function and trap
//!   counts, and a hash of the whole file (taken with that field zeroed);
//! - `.wz.traps`: the trap sites, `(u32 offset, u8 code, 3 bytes padding)` each;
//! - `.wz.srclocs`: where each stretch of code came from, `(u32 code offset, u32 module
//!   offset)` each, sorted by code offset (module offset `u32::MAX`: no wasm instruction).
//!
//! Reading checks all of that before anything is loaded, so an artifact of another engine,
//! module, wz version or target, or one with any changed byte, is refused with an error.
//! Those checks catch mistakes and corruption, not malice: machine code cannot be proven safe,
//! which is why loading is `unsafe` ([`crate::JitEngine::load_artifact`]).

use object::read::elf::ElfFile64;
use object::read::{Object as _, ObjectSection as _, ObjectSymbol as _, RelocationTarget};
use object::write::{Object, Relocation, StandardSegment, Symbol, SymbolId, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope, elf,
};

use crate::link::{Image, ImageReloc, LIBCALLS, RelocKind, Target};
use crate::{CompileError, ir};

const META: &str = ".wz.meta";
const TRAPS: &str = ".wz.traps";
const SRCLOCS: &str = ".wz.srclocs";
const MAGIC: &[u8; 8] = b"wzobj\0\0\x02";
const META_LEN: usize = 40;
const FUNC_PREFIX: &str = "wz_func_";

/// What an artifact must match to be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    /// Hash of everything about the engine that shapes generated code.
    pub fingerprint: u64,
    /// Hash of the module's bytes.
    pub module_hash: u64,
    /// Number of defined functions.
    pub functions: u32,
}

/// 64-bit FNV-1a: a stable hash (the same in every build and version), enough to tell
/// modules and engines apart and to notice changed bytes.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn error(what: impl std::fmt::Display) -> CompileError {
    CompileError::new(format!("invalid artifact: {what}"))
}

/// The ELF relocation type for `kind` on `arch`.
fn r_type(arch: Architecture, kind: RelocKind) -> Result<u32, CompileError> {
    Ok(match (arch, kind) {
        (Architecture::X86_64, RelocKind::PcRel32) => elf::R_X86_64_PC32,
        (Architecture::X86_64, RelocKind::Abs64) => elf::R_X86_64_64,
        (Architecture::Aarch64, RelocKind::Arm64Call) => elf::R_AARCH64_CALL26,
        (Architecture::Aarch64, RelocKind::Abs64) => elf::R_AARCH64_ABS64,
        (arch, kind) => {
            return Err(CompileError::new(format!(
                "no {kind:?} relocation for {arch:?} artifacts"
            )));
        }
    })
}

fn reloc_kind(arch: Architecture, r_type: u32) -> Option<RelocKind> {
    Some(match (arch, r_type) {
        (Architecture::X86_64, elf::R_X86_64_PC32) => RelocKind::PcRel32,
        (Architecture::X86_64, elf::R_X86_64_64) => RelocKind::Abs64,
        (Architecture::Aarch64, elf::R_AARCH64_CALL26) => RelocKind::Arm64Call,
        (Architecture::Aarch64, elf::R_AARCH64_ABS64) => RelocKind::Abs64,
        _ => return None,
    })
}

/// The object architecture for a target.
pub(crate) fn architecture(triple: &target_lexicon::Triple) -> Result<Architecture, CompileError> {
    match triple.architecture {
        target_lexicon::Architecture::X86_64 => Ok(Architecture::X86_64),
        target_lexicon::Architecture::Aarch64(_) => Ok(Architecture::Aarch64),
        other => Err(CompileError::new(format!(
            "artifacts are not supported for {other}"
        ))),
    }
}

/// Writes `image` as a relocatable object.
pub(crate) fn write(
    image: &Image,
    arch: Architecture,
    id: Identity,
) -> Result<Vec<u8>, CompileError> {
    let mut obj = Object::new(BinaryFormat::Elf, arch, Endianness::Little);
    let text_segment = obj.segment_name(StandardSegment::Text).to_vec();
    let text = obj.add_section(text_segment, b".text".to_vec(), SectionKind::Text);
    obj.append_section_data(text, &image.code, 64);
    let mut funcs = Vec::with_capacity(image.offsets.len());
    for (i, &start) in image.offsets.iter().enumerate() {
        let end = image
            .offsets
            .get(i + 1)
            .copied()
            .unwrap_or(image.code.len());
        funcs.push(obj.add_symbol(Symbol {
            name: format!("{FUNC_PREFIX}{i}").into_bytes(),
            value: start as u64,
            size: (end - start) as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Compilation,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        }));
    }
    let mut libcalls: Vec<(ir::LibCall, SymbolId)> = Vec::new();
    for r in &image.relocs {
        let symbol = match r.target {
            Target::Function(i) => *funcs
                .get(i as usize)
                .ok_or_else(|| CompileError::new("relocation to an unknown function"))?,
            Target::LibCall(lc) => {
                if let Some((_, s)) = libcalls.iter().find(|(l, _)| *l == lc) {
                    *s
                } else {
                    let (_, name) = LIBCALLS
                        .iter()
                        .find(|(l, _)| *l == lc)
                        .ok_or_else(|| CompileError::new(format!("unsupported libcall {lc:?}")))?;
                    let s = obj.add_symbol(Symbol {
                        name: name.as_bytes().to_vec(),
                        value: 0,
                        size: 0,
                        kind: SymbolKind::Text,
                        scope: SymbolScope::Unknown,
                        weak: false,
                        section: SymbolSection::Undefined,
                        flags: SymbolFlags::None,
                    });
                    libcalls.push((lc, s));
                    s
                }
            }
        };
        obj.add_relocation(
            text,
            Relocation {
                offset: r.at as u64,
                symbol,
                addend: r.addend,
                flags: RelocationFlags::Elf {
                    r_type: r_type(arch, r.kind)?,
                },
            },
        )
        .map_err(|e| CompileError::new(format!("cannot write artifact: {e}")))?;
    }
    let mut traps = Vec::with_capacity(image.traps.len() * 8);
    for &(at, code) in &image.traps {
        traps.extend_from_slice(&at.to_le_bytes());
        traps.extend_from_slice(&[code.as_raw().get(), 0, 0, 0]);
    }
    let mut meta = Vec::with_capacity(META_LEN);
    meta.extend_from_slice(MAGIC);
    meta.extend_from_slice(&id.fingerprint.to_le_bytes());
    meta.extend_from_slice(&id.module_hash.to_le_bytes());
    meta.extend_from_slice(&id.functions.to_le_bytes());
    meta.extend_from_slice(&(image.traps.len() as u32).to_le_bytes());
    // The file hash, filled in once the file exists.
    meta.extend_from_slice(&0u64.to_le_bytes());
    let mut srclocs = Vec::with_capacity(image.srclocs.len() * 8);
    for &(at, wasm) in &image.srclocs {
        srclocs.extend_from_slice(&at.to_le_bytes());
        srclocs.extend_from_slice(&wasm.to_le_bytes());
    }
    for (name, data) in [(META, meta), (TRAPS, traps), (SRCLOCS, srclocs)] {
        let section = obj.add_section(Vec::new(), name.as_bytes().to_vec(), SectionKind::Other);
        obj.append_section_data(section, &data, 8);
    }
    let mut bytes = obj
        .write()
        .map_err(|e| CompileError::new(format!("cannot write artifact: {e}")))?;
    let at = {
        let file = ElfFile64::<Endianness>::parse(bytes.as_slice()).map_err(error)?;
        hash_field(&file)?
    };
    let hash = fnv1a(&bytes);
    bytes[at..at + 8].copy_from_slice(&hash.to_le_bytes());
    Ok(bytes)
}

/// The file offset of the file-hash field in the meta section of `file`.
fn hash_field(file: &ElfFile64<'_, Endianness>) -> Result<usize, CompileError> {
    let meta = file
        .section_by_name(META)
        .ok_or_else(|| error(format!("no {META} section")))?;
    let (start, size) = meta
        .file_range()
        .ok_or_else(|| error(format!("{META} has no data")))?;
    if size != META_LEN as u64 {
        return Err(error("not a wz artifact of this format version"));
    }
    usize::try_from(start + 32).map_err(error)
}

/// The hash of `bytes` with the file-hash field at `at` zeroed.
fn file_hash(bytes: &[u8], at: usize) -> u64 {
    let mut copy = bytes.to_vec();
    copy[at..at + 8].fill(0);
    fnv1a(&copy)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads an artifact back into an image, checking it was made by an engine like this one
/// (`arch`, `expected.fingerprint`) for this module.
pub(crate) fn read(
    bytes: &[u8],
    arch: Architecture,
    expected: Identity,
) -> Result<Image, CompileError> {
    let file = ElfFile64::<Endianness>::parse(bytes).map_err(error)?;
    if file.architecture() != arch {
        return Err(error(format!(
            "compiled for {:?}, not {arch:?}",
            file.architecture()
        )));
    }
    let section_data = |name: &str| -> Result<&[u8], CompileError> {
        file.section_by_name(name)
            .ok_or_else(|| error(format!("no {name} section")))?
            .data()
            .map_err(error)
    };
    let meta = section_data(META)?;
    if meta.len() != META_LEN || &meta[..8] != MAGIC {
        return Err(error("not a wz artifact of this format version"));
    }
    if u64_at(meta, 8) != expected.fingerprint {
        return Err(error(
            "made by a different wz version, target or engine configuration",
        ));
    }
    if u64_at(meta, 16) != expected.module_hash || u32_at(meta, 24) != expected.functions {
        return Err(error("made for a different module"));
    }
    let trap_count = u32_at(meta, 28) as usize;
    if file_hash(bytes, hash_field(&file)?) != u64_at(meta, 32) {
        return Err(error("its contents do not match their recorded hash"));
    }

    let text = file
        .section_by_name(".text")
        .ok_or_else(|| error("no .text section"))?;
    let code = text.data().map_err(error)?.to_vec();

    let mut offsets: Vec<Option<usize>> = vec![None; expected.functions as usize];
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        let Some(index) = name.strip_prefix(FUNC_PREFIX) else {
            continue;
        };
        let index: usize = index
            .parse()
            .map_err(|_| error(format!("bad symbol {name}")))?;
        let at = symbol.address() as usize;
        if symbol.section_index() != Some(text.index()) || at >= code.len().max(1) {
            return Err(error(format!("symbol {name} is not in the code")));
        }
        let slot = offsets
            .get_mut(index)
            .ok_or_else(|| error(format!("symbol {name} names no function")))?;
        if slot.replace(at).is_some() {
            return Err(error(format!("symbol {name} is defined twice")));
        }
    }
    let offsets = offsets
        .into_iter()
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| error("a function has no symbol"))?;

    let mut relocs = Vec::new();
    for (at, r) in text.relocations() {
        let RelocationFlags::Elf { r_type } = r.flags() else {
            return Err(error("a relocation is not an ELF relocation"));
        };
        let kind =
            reloc_kind(arch, r_type).ok_or_else(|| error(format!("relocation type {r_type}")))?;
        let RelocationTarget::Symbol(index) = r.target() else {
            return Err(error("a relocation has no symbol"));
        };
        let symbol = file.symbol_by_index(index).map_err(error)?;
        let name = symbol.name().map_err(error)?;
        let target = if let Some(i) = name.strip_prefix(FUNC_PREFIX) {
            Target::Function(i.parse().map_err(|_| error(format!("bad symbol {name}")))?)
        } else {
            let (lc, _) = LIBCALLS
                .iter()
                .find(|(_, n)| *n == name)
                .ok_or_else(|| error(format!("unknown symbol {name}")))?;
            Target::LibCall(*lc)
        };
        relocs.push(ImageReloc {
            at: usize::try_from(at).map_err(error)?,
            kind,
            target,
            addend: r.addend(),
        });
    }

    let trap_bytes = section_data(TRAPS)?;
    if trap_bytes.len() != trap_count * 8 {
        return Err(error("the trap table has the wrong size"));
    }
    let mut traps = Vec::with_capacity(trap_count);
    for entry in trap_bytes.chunks_exact(8) {
        let at = u32_at(entry, 0);
        let trap =
            std::num::NonZeroU8::new(entry[4]).ok_or_else(|| error("a trap site has no code"))?;
        if at as usize >= code.len() {
            return Err(error("a trap site is outside the code"));
        }
        traps.push((at, ir::TrapCode::from_raw(trap)));
    }
    let srcloc_bytes = section_data(SRCLOCS)?;
    if srcloc_bytes.len() % 8 != 0 {
        return Err(error("the source location table has the wrong size"));
    }
    let mut srclocs: Vec<(u32, u32)> = Vec::with_capacity(srcloc_bytes.len() / 8);
    for entry in srcloc_bytes.chunks_exact(8) {
        let at = u32_at(entry, 0);
        if at as usize > code.len() || srclocs.last().is_some_and(|&(prev, _)| prev > at) {
            return Err(error("the source location table is out of order or range"));
        }
        srclocs.push((at, u32_at(entry, 4)));
    }
    Ok(Image {
        code,
        offsets,
        relocs,
        traps,
        srclocs,
    })
}
