//! Reading a module file's header: ELF on Linux and the other Unixes, PE on
//! Windows, Mach-O recognised by name. Only the few fields the loader itself
//! checks are read: the format, the machine, the word size, whether it is a
//! shared library, and (for ELF) the libraries it needs and where it says to look.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The container format of a binary file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryFormat {
    /// ELF, used by Linux and most Unixes.
    Elf,
    /// Portable Executable, used by Windows.
    Pe,
    /// Mach-O, used by macOS.
    MachO,
}

impl fmt::Display for BinaryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryFormat::Elf => "ELF",
            BinaryFormat::Pe => "PE",
            BinaryFormat::MachO => "Mach-O",
        })
    }
}

/// The processor a binary was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Machine {
    /// 32-bit Intel/AMD (i386).
    X86,
    /// 64-bit Intel/AMD.
    X86_64,
    /// 32-bit ARM.
    Arm,
    /// 64-bit ARM.
    Aarch64,
    /// Any other processor, with the raw machine number of its header.
    Other(u32),
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Machine::X86 => f.write_str("x86 (i386)"),
            Machine::X86_64 => f.write_str("x86-64"),
            Machine::Arm => f.write_str("ARM"),
            Machine::Aarch64 => f.write_str("AArch64"),
            Machine::Other(code) => write!(f, "machine {code:#x}"),
        }
    }
}

/// The kind of ELF or PE file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A shared library (ELF `ET_DYN`, a PE DLL, a Mach-O dylib or bundle); position-independent
    /// executables are also `ET_DYN` and cannot be told apart from the header alone.
    SharedLibrary,
    /// A program.
    Executable,
    /// An object file (`.o`) or a core dump: nothing a loader opens.
    Other,
}

/// What the header of a binary file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryHeader {
    /// The container format.
    pub format: BinaryFormat,
    /// The processor.
    pub machine: Machine,
    /// 32 or 64.
    pub bits: u8,
    /// Library, program or other.
    pub kind: FileKind,
    /// ELF `DT_NEEDED`: the libraries the loader must find, in order.
    pub needed: Vec<String>,
    /// ELF `DT_RUNPATH` directories (searched after `LD_LIBRARY_PATH`).
    pub runpath: Vec<String>,
    /// ELF `DT_RPATH` directories (searched before `LD_LIBRARY_PATH`, ignored when a runpath exists).
    pub rpath: Vec<String>,
}

impl BinaryHeader {
    /// A one-line description such as `ELF 64-bit x86-64 shared library`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            FileKind::SharedLibrary => "shared library",
            FileKind::Executable => "executable",
            FileKind::Other => "object file",
        };
        format!("{} {}-bit {} {kind}", self.format, self.bits, self.machine)
    }
}

/// The format, machine and word size of the programs this build of fxconfig runs as.
pub fn host_target() -> (BinaryFormat, Machine, u8) {
    let format = if cfg!(windows) {
        BinaryFormat::Pe
    } else if cfg!(target_os = "macos") {
        BinaryFormat::MachO
    } else {
        BinaryFormat::Elf
    };
    let machine = if cfg!(target_arch = "x86_64") {
        Machine::X86_64
    } else if cfg!(target_arch = "x86") {
        Machine::X86
    } else if cfg!(target_arch = "aarch64") {
        Machine::Aarch64
    } else if cfg!(target_arch = "arm") {
        Machine::Arm
    } else {
        Machine::Other(0)
    };
    let bits = if cfg!(target_pointer_width = "64") { 64 } else { 32 };
    (format, machine, bits)
}

/// Why the bytes are not a binary this reader understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not ELF, PE or Mach-O: the text says what it looks like instead.
    NotBinary(String),
    /// It starts like a binary but its header is cut short or inconsistent.
    Malformed(String),
}

/// Reads the header of a binary file held in memory.
pub fn parse(bytes: &[u8]) -> Result<BinaryHeader, HeaderProblem> {
    if bytes.starts_with(b"\x7fELF") {
        return elf::parse(bytes);
    }
    if bytes.starts_with(b"MZ") {
        return pe(bytes);
    }
    if let Some(magic) = bytes.get(..4) {
        let big = u32::from_be_bytes([magic[0], magic[1], magic[2], magic[3]]);
        let little = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
        if [big, little].iter().any(|m| matches!(m, 0xfeed_face | 0xfeed_facf)) || big == 0xcafe_babe {
            return Ok(mach_o(bytes, big == 0xcafe_babe));
        }
    }
    Err(HeaderProblem::NotBinary(what_it_looks_like(bytes)))
}

