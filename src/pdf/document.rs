//! A PDF file as a sequence of revisions (ISO 32000-1 clauses 7.5.4–7.5.8): every
//! cross-reference section in the `/Prev` chain, its trailer, where its revision ends, and
//! object lookup as of any revision.
//!
//! The bytes come from a [`Source`]: in memory, or a file from which only the structures
//! read are fetched; there a stream's data longer than
//! [`super::source::Source::defer_streams_over`] stays in the file until
//! [`Document::stream_data`] is asked for it.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use super::filter;
use super::object::{Dict, Extent, ObjRef, Object, Stream};
use super::parser::{Head, Parser, eol_before, is_whitespace, memfind};
use super::source::{Bytes, CHUNK};
use crate::error::{Error, Result};

/// Most cross-reference sections followed.
const MAX_SECTIONS: usize = 10_000;
/// Most earlier `startxref` markers tried when the newest chain cannot be read.
const MAX_SALVAGE: usize = 10_000;
/// Most parsed objects kept for reuse.
const MAX_CACHED: usize = 1 << 15;
/// Most pages walked in a page tree.
const MAX_PAGES: usize = 1_000_000;

fn malformed(detail: impl ToString) -> Error {
    Error::malformed("PDF", detail)
}

/// Where an object lives, as one cross-reference entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefEntry {
    /// A free entry.
    Free,
    /// An object at a byte offset.
    InFile {
        /// The offset of `n g obj`.
        offset: usize,
        /// Its generation.
        generation: u16,
    },
    /// An object inside an object stream.
    InStream {
        /// The object stream's number.
        stream: u32,
        /// The index in it.
        index: u32,
    },
}

/// How a cross-reference section is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefKind {
    /// A classic `xref` table (clause 7.5.4).
    Table,
    /// A cross-reference stream (clause 7.5.8).
    Stream,
}

/// One cross-reference section and its trailer: one revision of the file.
#[derive(Clone, Debug)]
pub struct Section {
    /// The offset `startxref` or `/Prev` gives for it.
    pub offset: usize,
    /// Table or stream.
    pub kind: XrefKind,
    /// Its entries (a hybrid file's `/XRefStm` entries merged in).
    pub entries: BTreeMap<u32, XrefEntry>,
    /// The trailer dictionary (for a stream: the stream's dictionary).
    pub trailer: Dict,
    /// The offset just after the `%%EOF` line that closes this revision.
    pub end: usize,
    /// Object numbers that this section lists more than once with different entries; the
    /// first is used, as some readers do, while others take the last.
    pub conflicts: BTreeSet<u32>,
}

/// The revisions after the last one read, whose cross-reference chain cannot be read.
#[derive(Debug)]
pub struct Unreadable {
    /// Where their bytes start: the end of the last revision read.
    pub from: usize,
    /// Why the chain from the file's last `startxref` cannot be read.
    pub error: Error,
}

/// Where an object's bytes are: at an offset, or at an index of the object stream at an
/// offset.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Stored {
    File(usize),
    Stream(usize, u32),
}

/// A decoded object stream: its data and the offsets of its objects.
struct ObjectStream {
    data: Vec<u8>,
    offsets: Vec<(u32, usize)>,
}

/// A parsed PDF file. Objects are read on demand from the bytes.
pub struct Document<'a> {
    bytes: Bytes<'a>,
    /// Stream data longer than this is left in the source until asked for.
    defer_over: usize,
    /// The revisions, oldest first.
    pub sections: Vec<Section>,
    /// Set when the newest revisions cannot be read and `sections` ends before them (only
    /// from [`Document::from_bytes_salvaging`]).
    pub unreadable: Option<Unreadable>,
    object_streams: RefCell<HashMap<usize, Rc<ObjectStream>>>,
    /// For each object number, the revisions whose sections list it and their entries,
    /// oldest first; built when first needed.
    index: OnceCell<HashMap<u32, Vec<(usize, XrefEntry)>>>,
    /// Objects other than streams already parsed, by number and where they are stored:
    /// the same bytes give the same object as of any revision.
    parsed: RefCell<HashMap<(u32, Stored), Object>>,
    /// [`Document::dict_only`] already read, by offset and number.
    heads: RefCell<HashMap<(usize, u32), Rc<Object>>>,
}

