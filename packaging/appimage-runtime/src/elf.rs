//! Where the appended squashfs image starts: at the end of the runtime's own ELF file.
//!
//! The linker writes the section header table last, so the ELF part of the file ends at
//! `e_shoff + e_shnum * e_shentsize`; the squashfs image is appended right there.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::RuntimeError;

/// The length of an ELF64 header.
const HEADER_LEN: usize = 64;
/// `\x7fELF`: the first four bytes of every ELF file.
const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
/// `EI_CLASS` value of a 64-bit object.
const CLASS_64: u8 = 2;
/// `EI_DATA` value of a little-endian object.
const DATA_LITTLE_ENDIAN: u8 = 1;
/// The offset of `sh_size` in an ELF64 section header.
const SECTION_SIZE_FIELD: u64 = 32;

/// The squashfs magic, `hsqs`, that starts a little-endian squashfs image.
pub const SQUASHFS_MAGIC: [u8; 4] = *b"hsqs";

/// Why the runtime's ELF header could not give the payload offset.
#[derive(Debug)]
pub enum ElfError {
    /// Reading the file failed (a file shorter than the header included).
    Io(std::io::Error),
    /// The header is not that of a little-endian 64-bit ELF file.
    NotElf(&'static str),
}

impl From<std::io::Error> for ElfError {
    fn from(error: std::io::Error) -> Self {
        ElfError::Io(error)
    }
}

/// The offset of the first byte after the runtime's ELF file: where the squashfs image starts.
pub fn payload_offset(reader: &mut (impl Read + Seek)) -> Result<u64, ElfError> {
    let mut header = [0u8; HEADER_LEN];
    reader.seek(SeekFrom::Start(0))?;
    reader.read_exact(&mut header)?;
    let fields = HeaderFields::parse(&header)?;
    let count = if fields.section_count == 0 && fields.section_table_offset != 0 {
        // Extended numbering: with 0xff00 sections or more, section 0's sh_size holds the count.
        let mut size = [0u8; 8];
        reader.seek(SeekFrom::Start(fields.section_table_offset + SECTION_SIZE_FIELD))?;
        reader.read_exact(&mut size)?;
        u64::from_le_bytes(size)
    } else {
        u64::from(fields.section_count)
    };
    count
        .checked_mul(u64::from(fields.section_entry_size))
        .and_then(|table_len| table_len.checked_add(fields.section_table_offset))
        .ok_or(ElfError::NotElf("the section header table ends past 2^64"))
}

/// Where the ELF part of the file at `path` ends: the payload offset, whether or not a payload follows.
pub fn elf_end(path: &Path) -> Result<u64, RuntimeError> {
    let mut file = File::open(path).map_err(|source| read_error(path, source))?;
    payload_offset(&mut file).map_err(|error| match error {
        ElfError::Io(source) => read_error(path, source),
        ElfError::NotElf(reason) => RuntimeError::NotElf { reason },
    })
}

/// The payload offset of the AppImage file at `path`, checked to hold a squashfs image.
pub fn image_offset(path: &Path) -> Result<u64, RuntimeError> {
    let offset = elf_end(path)?;
    let mut file = File::open(path).map_err(|source| read_error(path, source))?;
    if has_squashfs_at(&mut file, offset).map_err(|source| read_error(path, source))? {
        Ok(offset)
    } else {
        Err(RuntimeError::NoPayload { offset })
    }
}

fn read_error(path: &Path, source: std::io::Error) -> RuntimeError {
    RuntimeError::ReadImage {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether the squashfs magic is at `offset`.
pub fn has_squashfs_at(reader: &mut (impl Read + Seek), offset: u64) -> Result<bool, std::io::Error> {
    let mut magic = [0u8; 4];
    reader.seek(SeekFrom::Start(offset))?;
    match reader.read_exact(&mut magic) {
        Ok(()) => Ok(magic == SQUASHFS_MAGIC),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

/// The header fields that locate the section header table.
struct HeaderFields {
    section_table_offset: u64,
    section_entry_size: u16,
    section_count: u16,
}

impl HeaderFields {
    fn parse(header: &[u8; HEADER_LEN]) -> Result<Self, ElfError> {
        if header[..4] != ELF_MAGIC {
            return Err(ElfError::NotElf("no \\x7fELF magic"));
        }
        if header[4] != CLASS_64 {
            return Err(ElfError::NotElf("not 64-bit"));
        }
        if header[5] != DATA_LITTLE_ENDIAN {
            return Err(ElfError::NotElf("not little-endian"));
        }
        let u16_at = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&header[40..48]);
        Ok(HeaderFields {
            section_table_offset: u64::from_le_bytes(offset),
            section_entry_size: u16_at(58),
            section_count: u16_at(60),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header(section_table_offset: u64, entry_size: u16, count: u16) -> Vec<u8> {
        let mut bytes = vec![0u8; HEADER_LEN];
        bytes[..4].copy_from_slice(&ELF_MAGIC);
        bytes[4] = CLASS_64;
        bytes[5] = DATA_LITTLE_ENDIAN;
        bytes[8..11].copy_from_slice(b"AI\x02");
        bytes[40..48].copy_from_slice(&section_table_offset.to_le_bytes());
        bytes[58..60].copy_from_slice(&entry_size.to_le_bytes());
        bytes[60..62].copy_from_slice(&count.to_le_bytes());
        bytes
    }

    #[test]
    fn offset_is_the_end_of_the_section_header_table() {
        let bytes = header(1000, 64, 30);
        assert_eq!(payload_offset(&mut Cursor::new(bytes)).ok(), Some(1000 + 64 * 30));
    }

    #[test]
    fn extended_section_count_is_read_from_section_zero() {
        let mut bytes = header(128, 64, 0);
        bytes.resize(128 + 64, 0);
        bytes[128 + 32..128 + 40].copy_from_slice(&70_000u64.to_le_bytes());
        assert_eq!(payload_offset(&mut Cursor::new(bytes)).ok(), Some(128 + 64 * 70_000));
    }

    #[test]
    fn non_elf_and_big_endian_and_32_bit_files_are_refused() {
        let mut not_elf = header(0, 0, 0);
        not_elf[0] = b'M';
        let mut big_endian = header(0, 0, 0);
        big_endian[5] = 2;
        let mut thirty_two = header(0, 0, 0);
        thirty_two[4] = 1;
        for bytes in [not_elf, big_endian, thirty_two] {
            assert!(matches!(
                payload_offset(&mut Cursor::new(bytes)),
                Err(ElfError::NotElf(_))
            ));
        }
        let truncated = vec![0x7f, b'E', b'L', b'F'];
        assert!(matches!(
            payload_offset(&mut Cursor::new(truncated)),
            Err(ElfError::Io(_))
        ));
    }

    #[test]
    fn a_table_ending_past_u64_is_an_error_not_a_wrap() {
        let bytes = header(u64::MAX - 10, 64, 2);
        assert!(matches!(
            payload_offset(&mut Cursor::new(bytes)),
            Err(ElfError::NotElf(_))
        ));
    }

    #[test]
    fn the_test_binary_itself_ends_where_its_section_table_ends() {
        let path = std::env::current_exe().expect("the test binary has a path");
        let mut file = std::fs::File::open(&path).expect("the test binary is readable");
        let size = file.metadata().expect("metadata").len();
        let offset = payload_offset(&mut file).expect("the test binary is ELF64");
        assert_eq!(offset, size, "a freshly linked ELF ends with its section header table");
        assert!(!has_squashfs_at(&mut file, offset).expect("readable"));
    }

    #[test]
    fn squashfs_magic_is_found_only_where_it_is() {
        let mut bytes = header(64, 0, 0);
        bytes.extend_from_slice(b"hsqs....");
        let mut cursor = Cursor::new(bytes);
        assert!(has_squashfs_at(&mut cursor, 64).expect("in memory"));
        assert!(!has_squashfs_at(&mut cursor, 65).expect("in memory"));
        assert!(!has_squashfs_at(&mut cursor, 1000).expect("in memory"));
    }
}