/// Names a non-binary file from its first bytes.
fn what_it_looks_like(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "an empty file".to_owned();
    }
    if bytes.starts_with(b"#!") {
        return "a script".to_owned();
    }
    if bytes.starts_with(b"!<arch>") {
        return "a static library archive (.a), which cannot be loaded at run time".to_owned();
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return "a ZIP archive".to_owned();
    }
    if bytes.starts_with(b"\x1f\x8b") {
        return "a gzip archive".to_owned();
    }
    let sample = &bytes[..bytes.len().min(512)];
    let text = sample
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80);
    if text {
        "a text file".to_owned()
    } else {
        let hex: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("an unknown binary format (first bytes {})", hex.join(" "))
    }
}

fn pe(bytes: &[u8]) -> Result<BinaryHeader, HeaderProblem> {
    let malformed = |what: &str| HeaderProblem::Malformed(format!("PE header: {what}"));
    let lfanew = read_u32(bytes, 0x3c, true).ok_or_else(|| malformed("cut short before e_lfanew"))? as usize;
    if bytes.get(lfanew..lfanew.saturating_add(4)) != Some(b"PE\0\0") {
        return Err(HeaderProblem::NotBinary(
            "an MS-DOS program without a PE header".to_owned(),
        ));
    }
    let machine_code = read_u16(bytes, lfanew + 4, true).ok_or_else(|| malformed("cut short at Machine"))?;
    let characteristics =
        read_u16(bytes, lfanew + 22, true).ok_or_else(|| malformed("cut short at Characteristics"))?;
    let magic = read_u16(bytes, lfanew + 24, true).ok_or_else(|| malformed("cut short at the optional header"))?;
    let machine = match machine_code {
        0x14c => Machine::X86,
        0x8664 => Machine::X86_64,
        0x1c0 | 0x1c4 => Machine::Arm,
        0xaa64 => Machine::Aarch64,
        other => Machine::Other(u32::from(other)),
    };
    let bits = match magic {
        0x20b => 64,
        0x10b => 32,
        other => return Err(malformed(&format!("unknown optional header magic {other:#x}"))),
    };
    let kind = if characteristics & 0x2000 != 0 {
        FileKind::SharedLibrary
    } else if characteristics & 0x0002 != 0 {
        FileKind::Executable
    } else {
        FileKind::Other
    };
    let needed = pe_imports::dll_names(bytes, lfanew, bits).map_err(|what| malformed(&what))?;
    Ok(BinaryHeader {
        format: BinaryFormat::Pe,
        machine,
        bits,
        kind,
        needed,
        runpath: Vec::new(),
        rpath: Vec::new(),
    })
}

fn mach_o(bytes: &[u8], fat: bool) -> BinaryHeader {
    let little = bytes.first().is_some_and(|b| *b == 0xcf || *b == 0xce);
    let cpu = read_u32(bytes, 4, little).unwrap_or(0);
    let file_type = read_u32(bytes, 12, little).unwrap_or(0);
    let machine = match cpu {
        7 => Machine::X86,
        0x0100_0007 => Machine::X86_64,
        12 => Machine::Arm,
        0x0100_000c => Machine::Aarch64,
        other => Machine::Other(other),
    };
    BinaryHeader {
        format: BinaryFormat::MachO,
        machine: if fat { Machine::Other(0) } else { machine },
        bits: if cpu & 0x0100_0000 != 0 { 64 } else { 32 },
        kind: match file_type {
            6 | 8 => FileKind::SharedLibrary,
            2 => FileKind::Executable,
            _ => FileKind::Other,
        },
        needed: Vec::new(),
        runpath: Vec::new(),
        rpath: Vec::new(),
    }
}

pub(crate) fn read_u16(bytes: &[u8], at: usize, little: bool) -> Option<u16> {
    let raw: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if little {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    })
}

pub(crate) fn read_u32(bytes: &[u8], at: usize, little: bool) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    })
}