impl<'a> Document<'a> {
    /// Reads the cross-reference chain of `data`.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        Self::from_bytes(Bytes::Slice(data))
    }

    /// Reads the cross-reference chain of `bytes`. From a source not in memory, stream
    /// data longer than its [`super::source::Source::defer_streams_over`] is left there
    /// until [`Document::stream_data`] reads it.
    pub fn from_bytes(bytes: Bytes<'a>) -> Result<Self> {
        let mut document = Self::empty(bytes)?;
        let at = document.last_startxref()?;
        document.sections = document.chain_from(at, &mut ChainCache::default())?;
        Ok(document)
    }

    /// [`Document::from_bytes`], except that when the chain from the last `startxref`
    /// cannot be read, the document is read as of the newest revision that can: the chain
    /// from the last earlier `startxref` that reads, the rest noted in
    /// [`Document::unreadable`]. Fails as [`Document::from_bytes`] does when no earlier
    /// chain reads either.
    pub fn from_bytes_salvaging(bytes: Bytes<'a>) -> Result<Self> {
        let mut document = Self::empty(bytes)?;
        let at = document.last_startxref()?;
        let mut cache = ChainCache::default();
        let error = match document.chain_from(at, &mut cache) {
            Ok(sections) => {
                document.sections = sections;
                return Ok(document);
            }
            Err(e) => e,
        };
        let mut before = at;
        for _ in 0..MAX_SALVAGE {
            let Some(earlier) = bytes.rfind_before(before, b"startxref")? else {
                break;
            };
            before = earlier;
            if let Ok(sections) = document.chain_from(earlier, &mut cache) {
                let from = sections.last().map_or(0, |s| s.end);
                document.sections = sections;
                document.unreadable = Some(Unreadable { from, error });
                return Ok(document);
            }
        }
        Err(error)
    }

    /// A document of `bytes` with no revisions read yet.
    fn empty(bytes: Bytes<'a>) -> Result<Self> {
        let head = bytes.read(0, 1024)?;
        if memfind(&head, b"%PDF-").is_none() {
            return Err(malformed("no %PDF- header"));
        }
        Ok(Document {
            bytes,
            defer_over: bytes.defer_streams_over(),
            sections: Vec::new(),
            unreadable: None,
            object_streams: RefCell::new(HashMap::new()),
            index: OnceCell::new(),
            parsed: RefCell::default(),
            heads: RefCell::default(),
        })
    }

    /// The last `startxref` anywhere: bytes appended after the last revision (of any
    /// length) are then reported as trailing data rather than hiding the file.
    fn last_startxref(&self) -> Result<usize> {
        self.bytes
            .rfind(b"startxref")?
            .ok_or_else(|| malformed("no startxref"))
    }

    /// The revisions, oldest first, of the cross-reference chain that the `startxref` at
    /// `at` starts. Sections read, and offsets whose chain failed, are kept in `cache`.
    fn chain_from(&self, at: usize, cache: &mut ChainCache) -> Result<Vec<Section>> {
        let mut path = Vec::new();
        if let Err(e) = self.walk_chain(at, cache, &mut path) {
            cache.failed.extend(path);
            return Err(e);
        }
        let sections = path.iter().filter_map(|o| cache.read.get(o).cloned());
        let mut sections = merge_linearized(sections.collect());
        sections.reverse();
        Ok(sections)
    }

    /// Follows the chain from the `startxref` at `at`, pushing each section's offset to
    /// `path`, newest first.
    fn walk_chain(&self, at: usize, cache: &mut ChainCache, path: &mut Vec<usize>) -> Result<()> {
        let (first, _) = self.parse_at(at + b"startxref".len(), |parser| parser.unsigned())?;
        let mut next = Some(to_offset(first)?);
        let mut seen = HashSet::new();
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(malformed(format!("/Prev loops back to offset {offset}")));
            }
            if seen.len() > MAX_SECTIONS {
                return Err(malformed("too many cross-reference sections"));
            }
            if cache.failed.contains(&offset) {
                return Err(malformed(format!(
                    "the cross-reference chain through offset {offset} cannot be read"
                )));
            }
            path.push(offset);
            let section = match cache.read.entry(offset) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.read_section(offset)?)
                }
            };
            next = match section.trailer.get(b"Prev") {
                Some(Object::Int(p)) => Some(to_offset(
                    u64::try_from(*p).map_err(|_| malformed("negative /Prev"))?,
                )?),
                Some(_) => return Err(malformed("/Prev is not an integer")),
                None => None,
            };
        }
        Ok(())
    }

    /// Where the file's bytes come from.
    pub fn bytes(&self) -> Bytes<'a> {
        self.bytes
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty (never, for a parsed document).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes `[offset, offset + len)`, cut at the end of the file.
    pub fn read(&self, offset: usize, len: usize) -> Result<Cow<'a, [u8]>> {
        self.bytes.read(offset, len)
    }

    /// Runs `parse` on a parser at `offset` over a window of the file that grows until
    /// the parse no longer runs out of bytes or reaches the end of the file: the outcome is
    /// the parse of the whole rest of the file. Returns the value and the offset after it.
    pub fn parse_at<T>(
        &self,
        offset: usize,
        mut parse: impl FnMut(&mut Parser<'_>) -> Result<T>,
    ) -> Result<(T, usize)> {
        let mut want = self.bytes.window();
        loop {
            let window = self.read(offset, want)?;
            let complete = offset.saturating_add(window.len()) >= self.len();
            let mut parser = Parser::window(&window, offset, offset);
            let result = parse(&mut parser);
            if parser.ran_out() && !complete {
                want = want.saturating_mul(4);
                continue;
            }
            return result.map(|value| (value, parser.pos));
        }
    }
    /// The index of the newest revision.
    pub fn latest(&self) -> usize {
        self.sections.len() - 1
    }

    /// The trailer of revision `revision`.
    pub fn trailer(&self, revision: usize) -> &Dict {
        &self.sections[revision].trailer
    }

    fn read_section(&self, offset: usize) -> Result<Section> {
        let (table, after) = self.parse_at(offset, |parser| {
            if !parser.eat_keyword(b"xref") {
                return Ok(None);
            }
            let mut conflicts = BTreeSet::new();
            let entries = read_table(parser, &mut conflicts)?;
            parser.expect_keyword(b"trailer")?;
            let trailer = match parser.value(0)? {
                Object::Dict(d) => d,
                _ => return Err(malformed("trailer is not a dictionary")),
            };
            Ok(Some((entries, conflicts, trailer)))
        })?;
        if let Some((mut entries, mut conflicts, trailer)) = table {
            if let Some(Object::Int(stm)) = trailer.get(b"XRefStm") {
                let stm = to_offset(u64::try_from(*stm).map_err(|_| malformed("bad /XRefStm"))?)?;
                let (stream_entries, _) = self.read_xref_stream(stm, &mut conflicts)?;
                for (num, entry) in stream_entries {
                    let slot = entries.entry(num).or_insert(XrefEntry::Free);
                    if *slot == XrefEntry::Free {
                        *slot = entry;
                    }
                }
            }
            let end = self.revision_end(after)?;
            Ok(Section {
                offset,
                kind: XrefKind::Table,
                entries,
                trailer,
                end,
                conflicts,
            })
        } else {
            let mut conflicts = BTreeSet::new();
            let (entries, trailer) = self.read_xref_stream(offset, &mut conflicts)?;
            let end = self.revision_end(offset)?;
            Ok(Section {
                offset,
                kind: XrefKind::Stream,
                entries,
                trailer,
                end,
                conflicts,
            })
        }
    }

    /// The offset after the first `%%EOF` (and its end-of-line) at or after `from`.
    fn revision_end(&self, from: usize) -> Result<usize> {
        Ok(match self.bytes.find(from, b"%%EOF")? {
            Some(p) => {
                let mut end = p + 5;
                let eol = self.read(end, 2)?;
                if eol.first() == Some(&b'\r') {
                    end += 1;
                }
                if eol.get(end - p - 5) == Some(&b'\n') {
                    end += 1;
                }
                end
            }
            None => self.len(),
        })
    }
}

