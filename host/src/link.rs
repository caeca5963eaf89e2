//! `assay build`: links a policy bundle into a copy of the guest runtime.
//! The bundle goes into pages appended to the initial memory (the guest's
//! allocator only uses memory it grows, so they stay untouched), their place
//! into the runtime's policy slot, and the metadata into a custom section.

use assay_core::api::PolicyInfo;
use assay_runtime::{Bundle, ABI_VERSION, SLOT_MARKER};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasm_encoder::reencode::{self, Reencode};

/// The custom section that carries `Metadata` as JSON.
pub const METADATA_SECTION: &str = "assay.metadata";
const PAGE: u64 = 65536;

/// What a module says about itself (`assay inspect`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub abi_version: u32,
    pub assay_version: String,
    /// `sha256:` of the linked bundle (the policy files and what they refer to).
    pub source_hash: String,
    pub policies: Vec<PolicyInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the guest runtime has no policy slot; rebuild assay")]
    NoSlot,
    #[error("the guest runtime does not read: {0}")]
    Runtime(String),
    #[error("the policy is too large for a 32-bit module ({0} bytes)")]
    TooLarge(usize),
}

/// The module for `bundle`: the runtime with the bundle linked in. The same
/// bundle and runtime give the same bytes.
pub fn link(
    runtime: &[u8],
    bundle: &Bundle,
    policies: Vec<PolicyInfo>,
) -> Result<Vec<u8>, LinkError> {
    let payload = serde_json::to_vec(bundle).map_err(|e| LinkError::Runtime(e.to_string()))?;
    let metadata = Metadata {
        abi_version: ABI_VERSION,
        assay_version: env!("CARGO_PKG_VERSION").to_owned(),
        source_hash: format!("sha256:{:x}", Sha256::digest(&payload)),
        policies,
    };
    let shape = Shape::of(runtime).map_err(|e| LinkError::Runtime(e.to_string()))?;
    let initial_pages = shape.initial_pages;
    let offset = initial_pages * PAGE;
    let end = offset + payload.len() as u64;
    if end > u64::from(u32::MAX) {
        return Err(LinkError::TooLarge(payload.len()));
    }
    let mut patched = runtime.to_vec();
    write_slot(&mut patched, offset as u32, payload.len() as u32)?;

    let mut linker = Linker {
        extra_pages: end.div_ceil(PAGE) - initial_pages,
        segment: Some((offset as i32, payload)),
        stubbed_imports: shape.function_imports,
        defined_functions: shape.defined_functions,
    };
    let mut module = wasm_encoder::Module::new();
    linker
        .parse_core_module(&mut module, wasmparser::Parser::new(0), &patched)
        .map_err(|e| LinkError::Runtime(e.to_string()))?;
    if linker.segment.is_some() {
        return Err(LinkError::Runtime("it has no data section".to_owned()));
    }
    let json = serde_json::to_vec(&metadata).map_err(|e| LinkError::Runtime(e.to_string()))?;
    module.section(&wasm_encoder::CustomSection {
        name: METADATA_SECTION.into(),
        data: json.into(),
    });
    Ok(module.finish())
}

/// The metadata of a module built by `link`.
pub fn metadata(module: &[u8]) -> Result<Metadata, String> {
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| format!("not a WebAssembly module: {e}"))?;
        if let wasmparser::Payload::CustomSection(c) = payload {
            if c.name() == METADATA_SECTION {
                return serde_json::from_slice(c.data())
                    .map_err(|e| format!("its `{METADATA_SECTION}` section does not read: {e}"));
            }
        }
    }
    Err(format!(
        "no `{METADATA_SECTION}` section: not built by `assay build`"
    ))
}

/// What a module built by `link` holds, checked: its metadata, and the
/// policy bundle linked in, whose SHA-256 is the metadata's `sourceHash`.
#[derive(Debug)]
pub struct Contents {
    pub metadata: Metadata,
    /// `None` for a module with no policy slot and no policies in its
    /// metadata (a hand-written module of the ABI): nothing to check.
    pub bundle: Option<Bundle>,
}

/// Why a module's contents do not check out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ContentsError {
    /// Not a module `link` made: no metadata, no policy slot, or data
    /// that does not read.
    #[error("{0}")]
    Invalid(String),
    /// The policy text linked in is not what `sourceHash` names.
    #[error("{}", source_hash_mismatch(.expected, .found))]
    SourceHash { expected: String, found: String },
}

