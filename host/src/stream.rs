//! Inputs larger than one read (the `file-bytes` limit,
//! [`crate::files::MAX_FILE_BYTES`] unless raised): a YAML stream read
//! from its reader as chunks of whole documents, each checked on its own
//! and reported before the next is read, so a stream of any size is checked
//! in the memory of a chunk (docs/limits.md, "Streams larger than one
//! read").
//!
//! A stream is cut only before a line that is `---` at column 0 followed by
//! whitespace or the line's end (where the parser splits a stream too), or
//! after such a `...` line. YAML allows neither inside a document's content
//! (not even in a block or quoted scalar), so every chunk holds whole
//! documents, and a finding's line in a chunk plus the line breaks before
//! the chunk is its line in the stream. A document larger than the limit is
//! skipped, reported as too large, and the stream goes on after it.

use crate::evaluator::{merge, Evaluator};
use crate::files::{display, open_regular, read_input};
use assay_core::check::{self, failure, parse_failure, FileOutcome};
use assay_core::parse::{
    is_env_file, parse_input, parse_input_with, raise_note, size_text, utf8_error, SyntaxError,
};
use assay_core::Limits;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::Path;

/// The size a chunk of documents is grown to before it is checked: chunks
/// are cut at the first document start at or after it.
pub const CHUNK_BYTES: usize = 4 << 20;

/// What is looked at to tell text from other bytes: invalid UTF-8 this
/// early is a binary file or UTF-16, not a document that went wrong.
const TEXT_START_BYTES: u64 = 1 << 10;

/// What is read from the reader at once.
const BLOCK_BYTES: usize = 256 << 10;

/// How a stream is read: chunks of about `chunk` bytes, documents of at
/// most `document` bytes (the `file-bytes` limit, the most read at once),
/// and no more chunks once `documents` documents are checked (the
/// `documents` limit). Tests make them small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    pub chunk: usize,
    pub document: u64,
    pub documents: usize,
}

impl ChunkLimits {
    /// Chunks of [`CHUNK_BYTES`], within `limits`.
    pub fn of(limits: &Limits) -> ChunkLimits {
        ChunkLimits {
            chunk: CHUNK_BYTES,
            document: limits.file_bytes,
            documents: limits.documents,
        }
    }
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits::of(&Limits::DEFAULT)
    }
}

/// What a stream is read as.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Whole documents, and the line breaks before them in the stream.
    Documents { bytes: Vec<u8>, lines_before: u32 },
    /// A document larger than [`ChunkLimits::document`], skipped: the line
    /// (1-based) it starts at.
    TooLarge { line: u32 },
}

/// An input read whole, or too large for that: the reader of the stream,
/// from its start.
pub enum Input {
    Whole(Vec<u8>),
    Stream(Box<dyn Read>),
}

/// Reads `reader` whole when it holds at most `limit` bytes (stdin, a file
/// that may grow), else gives it back to be read as a stream: the bytes
/// read so far, then the rest. The bytes are read in blocks, so that
/// neither answer holds them twice (as a growing buffer would, copied to
/// twice its size).
pub fn read_or_stream(mut reader: impl Read + 'static, limit: u64) -> io::Result<Input> {
    let mut blocks = VecDeque::new();
    let mut total = 0u64;
    let most = limit.saturating_add(1);
    while total < most {
        let want = (most - total).min(BLOCK_BYTES as u64);
        let mut block = Vec::with_capacity(usize::try_from(want).unwrap_or(BLOCK_BYTES));
        (&mut reader).take(want).read_to_end(&mut block)?;
        if block.is_empty() {
            break;
        }
        total += block.len() as u64;
        blocks.push_back(block);
    }
    if total <= limit {
        let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        while let Some(block) = blocks.pop_front() {
            bytes.extend_from_slice(&block);
        }
        return Ok(Input::Whole(bytes));
    }
    Ok(Input::Stream(Box::new(Prefixed {
        blocks,
        at: 0,
        rest: reader,
    })))
}