fn read_table(
    parser: &mut Parser<'_>,
    conflicts: &mut BTreeSet<u32>,
) -> Result<BTreeMap<u32, XrefEntry>> {
    let mut entries = BTreeMap::new();
    loop {
        let save = parser.pos;
        let Ok(start) = parser.unsigned() else {
            parser.pos = save;
            return Ok(entries);
        };
        let count = parser.unsigned()?;
        if count > 10_000_000 || start.saturating_add(count) > u64::from(u32::MAX) {
            return Err(malformed("xref subsection too large"));
        }
        for i in 0..count {
            let offset = parser.unsigned()?;
            let generation = parser.unsigned()?;
            let kind = if parser.eat_keyword(b"n") {
                true
            } else if parser.eat_keyword(b"f") {
                false
            } else {
                return Err(malformed(format!(
                    "bad xref entry at offset {}",
                    parser.pos
                )));
            };
            let num = (start + i) as u32;
            let entry = if kind {
                XrefEntry::InFile {
                    offset: to_offset(offset)?,
                    generation: u16::try_from(generation)
                        .map_err(|_| malformed("bad generation"))?,
                }
            } else {
                XrefEntry::Free
            };
            insert_entry(&mut entries, conflicts, num, entry);
        }
    }
}

impl<'a> Document<'a> {
    fn read_xref_stream(
        &self,
        offset: usize,
        conflicts: &mut BTreeSet<u32>,
    ) -> Result<(BTreeMap<u32, XrefEntry>, Dict)> {
        let (_, object, _) = self.read_object(offset, None, &|_| None, true)?;
        let Object::Stream(stream) = object else {
            return Err(malformed(format!(
                "no cross-reference table or stream at offset {offset}"
            )));
        };
        if stream.dict.name(b"Type") != Some(b"XRef") {
            return Err(malformed(format!(
                "object at offset {offset} is not /Type /XRef"
            )));
        }
        let widths: Vec<usize> = match stream.dict.get(b"W") {
            Some(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|o| match o {
                    Object::Int(n) if (0..=8).contains(n) => Ok(*n as usize),
                    _ => Err(malformed("bad /W entry")),
                })
                .collect::<Result<_>>()?,
            _ => return Err(malformed("xref stream without a valid /W")),
        };
        let size = stream.dict.int(b"Size").unwrap_or(0);
        let index: Vec<i64> = match stream.dict.get(b"Index") {
            Some(Object::Array(items)) => items
                .iter()
                .map(|o| match o {
                    Object::Int(n) if *n >= 0 => Ok(*n),
                    _ => Err(malformed("bad /Index entry")),
                })
                .collect::<Result<_>>()?,
            _ => vec![0, size],
        };
        let data = self.decode(&stream)?;
        let row = widths.iter().sum::<usize>();
        if row == 0 {
            return Err(malformed("xref stream /W sums to zero"));
        }
        let mut rows = data.chunks_exact(row);
        let mut entries = BTreeMap::new();
        for pair in index.chunks(2) {
            let [start, count] = pair else {
                return Err(malformed("odd /Index"));
            };
            for i in 0..*count {
                let Some(r) = rows.next() else {
                    return Err(malformed("xref stream shorter than its /Index"));
                };
                let field = |k: usize| -> u64 {
                    let from: usize = widths[..k].iter().sum();
                    r[from..from + widths[k]]
                        .iter()
                        .fold(0u64, |n, b| (n << 8) | u64::from(*b))
                };
                let kind = if widths[0] == 0 { 1 } else { field(0) };
                let entry = match kind {
                    0 => XrefEntry::Free,
                    1 => XrefEntry::InFile {
                        offset: to_offset(field(1))?,
                        generation: u16::try_from(field(2)).unwrap_or(u16::MAX),
                    },
                    2 => XrefEntry::InStream {
                        stream: u32::try_from(field(1))
                            .map_err(|_| malformed("bad stream number"))?,
                        index: u32::try_from(field(2)).map_err(|_| malformed("bad index"))?,
                    },
                    _ => continue,
                };
                let num =
                    u32::try_from(start + i).map_err(|_| malformed("object number too large"))?;
                insert_entry(&mut entries, conflicts, num, entry);
            }
        }
        Ok((entries, stream.dict))
    }