/// The message of a module whose policy text is not what its `sourceHash` names.
pub(crate) fn source_hash_mismatch(expected: &str, found: &str) -> String {
    format!(
        "its policy text does not match its sourceHash {expected} (the text hashes to {found}): \
         it was edited after `assay build`; rebuild it"
    )
}

/// The metadata and the policy bundle of a module built by `link`, with
/// the bundle's hash recomputed: the bundle is what the guest reads, the
/// data that the policy slot (the one place the runtime's `POLICY_SLOT`
/// static holds) points at, written by exactly one data segment.
pub fn contents(module: &[u8]) -> Result<Contents, ContentsError> {
    let invalid = |e: String| ContentsError::Invalid(e);
    let metadata = metadata(module).map_err(invalid)?;
    let segments = data_segments(module).map_err(invalid)?;
    let finder = memchr::memmem::Finder::new(SLOT_MARKER);
    let slots: Vec<u64> = segments
        .iter()
        .flat_map(|s| finder.find_iter(s.data).map(|at| s.offset + at as u64))
        .collect();
    let slot = match slots[..] {
        [] if metadata.policies.is_empty() => {
            return Ok(Contents {
                metadata,
                bundle: None,
            })
        }
        [] => return Err(invalid("it has no policy slot".to_owned())),
        [slot] => slot,
        _ => return Err(invalid("it has more than one policy slot".to_owned())),
    };
    let marker = SLOT_MARKER.len() as u64;
    let slot_bytes = written_by_one(&segments, slot, marker + 8)
        .ok_or_else(|| invalid("its policy slot is written twice".to_owned()))?;
    let word = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&slot_bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(b))
    };
    let (offset, len) = (word(SLOT_MARKER.len()), word(SLOT_MARKER.len() + 4));
    let payload = written_by_one(&segments, offset, len)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| invalid("its policy bundle is not where its slot says".to_owned()))?;
    let found = format!("sha256:{:x}", Sha256::digest(payload));
    if found != metadata.source_hash {
        return Err(ContentsError::SourceHash {
            expected: metadata.source_hash,
            found,
        });
    }
    let bundle = serde_json::from_slice(payload)
        .map_err(|e| invalid(format!("its policy bundle does not read: {e}")))?;
    Ok(Contents {
        metadata,
        bundle: Some(bundle),
    })
}

/// An active data segment of memory 0.
struct Segment<'a> {
    offset: u64,
    data: &'a [u8],
}

fn data_segments(module: &[u8]) -> Result<Vec<Segment<'_>>, String> {
    let mut segments = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| format!("not a WebAssembly module: {e}"))?;
        let wasmparser::Payload::DataSection(section) = payload else {
            continue;
        };
        for data in section {
            let data = data.map_err(|e| e.to_string())?;
            let wasmparser::DataKind::Active {
                memory_index,
                offset_expr,
            } = data.kind
            else {
                continue;
            };
            let mut ops = offset_expr.get_operators_reader();
            let offset = match (ops.read(), ops.read()) {
                (Ok(wasmparser::Operator::I32Const { value }), Ok(wasmparser::Operator::End)) => {
                    u64::from(value as u32)
                }
                _ => return Err("a data segment has a computed offset".to_owned()),
            };
            if memory_index == 0 {
                segments.push(Segment {
                    offset,
                    data: data.data,
                });
            }
        }
    }
    Ok(segments)
}

/// The bytes at `offset..offset + len` of the initial memory when one
/// segment writes them all and no other writes any of them.
fn written_by_one<'a>(segments: &[Segment<'a>], offset: u64, len: u64) -> Option<&'a [u8]> {
    let end = offset.checked_add(len)?;
    let mut writers = segments
        .iter()
        .filter(|s| s.offset < end && offset < s.offset + s.data.len() as u64);
    let only = writers.next()?;
    if writers.next().is_some() {
        return None;
    }
    let start = usize::try_from(offset.checked_sub(only.offset)?).ok()?;
    only.data.get(start..start + usize::try_from(len).ok()?)
}

/// What linking needs to know about the runtime before re-encoding it.
struct Shape {
    initial_pages: u64,
    /// Type index of each imported function, in order.
    function_imports: Vec<u32>,
    defined_functions: u32,
}

