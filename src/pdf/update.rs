//! Writing an incremental update (ISO 32000-1 clause 7.5.6): new and changed objects
//! appended after the original bytes, a cross-reference section of the same kind as the
//! file's last one, a trailer with `/Prev`, `startxref` and `%%EOF`.

use super::document::{Document, XrefKind};
use super::object::{Dict, ObjRef, Object, Stream, name};

/// An incremental update being put together.
pub(crate) struct Update {
    objects: Vec<(ObjRef, Vec<u8>)>,
    next: u32,
    xref_kind: XrefKind,
    prev: usize,
    trailer: Dict,
}

impl Update {
    /// An empty update to the latest revision of `doc`.
    pub fn new(doc: &Document<'_>) -> Update {
        let next = doc
            .sections
            .iter()
            .map(|s| {
                let size = s
                    .trailer
                    .int(b"Size")
                    .unwrap_or(0)
                    .clamp(0, u32::MAX as i64) as u32;
                let max = s.entries.keys().next_back().map_or(0, |n| n + 1);
                size.max(max)
            })
            .max()
            .unwrap_or(1)
            .max(1);
        let last = &doc.sections[doc.latest()];
        let mut trailer = Dict::default();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = last.trailer.get(key) {
                trailer.set(key, v.clone());
            }
        }
        Update {
            objects: Vec::new(),
            next,
            xref_kind: last.kind,
            prev: last.offset,
            trailer,
        }
    }

    /// A new object number.
    pub fn alloc(&mut self) -> ObjRef {
        let r = ObjRef {
            num: self.next,
            generation: 0,
        };
        self.next += 1;
        r
    }

    /// Defines `r` as `object` in this update.
    pub fn put(&mut self, r: ObjRef, object: &Object) {
        let mut body = Vec::new();
        object.write_to(&mut body);
        self.put_raw(r, body);
    }

    /// Defines `r` by the bytes of its body.
    pub fn put_raw(&mut self, r: ObjRef, body: Vec<u8>) {
        self.objects.retain(|(o, _)| *o != r);
        self.objects.push((r, body));
    }

    /// Appends the update to `out`, which holds the file; returns where each object's
    /// body starts.
    pub fn write(self, out: &mut Vec<u8>) -> Vec<(ObjRef, usize)> {
        let after_eol = out.ends_with(b"\n") || out.ends_with(b"\r");
        let mut update = Vec::new();
        let bodies = self.write_after(out.len(), after_eol, &mut update);
        out.extend_from_slice(&update);
        bodies
    }

    /// Writes to `out` the update that follows a file of `base` bytes (ending in an
    /// end-of-line when `after_eol`); returns where in the file each object's body starts.
    pub fn write_after(
        mut self,
        base: usize,
        after_eol: bool,
        out: &mut Vec<u8>,
    ) -> Vec<(ObjRef, usize)> {
        if !after_eol {
            out.push(b'\n');
        }
        self.objects.sort_by_key(|(r, _)| r.num);
        let mut offsets = Vec::with_capacity(self.objects.len() + 1);
        let mut bodies = Vec::with_capacity(self.objects.len());
        for (r, body) in &self.objects {
            offsets.push((r.num, base + out.len()));
            out.extend_from_slice(format!("{} {} obj\n", r.num, r.generation).as_bytes());
            bodies.push((*r, base + out.len()));
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let mut trailer = self.trailer;
        trailer.set(b"Prev", Object::Int(self.prev as i64));
        let xref_offset = base + out.len();
        match self.xref_kind {
            XrefKind::Table => {
                trailer.set(b"Size", Object::Int(i64::from(self.next)));
                out.extend_from_slice(b"xref\n");
                for run in runs(&offsets) {
                    out.extend_from_slice(format!("{} {}\n", run[0].0, run.len()).as_bytes());
                    for (_, offset) in run {
                        out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
                    }
                }
                out.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write_to(out);
            }
            XrefKind::Stream => {
                let own = self.next;
                offsets.push((own, xref_offset));
                let mut index = Vec::new();
                let mut data = Vec::new();
                for run in runs(&offsets) {
                    index.push(Object::Int(i64::from(run[0].0)));
                    index.push(Object::Int(run.len() as i64));
                    for (_, offset) in run {
                        data.push(1);
                        data.extend_from_slice(&(*offset as u64).to_be_bytes()[3..]);
                        data.extend_from_slice(&[0, 0]);
                    }
                }
                trailer.set(b"Type", name("XRef"));
                trailer.set(b"Size", Object::Int(i64::from(own) + 1));
                trailer.set(b"Index", Object::Array(index));
                trailer.set(
                    b"W",
                    Object::Array(vec![Object::Int(1), Object::Int(5), Object::Int(2)]),
                );
                out.extend_from_slice(format!("{own} 0 obj\n").as_bytes());
                Object::Stream(Stream {
                    dict: trailer,
                    data,
                    deferred: None,
                })
                .write_to(out);
                out.extend_from_slice(b"\nendobj");
            }
        }
        out.extend_from_slice(format!("\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes());
        bodies
    }
}

/// Consecutive object numbers grouped into xref subsections.
fn runs(offsets: &[(u32, usize)]) -> Vec<&[(u32, usize)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=offsets.len() {
        if i == offsets.len() || offsets[i].0 != offsets[i - 1].0 + 1 {
            runs.push(&offsets[start..i]);
            start = i;
        }
    }
    runs
}