    /// The entry for object `num` as of `revision`, with the revision that defines it.
    pub fn entry(&self, num: u32, revision: usize) -> Option<(usize, XrefEntry)> {
        let index = self.index.get_or_init(|| {
            let mut index: HashMap<u32, Vec<(usize, XrefEntry)>> = HashMap::new();
            for (i, section) in self.sections.iter().enumerate() {
                for (num, entry) in &section.entries {
                    index.entry(*num).or_default().push((i, *entry));
                }
            }
            index
        });
        let revision = revision.min(self.latest());
        let listed = index.get(&num)?;
        let after = listed.partition_point(|(i, _)| *i <= revision);
        after.checked_sub(1).map(|i| listed[i])
    }

    /// The object `r` as of `revision`; `null` when free or undefined (clause 7.3.10).
    pub fn get(&self, r: ObjRef, revision: usize) -> Result<Object> {
        let entry = match self.entry(r.num, revision) {
            None | Some((_, XrefEntry::Free)) => return Ok(Object::Null),
            Some((_, entry)) => entry,
        };
        let stored = match entry {
            XrefEntry::InFile { offset, .. } => Some(Stored::File(offset)),
            XrefEntry::InStream { stream, index } => match self.entry(stream, revision) {
                Some((_, XrefEntry::InFile { offset, .. })) => Some(Stored::Stream(offset, index)),
                _ => None,
            },
            XrefEntry::Free => None,
        };
        let key = stored.map(|s| (r.num, s));
        if let Some(object) = key.and_then(|k| self.parsed.borrow().get(&k).cloned()) {
            return Ok(object);
        }
        let object = match entry {
            XrefEntry::InFile { offset, .. } => self.object_at(offset, r.num, revision)?,
            XrefEntry::InStream { stream, index } => {
                self.object_in_stream(stream, index, r.num, revision)?
            }
            XrefEntry::Free => Object::Null,
        };
        // A stream's data may depend on the revision (an indirect /Length).
        if let Some(key) = key
            && !matches!(object, Object::Stream(_))
        {
            let mut parsed = self.parsed.borrow_mut();
            if parsed.len() < MAX_CACHED {
                parsed.insert(key, object.clone());
            }
        }
        Ok(object)
    }