/// Bytes already read, in blocks, then the rest of their reader; each block
/// is freed once read, so a stream's first read does not stay in memory.
struct Prefixed<R> {
    blocks: VecDeque<Vec<u8>>,
    /// How much of the first block has been read.
    at: usize,
    rest: R,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.blocks.front().is_some_and(|b| b.len() <= self.at) {
            self.blocks.pop_front();
            self.at = 0;
        }
        let Some(block) = self.blocks.front() else {
            return self.rest.read(buf);
        };
        let n = buf.len().min(block.len() - self.at);
        buf[..n].copy_from_slice(&block[self.at..self.at + n]);
        self.at += n;
        if self.at == block.len() {
            self.blocks.pop_front();
            self.at = 0;
        }
        Ok(n)
    }
}

/// Whether `head` (a line's first bytes, at most 4, or the whole line)
/// starts with the marker `m` followed by whitespace or the line's end.
fn is_marker(head: &[u8], m: &[u8; 3]) -> bool {
    head.starts_with(m) && head.get(3).is_none_or(|c| c.is_ascii_whitespace())
}

/// The pieces of a stream read from `reader`, in order.
pub struct Chunks<R> {
    reader: R,
    limits: ChunkLimits,
    /// The chunk being gathered: whole lines from its first document, then
    /// the line being read. While skipping, only the line being read, until
    /// its start says whether it starts a document.
    buf: Vec<u8>,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// What the line's first bytes say, once there are enough of them.
    head: Option<Head>,
    /// Where the last document starts in `buf`, a place to cut.
    doc_start: usize,
    /// Line breaks before the line being read, before `buf`, before the
    /// last document.
    line: u32,
    buf_line: u32,
    doc_line: u32,
    /// Skipping a document too large: the line (1-based) it starts at.
    skipping: Option<u32>,
    ready: VecDeque<Piece>,
    done: bool,
    block: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Head {
    Start,
    End,
    Other,
}

impl<R: Read> Chunks<R> {
    pub fn new(reader: R, limits: ChunkLimits) -> Self {
        Chunks {
            reader,
            limits,
            buf: Vec::new(),
            line_start: 0,
            head: None,
            doc_start: 0,
            line: 0,
            buf_line: 0,
            doc_line: 0,
            skipping: None,
            ready: VecDeque::new(),
            done: false,
            block: vec![0; BLOCK_BYTES],
        }
    }

    /// A document starts at `at` in `buf`, after `line` line breaks: the
    /// chunk so far is given out if it is large enough.
    fn cut(&mut self, at: usize, line: u32) {
        if at >= self.limits.chunk {
            let rest = self.buf.split_off(at);
            let bytes = std::mem::replace(&mut self.buf, rest);
            self.ready.push_back(Piece::Documents {
                bytes,
                lines_before: self.buf_line,
            });
            self.line_start -= at;
            self.buf_line = line;
            self.doc_start = 0;
        } else {
            self.doc_start = at;
        }
        self.doc_line = line;
    }

    /// The document being read is too large: what came before it is given
    /// out, and it is skipped up to the next document.
    fn skip(&mut self) {
        if self.doc_start > 0 {
            let mut bytes = std::mem::take(&mut self.buf);
            self.buf = bytes.split_off(self.doc_start);
            bytes.truncate(self.doc_start);
            self.ready.push_back(Piece::Documents {
                bytes,
                lines_before: self.buf_line,
            });
            self.line_start -= self.doc_start;
        }
        self.skipping = Some(self.doc_line + 1);
        // Only the line being read is kept, while its start is unknown.
        self.buf.drain(..self.line_start);
        if self.head.is_some() {
            self.buf.clear();
        }
        self.line_start = 0;
        self.doc_start = 0;
    }

    /// The skipped document ends where the next one starts: at the line
    /// being read (`buf`), or after it.
    fn end_skip(&mut self, line: u32) {
        if let Some(at) = self.skipping.take() {
            self.ready.push_back(Piece::TooLarge { line: at });
        }
        self.buf_line = line;
        self.doc_line = line;
        self.doc_start = 0;
    }

