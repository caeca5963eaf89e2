//! Streams read a chunk of documents at a time (`assay_host::stream`):
//! chunks are cut only between documents, and the findings of a stream
//! checked in chunks are the findings of the stream read whole, at the same
//! lines and document indices. The chunk size is made small here, so that
//! a small stream goes through the path a stream over 64 MiB takes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_core::check::FileOutcome;
use assay_core::DocResult;
use assay_host::stream::{check_chunk, check_stream, ChunkLimits, Chunks, Piece};
use assay_host::Evaluator;
use std::path::Path;

const FILE: &str = "stream.yaml";

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The example manifests, and documents that test the cutting: a `kind:
/// List`, a document that does not parse, one that is not UTF-8, comment-only
/// and empty documents, `...` ends, markers with comments and CRLF, and
/// `---` lines that are not markers (indented in a block scalar, `----`).
fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(root().join("examples/k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"---\n");
        }
        out.extend_from_slice(&std::fs::read(path).unwrap());
    }
    out.extend_from_slice(
        b"--- # a list of two
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ml-pipeline-config, namespace: a}
  data: {LOG_LEVEL: TRACE}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ml-pipeline-config, namespace: b}
  data: {LOG_LEVEL: NOPE}
---
# only a comment
---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ml-pipeline-config}
data:
  LOG_LEVEL: TRACE
  notes: |
    --- indented, so not a marker
    ----
...
apiVersion: v1
kind: ConfigMap
metadata: {name: broken
data: {LOG_LEVEL: TRACE}
...
---\r
apiVersion: v1\r
kind: ConfigMap\r
metadata: {name: ml-pipeline-config}\r
data: {LOG_LEVEL: \"\xff\"}\r
----
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ml-pipeline-config}
data: {LOG_LEVEL: LOUD, MODEL_UPDATE_INTERVAL: \"ten\"}
",
    );
    out.extend_from_slice(&std::fs::read(root().join("examples/k8s/app-config.yaml")).unwrap());
    out
}

fn library() -> Evaluator {
    Evaluator::Native(assay_core::library::defaults().expect("library loads"))
}

/// The stream checked in chunks of about `chunk` bytes.
fn chunked(
    evaluators: &[Evaluator],
    bytes: &[u8],
    limits: ChunkLimits,
) -> (FileOutcome, Vec<String>) {
    let mut total = FileOutcome::default();
    let unread = check_stream(
        bytes,
        FILE,
        limits,
        |chunk, seen| check_chunk(evaluators, FILE, chunk, "", &[], seen),
        |outcome| {
            total.append(outcome);
            Ok(())
        },
    )
    .unwrap();
    (total, unread)
}

fn limits(chunk: usize) -> ChunkLimits {
    ChunkLimits {
        chunk,
        document: 1 << 20,
        documents: usize::MAX,
    }
}

/// Where each finding is: document, line, column, rule.
fn places(results: &[DocResult]) -> Vec<(usize, Option<u32>, Option<u32>, String)> {
    results
        .iter()
        .flat_map(|r| {
            r.findings
                .iter()
                .map(|f| (r.document, f.line, f.column, f.rule.clone()))
        })
        .collect()
}

#[test]
fn chunks_are_whole_documents_with_their_lines() {
    let bytes = stream();
    for chunk in [0, 1, 50, 300, 4096, 1 << 20] {
        let pieces: Vec<(Vec<u8>, u32)> = Chunks::new(&bytes[..], limits(chunk))
            .map(|piece| match piece.unwrap() {
                Piece::Documents {
                    bytes,
                    lines_before,
                } => (bytes, lines_before),
                Piece::TooLarge { .. } => panic!("no document is too large here"),
            })
            .collect();
        assert!(
            pieces.len() > 1 || chunk > bytes.len(),
            "chunk size {chunk}"
        );
        let mut joined = Vec::new();
        for (i, (piece, lines_before)) in pieces.iter().enumerate() {
            let newlines = joined.iter().filter(|b| **b == b'\n').count() as u32;
            assert_eq!(*lines_before, newlines, "chunk size {chunk}");
            if i > 0 {
                // A cut is before a `---` line or after a `...` line.
                assert!(
                    piece.starts_with(b"---") || joined.ends_with(b"\n...\n"),
                    "chunk size {chunk}: {:?}",
                    String::from_utf8_lossy(piece)
                );
            }
            if i + 1 < pieces.len() {
                assert!(piece.len() >= chunk, "chunk size {chunk}");
            }
            joined.extend_from_slice(piece);
        }
        assert_eq!(joined, bytes, "chunk size {chunk}");
    }
    // At most one chunk per document start.
    let starts = bytes
        .split(|b| *b == b'\n')
        .filter(|l| l.starts_with(b"---") && l.get(3).is_none_or(|c| c.is_ascii_whitespace()))
        .count();
    let ends = bytes.split(|b| *b == b'\n').filter(|l| l == b"...").count();
    assert_eq!(Chunks::new(&bytes[..], limits(0)).count(), starts + ends);
}