    /// Resolves `object` if it is a reference (one level, as the spec allows chains of one).
    pub fn resolve(&self, object: &Object, revision: usize) -> Result<Object> {
        match object {
            Object::Ref(r) => self.get(*r, revision),
            other => Ok(other.clone()),
        }
    }

    /// The dictionary at `key` of `dict`, following a reference.
    pub fn dict_at(&self, dict: &Dict, key: &[u8], revision: usize) -> Result<Option<Dict>> {
        Ok(match dict.get(key) {
            Some(o) => self.resolve(o, revision)?.as_dict().cloned(),
            None => None,
        })
    }

    /// Reads `n g obj ... endobj` at `offset`, checking that it is object `num`.
    pub fn object_at(&self, offset: usize, num: u32, revision: usize) -> Result<Object> {
        if offset >= self.len() {
            return Err(malformed(format!(
                "object {num} lies beyond the end of the file"
            )));
        }
        let length = |length_ref| self.direct_length(length_ref, revision);
        Ok(self.read_object(offset, Some(num), &length, true)?.1)
    }

    /// Reads `n g obj` and the object after it at `offset`, checking the number when
    /// `num` is given; with `load`, a stream's data no longer than the document's limit is
    /// read too. Returns the header, the object and the offset after it (before `endobj`).
    fn read_object(
        &self,
        offset: usize,
        num: Option<u32>,
        length: &dyn Fn(ObjRef) -> Option<u64>,
        load: bool,
    ) -> Result<(ObjRef, Object, usize)> {
        let ((header, head), after_head) = self.parse_at(offset, |parser| {
            let header = parser.object_header()?;
            if let Some(num) = num
                && header.num != num
            {
                return Err(malformed(format!(
                    "xref points object {num} at offset {offset}, which holds object {}",
                    header.num
                )));
            }
            Ok((header, parser.object_head(length)?))
        })?;
        let (dict, start, declared) = match head {
            Head::Value(object) => return Ok((header, object, after_head)),
            Head::Stream {
                dict,
                start,
                declared,
            } => (dict, start, declared),
        };
        let end = match declared.and_then(|n| start.checked_add(usize::try_from(n).ok()?)) {
            Some(end) if self.ends_stream_at(end)? => end,
            _ => self.find_endstream(start)?,
        };
        let ((), after) = self.parse_at(end, |parser| parser.expect_keyword(b"endstream"))?;
        let extent = Extent {
            offset: start,
            len: end - start,
        };
        let (data, deferred) = if load && extent.len <= self.defer_over {
            (self.read(start, extent.len)?.into_owned(), None)
        } else {
            (Vec::new(), Some(extent))
        };
        let stream = Stream {
            dict,
            data,
            deferred,
        };
        Ok((header, Object::Stream(stream), after))
    }