pub(crate) fn read_u64(bytes: &[u8], at: usize, little: bool) -> Option<u64> {
    let raw: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if little {
        u64::from_le_bytes(raw)
    } else {
        u64::from_be_bytes(raw)
    })
}

mod pe_imports {
    //! PE: the DLL names of the import directory (data directory 1), the DLLs the Windows
    //! loader must find before the module's `DllMain` runs. Delay-loaded DLLs (data directory
    //! 13) are loaded on first use and are not listed.

    use super::{read_u16, read_u32};

    /// Bytes of one section header and of one import descriptor.
    const SECTION_HEADER_LEN: usize = 40;
    const IMPORT_DESCRIPTOR_LEN: usize = 20;
    /// More sections or imported DLLs than any real module has.
    const MAX_SECTIONS: usize = 96;
    const MAX_IMPORTS: usize = 4096;
    /// The longest DLL name read.
    const MAX_NAME_LEN: usize = 512;

    /// The imported DLL names, in the order of the import directory.
    pub(super) fn dll_names(bytes: &[u8], lfanew: usize, bits: u8) -> Result<Vec<String>, String> {
        let optional = lfanew + 24;
        // PE32+ keeps NumberOfRvaAndSizes at 108 and the data directories at 112; PE32 at 92 and 96.
        let (count_at, directories_at) = if bits == 64 { (108, 112) } else { (92, 96) };
        let directory_count = read_u32(bytes, optional + count_at, true).ok_or("cut short at NumberOfRvaAndSizes")?;
        if directory_count < 2 {
            return Ok(Vec::new());
        }
        let import_rva =
            read_u32(bytes, optional + directories_at + 8, true).ok_or("cut short at the import directory")?;
        if import_rva == 0 {
            return Ok(Vec::new());
        }
        let sections = Sections::read(bytes, lfanew)?;
        let mut at = sections
            .offset(import_rva)
            .ok_or_else(|| format!("the import directory (RVA {import_rva:#x}) lies outside every section"))?;
        let mut names = Vec::new();
        loop {
            let descriptor = bytes
                .get(at..at + IMPORT_DESCRIPTOR_LEN)
                .ok_or("the import directory is cut short")?;
            if descriptor.iter().all(|byte| *byte == 0) {
                return Ok(names);
            }
            if names.len() >= MAX_IMPORTS {
                return Err(format!("more than {MAX_IMPORTS} imported DLLs"));
            }
            let name_rva = read_u32(descriptor, 12, true).ok_or("cut short at an import's Name")?;
            let name_at = sections
                .offset(name_rva)
                .ok_or_else(|| format!("an imported DLL's name (RVA {name_rva:#x}) lies outside every section"))?;
            names.push(c_string(bytes, name_at)?);
            at += IMPORT_DESCRIPTOR_LEN;
        }
    }

    /// A NUL-terminated ASCII name.
    fn c_string(bytes: &[u8], at: usize) -> Result<String, String> {
        let tail = bytes.get(at..).ok_or("a DLL name lies past the end of the file")?;
        let tail = &tail[..tail.len().min(MAX_NAME_LEN)];
        let end = tail
            .iter()
            .position(|byte| *byte == 0)
            .ok_or("a DLL name is not terminated")?;
        let name = std::str::from_utf8(&tail[..end]).map_err(|_| "a DLL name is not ASCII".to_owned())?;
        if name.is_empty() {
            return Err("an imported DLL has an empty name".to_owned());
        }
        Ok(name.to_owned())
    }

    /// Where each section's bytes sit in the file, to turn RVAs into file offsets.
    struct Sections {
        /// (virtual address, size in memory, file offset, size in the file)
        ranges: Vec<(u32, u32, u32, u32)>,
        /// Bytes of the headers, which are mapped at RVA 0 as they are in the file.
        headers_len: u32,
    }