#[test]
fn a_stream_checked_in_chunks_is_the_stream_checked_whole() {
    let bytes = stream();
    let evaluators = [library()];
    let whole = evaluators[0].check(Some(FILE), &bytes, "", &[]);
    assert!(
        places(&whole.results).len() > 10,
        "{:?}",
        places(&whole.results)
    );
    // Every kind of finding this test is about: an embedded file's (at its
    // line in the outer file), a list item's, a parse failure, invalid UTF-8.
    let rules: Vec<String> = places(&whole.results).into_iter().map(|p| p.3).collect();
    for rule in ["embedded", "parse", "schema"] {
        assert!(rules.iter().any(|r| r == rule), "{rule} in {rules:?}");
    }
    for chunk in [1, 100, 700, 3000, 1 << 20] {
        let (outcome, unread) = chunked(&evaluators, &bytes, limits(chunk));
        assert!(unread.is_empty(), "{unread:?}");
        assert_eq!(
            places(&outcome.results),
            places(&whole.results),
            "chunk size {chunk}"
        );
        assert_eq!(outcome.results, whole.results, "chunk size {chunk}");
        assert_eq!(
            (outcome.documents, outcome.checked),
            (whole.documents, whole.checked),
            "chunk size {chunk}"
        );
    }
}

#[test]
fn a_document_too_large_is_a_read_finding_and_the_rest_is_checked() {
    let small = stream();
    // A ConfigMap of many lines, and one of a single long line.
    let mut big = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n".to_vec();
    for i in 0..200 {
        big.extend_from_slice(format!("  K{i}: value number {i}\n").as_bytes());
    }
    let long = format!("---\n# {}\n", "x".repeat(20_000));
    for filler in [big, long.into_bytes()] {
        // The big document is the second: its line is the first's end.
        let first_end = small.iter().position(|b| *b == b'\n').unwrap();
        let first_doc_end = find(&small, b"\n---\n").unwrap() + 1;
        assert!(first_doc_end > first_end);
        let mut bytes = small[..first_doc_end].to_vec();
        let line = bytes.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        bytes.extend_from_slice(&filler);
        bytes.extend_from_slice(&small[first_doc_end..]);
        let evaluators = [library()];
        let (outcome, unread) = chunked(
            &evaluators,
            &bytes,
            ChunkLimits {
                chunk: 500,
                document: 4096,
                documents: usize::MAX,
            },
        );
        assert_eq!(unread.len(), 1, "{unread:?}");
        assert!(
            unread[0].starts_with(&format!(
                "cannot read document 1 (line {line}): larger than 4 KiB"
            )),
            "{unread:?}"
        );
        let read: Vec<&DocResult> = outcome
            .results
            .iter()
            .filter(|r| r.findings.iter().any(|f| f.rule == "read"))
            .collect();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].document, 1);
        assert_eq!(read[0].findings[0].line, Some(line));
        assert!(read[0].findings[0]
            .message
            .contains("the most assay reads of one document"));
        // The other documents are as in the stream without the big one:
        // one document later, their lines after the big one's.
        let whole = evaluators[0].check(Some(FILE), &small, "", &[]);
        let filler_lines = filler.iter().filter(|b| **b == b'\n').count() as u32;
        let moved: Vec<_> = places(&whole.results)
            .into_iter()
            .map(|(d, l, c, rule)| {
                if d == 0 {
                    (d, l, c, rule)
                } else {
                    (d + 1, l.map(|l| l + filler_lines), c, rule)
                }
            })
            .collect();
        let others: Vec<_> = places(&outcome.results)
            .into_iter()
            .filter(|p| p.3 != "read")
            .collect();
        assert_eq!(others, moved);
        assert_eq!(outcome.documents, whole.documents + 1);
    }
}