    /// Whether `endstream` follows white space at `end`.
    fn ends_stream_at(&self, end: usize) -> Result<bool> {
        if end > self.len() {
            return Ok(false);
        }
        Ok(self
            .parse_at(end, |parser| Ok(parser.followed_by(b"endstream")))?
            .0)
    }

    /// The end of the data of the stream whose data starts at `start`, when its length is
    /// unknown: the first `endstream`, less the end-of-line before it.
    fn find_endstream(&self, start: usize) -> Result<usize> {
        let at = self
            .bytes
            .find(start, b"endstream")?
            .ok_or_else(|| malformed(format!("stream at offset {start} has no endstream")))?;
        let from = at.saturating_sub(2).max(start);
        Ok(at - eol_before(&self.read(from, at - from)?))
    }

    /// The raw data of `stream`, read from the file when it was left there.
    pub fn stream_data<'s>(&self, stream: &'s Stream) -> Result<Cow<'s, [u8]>> {
        match stream.deferred {
            None => Ok(Cow::Borrowed(&stream.data)),
            Some(extent) => {
                let data = self.read(extent.offset, extent.len)?;
                if data.len() != extent.len {
                    return Err(malformed("a stream's data lies beyond the end of the file"));
                }
                Ok(Cow::Owned(data.into_owned()))
            }
        }
    }

    /// The data of `stream` decoded through its filters, read from the file when it was
    /// left there.
    pub fn decode(&self, stream: &Stream) -> Result<Vec<u8>> {
        match stream.deferred {
            None => filter::decode(stream),
            Some(_) => filter::decode(&Stream {
                dict: stream.dict.clone(),
                data: self.stream_data(stream)?.into_owned(),
                deferred: None,
            }),
        }
    }

    /// [`Object::same_value`], with the data of streams left in the file compared by
    /// content, chunk by chunk.
    pub fn same_value(&self, a: &Object, b: &Object) -> Result<bool> {
        let (Object::Stream(x), Object::Stream(y)) = (a, b) else {
            return Ok(a.same_value(b));
        };
        if x.deferred.is_none() && y.deferred.is_none() || x.deferred == y.deferred {
            return Ok(a.same_value(b));
        }
        if !x.dict.same_entries(&y.dict) {
            return Ok(false);
        }
        let len = |s: &Stream| s.deferred.map_or(s.data.len(), |e| e.len);
        if len(x) != len(y) {
            return Ok(false);
        }
        let mut at = 0;
        while at < len(x) {
            let n = CHUNK.min(len(x) - at);
            if self.slice_of(x, at, n)? != self.slice_of(y, at, n)? {
                return Ok(false);
            }
            at += n;
        }
        Ok(true)
    }

    /// `n` bytes from `at` of a stream's raw data.
    fn slice_of<'s>(&self, stream: &'s Stream, at: usize, n: usize) -> Result<Cow<'s, [u8]>> {
        match stream.deferred {
            None => Ok(Cow::Borrowed(&stream.data[at..at + n])),
            Some(extent) => Ok(Cow::Owned(self.read(extent.offset + at, n)?.into_owned())),
        }
    }

    /// The byte range `[offset, end)` of object `num`'s definition as of `revision`, when it
    /// is stored directly in the file.
    pub fn object_span(&self, num: u32, revision: usize) -> Option<(usize, usize)> {
        let (_, XrefEntry::InFile { offset, .. }) = self.entry(num, revision)? else {
            return None;
        };
        let length = |length_ref| self.direct_length(length_ref, revision);
        let (_, _, after) = self.read_object(offset, None, &length, false).ok()?;
        let ((), end) = self
            .parse_at(after, |parser| {
                parser.eat_keyword(b"endobj");
                Ok(())
            })
            .ok()?;
        Some((offset, end))
    }

    /// Object `num` as of `revision` without a stream's data, which stays in the file;
    /// shared with earlier reads of the same bytes.
    pub fn dict_only(&self, num: u32, revision: usize) -> Option<Rc<Object>> {
        match self.entry(num, revision)? {
            (_, XrefEntry::InFile { offset, .. }) => {
                if let Some(object) = self.heads.borrow().get(&(offset, num)) {
                    return Some(object.clone());
                }
                let (object, _) = self
                    .parse_at(offset, |parser| {
                        parser.object_header()?;
                        parser.value(0)
                    })
                    .ok()?;
                let object = Rc::new(object);
                let mut heads = self.heads.borrow_mut();
                if heads.len() < MAX_CACHED {
                    heads.insert((offset, num), object.clone());
                }
                Some(object)
            }
            (_, XrefEntry::InStream { .. }) => self
                .get(ObjRef { num, generation: 0 }, revision)
                .ok()
                .map(Rc::new),
            (_, XrefEntry::Free) => None,
        }
    }

    fn direct_length(&self, r: ObjRef, revision: usize) -> Option<u64> {
        let (_, XrefEntry::InFile { offset, .. }) = self.entry(r.num, revision)? else {
            return None;
        };
        let (value, _) = self
            .parse_at(offset, |parser| {
                parser.object_header()?;
                parser.value(0)
            })
            .ok()?;
        match value {
            Object::Int(n) => u64::try_from(n).ok(),
            _ => None,
        }
    }

    fn object_in_stream(
        &self,
        stream: u32,
        index: u32,
        num: u32,
        revision: usize,
    ) -> Result<Object> {
        let Some((_, XrefEntry::InFile { offset, .. })) = self.entry(stream, revision) else {
            return Err(malformed(format!(
                "object {num} is in object stream {stream}, which is not in the file"
            )));
        };
        let cached = self.object_streams.borrow().get(&offset).cloned();
        let objstm = match cached {
            Some(s) => s,
            None => {
                let s = Rc::new(self.read_object_stream(offset, stream, revision)?);
                self.object_streams.borrow_mut().insert(offset, s.clone());
                s
            }
        };
        let Some(&(found, at)) = objstm.offsets.get(index as usize) else {
            return Err(malformed(format!(
                "object stream {stream} has no index {index}"
            )));
        };
        if found != num {
            return Err(malformed(format!(
                "object stream {stream} holds object {found} at index {index}, not {num}"
            )));
        }
        Parser::new(&objstm.data, at).value(0)
    }

    fn read_object_stream(&self, offset: usize, num: u32, revision: usize) -> Result<ObjectStream> {
        let Object::Stream(stream) = self.object_at(offset, num, revision)? else {
            return Err(malformed(format!("object {num} is not an object stream")));
        };
        let n = stream.dict.int(b"N").unwrap_or(-1);
        let first = stream.dict.int(b"First").unwrap_or(-1);
        if !(0..=1_000_000).contains(&n) || first < 0 {
            return Err(malformed(format!("object stream {num} lacks /N or /First")));
        }
        let data = self.decode(&stream)?;
        let first = first as usize;
        let mut parser = Parser::new(&data, 0);
        let mut offsets = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let obj = parser.unsigned()?;
            let at = parser.unsigned()?;
            offsets.push((
                u32::try_from(obj).map_err(|_| malformed("object number too large"))?,
                first.saturating_add(to_offset(at)?),
            ));
        }
        Ok(ObjectStream { data, offsets })
    }

    /// The catalog reference of `revision`.
    pub fn root_ref(&self, revision: usize) -> Result<ObjRef> {
        self.trailer(revision)
            .reference(b"Root")
            .ok_or_else(|| malformed("trailer has no /Root reference"))
    }

    /// The catalog of `revision`.
    pub fn catalog(&self, revision: usize) -> Result<Dict> {
        match self.get(self.root_ref(revision)?, revision)? {
            Object::Dict(d) => Ok(d),
            _ => Err(malformed("/Root is not a dictionary")),
        }
    }

    /// The pages of `revision` in order, by walking the page tree (clause 7.7.3).
    pub fn pages(&self, revision: usize) -> Result<Vec<ObjRef>> {
        let catalog = self.catalog(revision)?;
        let root = catalog
            .reference(b"Pages")
            .ok_or_else(|| malformed("catalog has no /Pages reference"))?;
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(node_ref) = stack.pop() {
            if !seen.insert(node_ref) || seen.len() > MAX_PAGES {
                return Err(malformed("the page tree is cyclic or too large"));
            }
            let node = self.get(node_ref, revision)?;
            let node = node.as_dict().ok_or_else(|| {
                malformed(format!("page tree node {node_ref} is not a dictionary"))
            })?;
            match node.name(b"Type") {
                Some(b"Pages") => {
                    let kids =
                        self.resolve(node.get(b"Kids").unwrap_or(&Object::Null), revision)?;
                    let kids = kids.as_array().unwrap_or_default();
                    for kid in kids.iter().rev() {
                        if let Object::Ref(k) = kid {
                            stack.push(*k);
                        }
                    }
                }
                _ => pages.push(node_ref),
            }
        }
        Ok(pages)
    }

    /// The offset just after the last `%%EOF` and white space: where meaningful bytes end.
    pub fn content_end(&self) -> Result<usize> {
        let mut end = self.sections.last().map_or(self.len(), |s| s.end);
        while end < self.len() {
            let chunk = self.read(end, CHUNK)?;
            let blank = chunk.iter().take_while(|b| is_whitespace(**b)).count();
            end += blank;
            if blank < chunk.len() {
                break;
            }
        }
        Ok(end)
    }
}