impl Shape {
    fn of(runtime: &[u8]) -> Result<Shape, String> {
        let mut shape = Shape {
            initial_pages: 0,
            function_imports: Vec::new(),
            defined_functions: 0,
        };
        let mut has_memory = false;
        for payload in wasmparser::Parser::new(0).parse_all(runtime) {
            match payload.map_err(|e| e.to_string())? {
                wasmparser::Payload::MemorySection(memories) => {
                    if let Some(memory) = memories.into_iter().next() {
                        shape.initial_pages = memory.map_err(|e| e.to_string())?.initial;
                        has_memory = true;
                    }
                }
                wasmparser::Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        match import.ty {
                            wasmparser::TypeRef::Func(ty) => shape.function_imports.push(ty),
                            _ => return Err(format!("it imports `{}`", import.name)),
                        }
                    }
                }
                wasmparser::Payload::FunctionSection(functions) => {
                    shape.defined_functions = functions.count();
                }
                _ => {}
            }
        }
        if !has_memory {
            return Err("it has no memory".to_owned());
        }
        Ok(shape)
    }
}

/// Writes the bundle's offset and length after the slot marker, in place.
fn write_slot(module: &mut [u8], offset: u32, len: u32) -> Result<(), LinkError> {
    let at = module
        .windows(SLOT_MARKER.len())
        .position(|w| w == SLOT_MARKER)
        .ok_or(LinkError::NoSlot)?
        + SLOT_MARKER.len();
    let slot = module.get_mut(at..at + 8).ok_or(LinkError::NoSlot)?;
    slot[..4].copy_from_slice(&offset.to_le_bytes());
    slot[4..].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Re-encodes the runtime with room for the bundle and a data segment
/// holding it, and makes it self-contained: a dependency's unused glue for
/// JS hosts (wasm-bindgen) leaves imports behind, which become functions
/// that trap, and only the module's own exports are kept.
struct Linker {
    extra_pages: u64,
    segment: Option<(i32, Vec<u8>)>,
    stubbed_imports: Vec<u32>,
    defined_functions: u32,
}

/// Exports of the module ABI (docs/module-abi.md).
fn is_abi_export(name: &str) -> bool {
    name == "memory" || name.starts_with("assay_")
}

impl Reencode for Linker {
    type Error = std::convert::Infallible;

    fn memory_type(
        &mut self,
        memory: wasmparser::MemoryType,
    ) -> Result<wasm_encoder::MemoryType, reencode::Error<Self::Error>> {
        let mut memory = reencode::utils::memory_type(self, memory);
        memory.minimum += self.extra_pages;
        if let Some(max) = &mut memory.maximum {
            *max = (*max).max(memory.minimum);
        }
        Ok(memory)
    }

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<Self::Error>> {
        let imported = self.stubbed_imports.len() as u32;
        Ok(if func < imported {
            self.defined_functions + func
        } else {
            func - imported
        })
    }

    fn parse_import_section(
        &mut self,
        _imports: &mut wasm_encoder::ImportSection,
        _section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_function_section(self, functions, section)?;
        for ty in &self.stubbed_imports {
            functions.function(*ty);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_code_section(self, code, section)?;
        for _ in &self.stubbed_imports {
            let mut stub = wasm_encoder::Function::new([]);
            stub.instruction(&wasm_encoder::Instruction::Unreachable);
            stub.instruction(&wasm_encoder::Instruction::End);
            code.function(&stub);
        }
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        for export in section {
            let export = export?;
            if is_abi_export(export.name) {
                self.parse_export(exports, export)?;
            }
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        _module: &mut wasm_encoder::Module,
        _section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        // Names and producers would need renumbering; the metadata is added after.
        Ok(())
    }

    fn data_count(&mut self, count: u32) -> Result<u32, reencode::Error<Self::Error>> {
        Ok(count + 1)
    }

    fn parse_data_section(
        &mut self,
        data: &mut wasm_encoder::DataSection,
        section: wasmparser::DataSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_data_section(self, data, section)?;
        if let Some((offset, bytes)) = self.segment.take() {
            data.active(0, &wasm_encoder::ConstExpr::i32_const(offset), bytes);
        }
        Ok(())
    }
}