    impl Sections {
        fn read(bytes: &[u8], lfanew: usize) -> Result<Sections, String> {
            let count = usize::from(read_u16(bytes, lfanew + 6, true).ok_or("cut short at NumberOfSections")?);
            if count > MAX_SECTIONS {
                return Err(format!("{count} sections, more than a module has"));
            }
            let optional_len =
                usize::from(read_u16(bytes, lfanew + 20, true).ok_or("cut short at SizeOfOptionalHeader")?);
            let headers_len = read_u32(bytes, lfanew + 24 + 60, true).ok_or("cut short at SizeOfHeaders")?;
            let table = lfanew + 24 + optional_len;
            let mut ranges = Vec::with_capacity(count);
            for index in 0..count {
                let header = table + index * SECTION_HEADER_LEN;
                let field =
                    |offset: usize| read_u32(bytes, header + offset, true).ok_or("the section table is cut short");
                ranges.push((field(12)?, field(8)?, field(20)?, field(16)?));
            }
            Ok(Sections { ranges, headers_len })
        }

        /// The file offset of an RVA, when the file holds that byte.
        fn offset(&self, rva: u32) -> Option<usize> {
            if rva < self.headers_len {
                return usize::try_from(rva).ok();
            }
            self.ranges
                .iter()
                .find_map(|&(address, memory_len, file_at, file_len)| {
                    let within = rva.checked_sub(address)?;
                    (within < memory_len.max(file_len) && within < file_len)
                        .then(|| usize::try_from(file_at.checked_add(within)?).ok())
                        .flatten()
                })
        }
    }
}

mod elf {
    //! ELF: the file header, the program headers and the dynamic segment.

    use super::{BinaryFormat, BinaryHeader, FileKind, HeaderProblem, Machine, read_u16, read_u32, read_u64};

    const PT_LOAD: u32 = 1;
    const PT_DYNAMIC: u32 = 2;
    const DT_NULL: u64 = 0;
    const DT_NEEDED: u64 = 1;
    const DT_STRTAB: u64 = 5;
    const DT_RPATH: u64 = 15;
    const DT_RUNPATH: u64 = 29;
    /// More program headers or dynamic entries than any real library has.
    const MAX_ENTRIES: usize = 65_536;