/// Cross-reference sections read by offset, and the offsets from which the chain failed.
#[derive(Default)]
struct ChainCache {
    read: HashMap<usize, Section>,
    failed: HashSet<usize>,
}

/// Joins the first-page section of a linearized file (ISO 32000-1 Annex F) with the main
/// section its `/Prev` points forward to: together they are one revision. `chain` is newest
/// first.
///
/// The main section is the file's original one, so it has no `/Prev` of its own. Without
/// that condition a section planted in the signed bytes ahead of a signed revision's xref,
/// and chained to after signing, would be merged into the signed revision.
fn merge_linearized(chain: Vec<Section>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::with_capacity(chain.len());
    for mut older in chain {
        match out.last_mut() {
            Some(newer)
                if newer.offset < older.offset
                    && newer.end <= older.offset
                    && older.trailer.get(b"Prev").is_none() =>
            {
                for (num, entry) in std::mem::take(&mut newer.entries) {
                    older.entries.insert(num, entry);
                }
                older.conflicts.append(&mut newer.conflicts);
                for (key, value) in &newer.trailer.0 {
                    older.trailer.set(key, value.clone());
                }
                older.trailer.remove(b"Prev");
                older.offset = newer.offset;
                *newer = older;
            }
            _ => out.push(older),
        }
    }
    out
}

/// Adds `num`'s entry unless the section listed it already; a different second entry is
/// noted in `conflicts`.
fn insert_entry(
    entries: &mut BTreeMap<u32, XrefEntry>,
    conflicts: &mut BTreeSet<u32>,
    num: u32,
    entry: XrefEntry,
) {
    let first = *entries.entry(num).or_insert(entry);
    if first != entry {
        conflicts.insert(num);
    }
}

fn to_offset(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| malformed("offset too large"))
}