    /// Takes in bytes just read.
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let newline = memchr::memchr(b'\n', data);
            let end = newline.map_or(data.len(), |i| i + 1);
            let keep = self.skipping.is_none() || self.head.is_none();
            if keep {
                self.buf.extend_from_slice(&data[..end]);
            }
            data = &data[end..];
            let complete = newline.is_some();
            if self.head.is_none() && (complete || self.buf.len() - self.line_start >= 4) {
                let line = &self.buf[self.line_start..];
                let head = if is_marker(&line[..line.len().min(4)], b"---") {
                    Head::Start
                } else if is_marker(&line[..line.len().min(4)], b"...") {
                    Head::End
                } else {
                    Head::Other
                };
                self.head = Some(head);
                if head == Head::Start && self.skipping.is_some() {
                    self.end_skip(self.line);
                } else if head == Head::Start && self.line_start > 0 {
                    self.cut(self.line_start, self.line);
                } else if self.skipping.is_some() {
                    self.buf.clear();
                }
            }
            if complete {
                self.line += 1;
                let end_marker = self.head.take() == Some(Head::End);
                if end_marker && self.skipping.is_some() {
                    self.buf.clear();
                    self.line_start = 0;
                    self.end_skip(self.line);
                } else {
                    self.line_start = self.buf.len();
                    if end_marker {
                        self.cut(self.buf.len(), self.line);
                    }
                }
            }
            if self.skipping.is_none()
                && (self.buf.len() - self.doc_start) as u64 > self.limits.document
            {
                self.skip();
            }
        }
    }

    fn end(&mut self) {
        self.done = true;
        if let Some(line) = self.skipping.take() {
            self.ready.push_back(Piece::TooLarge { line });
        } else if !self.buf.is_empty() {
            self.ready.push_back(Piece::Documents {
                bytes: std::mem::take(&mut self.buf),
                lines_before: self.buf_line,
            });
        }
    }
}