#[test]
fn a_stream_that_is_not_text_is_one_finding() {
    let mut bytes = vec![0xff, 0xfe];
    for _ in 0..1000 {
        bytes.extend_from_slice("a\0:\0 \x001\0\n\0-\0-\0-\0\n\0".as_bytes());
    }
    let (outcome, unread) = chunked(&[library()], &bytes, limits(100));
    assert!(unread.is_empty());
    assert_eq!(outcome.documents, 1);
    assert_eq!(
        places(&outcome.results),
        [(0, Some(1), Some(1), "parse".to_owned())]
    );
    assert!(outcome.results[0].findings[0]
        .message
        .contains("invalid UTF-8"));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The built-in library built into a module, loaded as `-p library.wasm` is
/// (built once; loaded again from the machine-code cache).
fn module() -> Evaluator {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let path = BUILT.get_or_init(|| {
        let files = assay_core::library::files();
        let (bundle, set) = assay_host::bundle(files, &assay_host::FileSystem).unwrap();
        let bytes = assay_host::build(&bundle, &set).expect("library links");
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stream-library.wasm");
        std::fs::write(&path, bytes).unwrap();
        path
    });
    Evaluator::load_module(path).expect("the module loads")
}

#[test]
fn a_module_checks_a_stream_in_chunks_as_whole() {
    // A module is given text: a stream read whole with a byte that is not
    // UTF-8 is one failure for it, and only that chunk's in chunks.
    let bytes: Vec<u8> = stream()
        .into_iter()
        .map(|b| if b == 0xff { b'x' } else { b })
        .collect();
    for evaluators in [vec![module()], vec![library(), module()]] {
        let whole = assay_host::merge(
            evaluators
                .iter()
                .map(|e| e.check(Some(FILE), &bytes, "", &[]))
                .collect(),
        );
        for chunk in [1, 700, 1 << 20] {
            let (outcome, unread) = chunked(&evaluators, &bytes, limits(chunk));
            assert!(unread.is_empty(), "{unread:?}");
            assert_eq!(
                places(&outcome.results),
                places(&whole.results),
                "{} evaluators, chunk size {chunk}",
                evaluators.len()
            );
            assert_eq!(outcome.documents, whole.documents);
        }
    }
}

#[test]
fn an_input_is_read_whole_up_to_the_limit_and_else_streamed() {
    use assay_host::stream::{read_or_stream, Input};
    use std::io::Read;
    let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    for limit in [0, 1, 699_999, 700_000, 10 << 20] {
        match read_or_stream(std::io::Cursor::new(bytes.clone()), limit).unwrap() {
            Input::Whole(whole) => {
                assert!(limit >= 700_000, "{limit}");
                assert_eq!(whole, bytes);
            }
            Input::Stream(mut reader) => {
                assert!(limit < 700_000, "{limit}");
                let mut read = Vec::new();
                reader.read_to_end(&mut read).unwrap();
                assert_eq!(read, bytes, "{limit}");
            }
        }
    }
}

/// The `documents` limit counts the documents of the whole stream, not of
/// each chunk, and its finding is where the stream read whole has it.
#[test]
fn the_documents_limit_is_the_streams() {
    let bytes = stream();
    let limited = assay_core::Limits {
        documents: 7,
        ..assay_core::Limits::DEFAULT
    };
    let set = assay_core::library::defaults()
        .unwrap()
        .with_limits(limited);
    let evaluators = [Evaluator::Native(set)];
    let whole = evaluators[0].check(Some(FILE), &bytes, "", &[]);
    let over: Vec<&DocResult> = whole
        .results
        .iter()
        .filter(|r| r.findings.iter().any(|f| f.rule == "limit"))
        .collect();
    assert_eq!(over.len(), 1, "{:?}", whole.results);
    assert!(over[0].findings[0]
        .message
        .starts_with("more than 7 documents"));
    for chunk in [1, 300, 1 << 20] {
        let (outcome, _) = chunked(
            &evaluators,
            &bytes,
            ChunkLimits {
                documents: 7,
                ..limits(chunk)
            },
        );
        assert_eq!(outcome.results, whole.results, "chunk size {chunk}");
        assert_eq!(outcome.documents, whole.documents, "chunk size {chunk}");
    }
}
