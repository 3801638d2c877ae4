#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn writes_land_in_the_file_and_the_rest_reads_as_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let mut m = MappedFile::create(&path, 8192).unwrap();
    assert_eq!(m.len(), 8192);
    assert!(m.write_at(0, b"hello\n"));
    assert!(m.write_at(4090, b"across a page\n"));
    // Read through another handle (the page cache the map writes to), as the folder does.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 8192);
    assert_eq!(&bytes[..6], b"hello\n");
    assert_eq!(&bytes[4090..4104], b"across a page\n");
    assert!(bytes[6..4090].iter().all(|&b| b == 0));
    assert!(bytes[4104..].iter().all(|&b| b == 0));
}

#[test]
fn what_does_not_fit_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let mut m = MappedFile::create(&path, 4096).unwrap();
    assert!(!m.write_at(4090, b"too long\n"));
    assert!(!m.write_at(usize::MAX, b"x"));
    assert!(m.write_at(4088, b"12345678"));
    assert!(std::fs::read(&path).unwrap()[..4088]
        .iter()
        .all(|&b| b == 0));
    // Past the map, the file itself takes the bytes and grows.
    m.pwrite_all_at(4096, b"more\n").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[4088..], b"12345678more\n");
    // Cutting it never goes below the map.
    m.truncate_to(0).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    assert!(m.write_at(0, b"still mapped"));
}

#[test]
fn creating_replaces_and_refuses_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    std::fs::write(&path, b"old content that is longer than the map").unwrap();
    let m = MappedFile::create(&path, 16).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), [0u8; 16]);
    drop(m);
    assert!(MappedFile::create(&path, 0).is_err());
}

#[test]
fn the_file_is_allocated_not_sparse() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let _m = MappedFile::create(&path, 1 << 20).unwrap();
    // st_blocks counts 512-byte units actually allocated.
    assert!(std::fs::metadata(&path).unwrap().blocks() * 512 >= 1 << 20);
}

#[test]
fn prefaulting_from_another_thread_leaves_the_data_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    let mut m = MappedFile::create(&path, 64 << 10).unwrap();
    assert!(m.write_at(0, b"first\n"));
    let p = m.prefaulter();
    std::thread::spawn(move || {
        // Past the end is clamped; an old kernel without MADV_POPULATE_WRITE says so.
        if let Err(e) = p.prefault(0, 1 << 20) {
            assert_eq!(e.raw_os_error(), Some(22), "{e}");
        }
    })
    .join()
    .unwrap();
    assert!(m.write_at(6, b"second\n"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..13], b"first\nsecond\n");
    assert!(bytes[13..].iter().all(|&b| b == 0));
}