impl<R: Read> Iterator for Chunks<R> {
    type Item = io::Result<Piece>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(piece) = self.ready.pop_front() {
                return Some(Ok(piece));
            }
            if self.done {
                return None;
            }
            let mut block = std::mem::take(&mut self.block);
            let read = self.reader.read(&mut block);
            match read {
                Ok(0) => self.end(),
                Ok(n) => self.feed(&block[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            self.block = block;
        }
    }
}

/// Checks the stream read from `reader` a chunk of documents at a time:
/// `check` checks one chunk's bytes (as [`check_chunk`], given how many
/// documents were checked before it), and each chunk's
/// outcome, its lines and document indices placed in the stream, is given
/// to `sink` before the next chunk is read. A document too large to read,
/// or a read that fails, is a `read` failure given to `sink` as well; what
/// could not be read is returned, one message each, for the host to say
/// after the report. An error is `sink`'s.
///
/// A stream that does not start as UTF-8 text (invalid UTF-8 in its first
/// KiB: a binary file, UTF-16) is one `parse` failure at its first bad
/// byte, as a file read whole would have, and is not read further.
pub fn check_stream(
    mut reader: impl Read,
    file: &str,
    limits: ChunkLimits,
    mut check: impl FnMut(&[u8], usize) -> (FileOutcome, usize),
    mut sink: impl FnMut(FileOutcome) -> io::Result<()>,
) -> io::Result<Vec<String>> {
    let mut unread = Vec::new();
    let mut next_document = 0;
    // Documents checked, as the report counts them (a list's items each).
    let mut checked_documents = 0;
    let start = match text_start(&mut reader) {
        Ok(Ok(start)) => start,
        Ok(Err(e)) => {
            let outcome = FileOutcome {
                documents: 1,
                checked: 0,
                results: vec![parse_failure(Some(file), &e)],
            };
            sink(outcome)?;
            return Ok(unread);
        }
        Err(e) => {
            unread.push(format!("cannot read: {e}"));
            let outcome = FileOutcome {
                documents: 1,
                checked: 0,
                results: vec![failure(
                    Some(file),
                    0,
                    "read",
                    format!("cannot read: {e}"),
                    None,
                )],
            };
            sink(outcome)?;
            return Ok(unread);
        }
    };
    let reader = Prefixed {
        blocks: VecDeque::from([start]),
        at: 0,
        rest: reader,
    };
    let unreadable = |document: usize, message: String, line: Option<u32>| {
        let at = line.map(|l| (l, 1));
        FileOutcome {
            documents: 1,
            checked: 0,
            results: vec![failure(Some(file), document, "read", message, at)],
        }
    };
    for piece in Chunks::new(reader, limits) {
        if checked_documents > limits.documents {
            // The `documents` limit's finding is made: the rest is not read.
            break;
        }
        match piece {
            Ok(Piece::Documents {
                bytes,
                lines_before,
            }) => {
                let (mut outcome, documents) = check(&bytes, checked_documents);
                drop(bytes);
                checked_documents += outcome.documents;
                place(&mut outcome, lines_before, next_document);
                next_document += documents;
                sink(outcome)?;
            }
            Ok(Piece::TooLarge { line }) => {
                let why = format!(
                    "larger than {}, the most assay reads of one document ({})",
                    size_text(limits.document),
                    raise_note("file-bytes")
                );
                unread.push(format!(
                    "cannot read document {next_document} (line {line}): {why}"
                ));
                sink(unreadable(
                    next_document,
                    format!("cannot read: {why}"),
                    Some(line),
                ))?;
                next_document += 1;
                checked_documents += 1;
            }
            Err(e) => {
                unread.push(format!("cannot read: {e}"));
                sink(unreadable(next_document, format!("cannot read: {e}"), None))?;
            }
        }
    }
    Ok(unread)
}

/// Places a chunk's outcome in its stream: lines after the chunk's
/// `lines_before`, documents after the `first_document` before it.
/// Every line of a finding is in the chunk's text (embedded files are
/// located in their outer document), so every line moves.
pub fn place(outcome: &mut FileOutcome, lines_before: u32, first_document: usize) {
    for r in &mut outcome.results {
        r.document += first_document;
        for f in &mut r.findings {
            if let Some(line) = &mut f.line {
                *line = line.saturating_add(lines_before);
            }
        }
    }
}

/// Checks one chunk of a stream named `file` with every evaluator: their
/// outcomes as one ([`merge`]), and how many documents of the stream the
/// chunk holds (a `kind: List` counts once, as in document indices).
/// `seen` documents were checked before it (a list's items each), which
/// count towards a native set's `documents` limit.
pub fn check_chunk(
    evaluators: &[Evaluator],
    file: &str,
    bytes: &[u8],
    env: &str,
    old: &[Value],
    seen: usize,
) -> (FileOutcome, usize) {
    let mut documents = None;
    let outcomes = evaluators
        .iter()
        .map(|e| match e {
            Evaluator::Native(set) => {
                let limits = Limits {
                    documents: set.limits.documents.saturating_sub(seen),
                    ..set.limits
                };
                let mut docs = parse_input_with(Some(file), bytes, limits.parse());
                let mut outcome =
                    check::check_documents_with(set, Some(file), &mut docs, env, old, &[], &limits);
                documents = Some(docs.returned());
                if seen > 0 {
                    whole_stream_limit(&mut outcome, limits.documents, set.limits.documents);
                }
                outcome
            }
            module => module.check(Some(file), bytes, env, old),
        })
        .collect();
    // A module gives no count: the chunk is parsed for it.
    let documents = documents.unwrap_or_else(|| parse_input(Some(file), bytes).count());
    (merge(outcomes), documents)
}

/// The stream's first bytes, when they are UTF-8 (a character cut at their
/// end aside); else where they are not.
fn text_start(reader: &mut impl Read) -> io::Result<Result<Vec<u8>, SyntaxError>> {
    let mut start = Vec::new();
    reader.take(TEXT_START_BYTES).read_to_end(&mut start)?;
    match std::str::from_utf8(&start) {
        Err(e) if e.error_len().is_some() => Ok(Err(utf8_error(&start, &e))),
        _ => Ok(Ok(start)),
    }
}

/// The `documents` limit's finding in a chunk, which was checked within what
/// was left of the limit, says the stream's limit.
fn whole_stream_limit(outcome: &mut FileOutcome, left: usize, limit: usize) {
    let said = format!("more than {left} documents in this stream;");
    for f in outcome.results.iter_mut().flat_map(|r| &mut r.findings) {
        if f.rule == "limit" && f.message.starts_with(&said) {
            let rest = &f.message[said.len()..];
            f.message = format!("more than {limit} documents in this stream;{rest}");
        }
    }
}

/// An input file opened for checking: read whole when it is at most
/// `limit` bytes (the `file-bytes` limit; always for a dotenv file, which
/// is one document, as [`read_input`]), else a stream to read in chunks.
pub fn open_input(path: &Path, limit: u64) -> io::Result<Input> {
    if is_env_file(&display(path)) {
        return read_input(path, limit).map(Input::Whole);
    }
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Ok(Input::Stream(Box::new(file)));
    }
    read_or_stream(file, limit)
}