    /// Reads one address-sized field.
    struct Reader<'a> {
        bytes: &'a [u8],
        little: bool,
        wide: bool,
    }

    impl Reader<'_> {
        fn word(&self, at: usize) -> Option<u64> {
            if self.wide {
                read_u64(self.bytes, at, self.little)
            } else {
                read_u32(self.bytes, at, self.little).map(u64::from)
            }
        }

        fn half(&self, at: usize) -> Option<u16> {
            read_u16(self.bytes, at, self.little)
        }

        fn u32(&self, at: usize) -> Option<u32> {
            read_u32(self.bytes, at, self.little)
        }
    }

    struct Segment {
        kind: u32,
        offset: u64,
        vaddr: u64,
        filesz: u64,
    }

    pub(super) fn parse(bytes: &[u8]) -> Result<BinaryHeader, HeaderProblem> {
        let malformed = |what: &str| HeaderProblem::Malformed(format!("ELF header: {what}"));
        let class = *bytes.get(4).ok_or_else(|| malformed("cut short"))?;
        let data = *bytes.get(5).ok_or_else(|| malformed("cut short"))?;
        let wide = match class {
            1 => false,
            2 => true,
            other => return Err(malformed(&format!("unknown class {other}"))),
        };
        let little = match data {
            1 => true,
            2 => false,
            other => return Err(malformed(&format!("unknown byte order {other}"))),
        };
        let reader = Reader { bytes, little, wide };
        let e_type = reader.half(16).ok_or_else(|| malformed("cut short at e_type"))?;
        let e_machine = reader.half(18).ok_or_else(|| malformed("cut short at e_machine"))?;
        let machine = match e_machine {
            3 => Machine::X86,
            0x3e => Machine::X86_64,
            0x28 => Machine::Arm,
            0xb7 => Machine::Aarch64,
            other => Machine::Other(u32::from(other)),
        };
        let kind = match e_type {
            3 => FileKind::SharedLibrary,
            2 => FileKind::Executable,
            _ => FileKind::Other,
        };
        let mut header = BinaryHeader {
            format: BinaryFormat::Elf,
            machine,
            bits: if wide { 64 } else { 32 },
            kind,
            needed: Vec::new(),
            runpath: Vec::new(),
            rpath: Vec::new(),
        };
        let segments = segments(&reader).ok_or_else(|| malformed("the program headers are cut short"))?;
        if let Some(dynamic) = segments.iter().find(|s| s.kind == PT_DYNAMIC) {
            dynamic_entries(&reader, dynamic, &segments, &mut header)
                .ok_or_else(|| malformed("the dynamic segment is cut short or inconsistent"))?;
        }
        Ok(header)
    }

    fn segments(reader: &Reader<'_>) -> Option<Vec<Segment>> {
        let (phoff, phentsize, phnum) = if reader.wide {
            (reader.word(0x20)?, reader.half(0x36)?, reader.half(0x38)?)
        } else {
            (reader.word(0x1c)?, reader.half(0x2a)?, reader.half(0x2c)?)
        };
        let mut segments = Vec::new();
        for index in 0..usize::from(phnum).min(MAX_ENTRIES) {
            let at = usize::try_from(phoff)
                .ok()?
                .checked_add(index.checked_mul(usize::from(phentsize))?)?;
            let segment = if reader.wide {
                Segment {
                    kind: reader.u32(at)?,
                    offset: reader.word(at + 8)?,
                    vaddr: reader.word(at + 16)?,
                    filesz: reader.word(at + 32)?,
                }
            } else {
                Segment {
                    kind: reader.u32(at)?,
                    offset: reader.word(at + 4)?,
                    vaddr: reader.word(at + 8)?,
                    filesz: reader.word(at + 16)?,
                }
            };
            segments.push(segment);
        }
        Some(segments)
    }

    /// The file offset of a virtual address, through the loadable segments.
    fn file_offset(segments: &[Segment], vaddr: u64) -> Option<u64> {
        segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find(|s| vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz)
            .map(|s| vaddr - s.vaddr + s.offset)
    }

    fn dynamic_entries(
        reader: &Reader<'_>,
        dynamic: &Segment,
        segments: &[Segment],
        header: &mut BinaryHeader,
    ) -> Option<()> {
        let entry_size = if reader.wide { 16 } else { 8 };
        let start = usize::try_from(dynamic.offset).ok()?;
        let count = usize::try_from(dynamic.filesz).ok()? / entry_size;
        let mut entries = Vec::new();
        for index in 0..count.min(MAX_ENTRIES) {
            let at = start.checked_add(index * entry_size)?;
            let tag = reader.word(at)?;
            let value = reader.word(at + entry_size / 2)?;
            if tag == DT_NULL {
                break;
            }
            entries.push((tag, value));
        }
        let strtab_vaddr = entries.iter().find(|(tag, _)| *tag == DT_STRTAB).map(|(_, v)| *v)?;
        let strtab = usize::try_from(file_offset(segments, strtab_vaddr)?).ok()?;
        let string_at = |offset: u64| -> Option<String> {
            let begin = strtab.checked_add(usize::try_from(offset).ok()?)?;
            let tail = reader.bytes.get(begin..)?;
            let end = tail.iter().position(|b| *b == 0)?;
            Some(String::from_utf8_lossy(&tail[..end]).into_owned())
        };
        let split =
            |list: String| -> Vec<String> { list.split(':').filter(|d| !d.is_empty()).map(str::to_owned).collect() };
        for (tag, value) in entries {
            match tag {
                DT_NEEDED => header.needed.push(string_at(value)?),
                DT_RUNPATH => header.runpath.extend(split(string_at(value)?)),
                DT_RPATH => header.rpath.extend(split(string_at(value)?)),
                _ => {}
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_empty_files_are_named() {
        assert_eq!(
            parse(b"hello, I am not a library\n"),
            Err(HeaderProblem::NotBinary("a text file".to_owned()))
        );
        assert_eq!(parse(b""), Err(HeaderProblem::NotBinary("an empty file".to_owned())));
        assert!(matches!(parse(b"\x7fELF\x02"), Err(HeaderProblem::Malformed(_))));
    }

    #[test]
    fn a_minimal_pe_dll_header_is_read() {
        let mut bytes = vec![0u8; 0x200];
        bytes[..2].copy_from_slice(b"MZ");
        bytes[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        bytes[0x80..0x84].copy_from_slice(b"PE\0\0");
        bytes[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
        bytes[0x96..0x98].copy_from_slice(&0x2102u16.to_le_bytes());
        bytes[0x98..0x9a].copy_from_slice(&0x10bu16.to_le_bytes());
        let header = parse(&bytes).expect("PE header");
        assert_eq!(header.describe(), "PE 32-bit x86 (i386) shared library");
    }
}
