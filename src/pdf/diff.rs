//! Modification analysis (PDF.md §2a): what each incremental update after a signature
//! changed, compared as resolved object values, and how much of that DocMDP allows.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use super::document::{Document, XrefEntry};
use super::form::field_tree;
use super::object::{Dict, ObjRef, Object, decode_text};
use crate::error::{Error, Result};

pub use crate::report::ModificationLevel;

/// One change a later revision made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The revision index that made it.
    pub revision: usize,
    /// Its level.
    pub level: ModificationLevel,
    /// What changed, in words.
    pub what: String,
    /// An annotation added or changed that can draw over the page content (it has an
    /// appearance, or is of a kind viewers draw without one).
    pub over_content: bool,
}

/// Trailer (and cross-reference stream) keys that every update rewrites.
const TRAILER_BOOKKEEPING: [&[u8]; 11] = [
    b"Size", b"Prev", b"Root", b"Info", b"ID", b"XRefStm", b"Type", b"W", b"Index", b"Length",
    b"Filter",
];

/// The most objects of one revision examined one by one.
const MAX_CHANGED: usize = 100_000;

/// What a document's pages, forms and annotations are, as of one revision.
struct Roles {
    catalog: ObjRef,
    acroform: Option<ObjRef>,
    fields_array: Option<ObjRef>,
    pages: Vec<ObjRef>,
    /// Indirect `/Annots` arrays and the index of their page.
    annots_arrays: Vec<(ObjRef, usize)>,
    /// Terminal fields and widgets: (ref, read-only).
    fields: Vec<(ObjRef, bool)>,
    annotations: HashSet<ObjRef>,
    dss: HashSet<ObjRef>,
    info: Option<ObjRef>,
    metadata: Option<ObjRef>,
    /// Fields, old and new, that FieldMDP locks.
    locked: Locks,
    extensions: Option<ObjRef>,
    /// The numbers of the objects the pages are drawn from, computed when first needed.
    content: OnceCell<HashSet<u32>>,
}

/// Objects that allowed changes newly refer to, with the index of the page whose
/// `/Annots` lists them (none when only the form lists them).
type NewRefs = BTreeMap<ObjRef, Option<usize>>;

/// Notes `r` as newly referenced, listed on `page` if known.
fn note(new_refs: &mut NewRefs, r: ObjRef, page: Option<usize>) {
    let slot = new_refs.entry(r).or_insert(page);
    if slot.is_none() {
        *slot = page;
    }
}

/// Every change made by the revisions after `signed` (the index of the signed revision).
/// `locked` are the fields a FieldMDP lock (ISO 32000-1 12.8.2.4) forbids to change: any
/// change to them, like one to a read-only field, is OTHER.
///
/// Each call compares every later revision anew; [`Analysis`] compares each once for all
/// the signatures of a document.
pub fn changes_after(
    doc: &Document<'_>,
    signed: usize,
    locked: &HashSet<ObjRef>,
) -> Result<Vec<Change>> {
    let locks = Locks::new(locked);
    let references = RefCell::default();
    let mut all = Vec::new();
    for rev in signed + 1..=doc.latest() {
        all.extend(revision_changes(doc, rev, &locks, &references)?);
    }
    Ok(all)
}

/// The fields a FieldMDP lock forbids to change, and every question the analysis of a
/// revision asked about them with its answer. All that analysis learns of the lock is
/// through [`Locks::contains`]: another lock that answers these questions alike gets the
/// same changes.
#[derive(Clone)]
struct Locks {
    set: Rc<HashSet<ObjRef>>,
    asked: Rc<RefCell<BTreeMap<ObjRef, bool>>>,
}

impl Locks {
    fn new(set: &HashSet<ObjRef>) -> Locks {
        Locks {
            set: Rc::new(set.clone()),
            asked: Rc::default(),
        }
    }

    /// Whether the lock holds field `r`.
    fn contains(&self, r: &ObjRef) -> bool {
        let locked = self.set.contains(r);
        self.asked.borrow_mut().insert(*r, locked);
        locked
    }
}

/// The changes of one revision as analysed for a lock, and what the analysis asked of it.
struct Analysed {
    asked: BTreeMap<ObjRef, bool>,
    changes: std::result::Result<Rc<[Change]>, Rc<Error>>,
}

/// The modification analysis of one document for all its signatures: each revision is
/// compared with its predecessor once, and again only for a FieldMDP lock that answers
/// differently for a field that comparison asked about. Gives exactly what
/// [`changes_after`] gives.
pub struct Analysis<'a, 'd> {
    doc: &'a Document<'d>,
    revisions: RefCell<HashMap<usize, Vec<Analysed>>>,
    references: RefCell<References>,
}

impl<'a, 'd> Analysis<'a, 'd> {
    /// An analysis of `doc` that has compared nothing yet.
    pub fn new(doc: &'a Document<'d>) -> Self {
        Analysis {
            doc,
            revisions: RefCell::default(),
            references: RefCell::default(),
        }
    }

    /// [`changes_after`]: every change made by the revisions after `signed`, with the
    /// fields `locked` by FieldMDP; the error of the first revision that cannot be read.
    pub fn changes_after(
        &self,
        signed: usize,
        locked: &HashSet<ObjRef>,
    ) -> std::result::Result<Vec<Change>, Rc<Error>> {
        let mut all = Vec::new();
        for rev in signed + 1..=self.doc.latest() {
            all.extend(self.revision(rev, locked)?.iter().cloned());
        }
        Ok(all)
    }

    /// The changes of revision `rev` under `locked`, compared when no earlier comparison
    /// asked the same of a lock that answered alike.
    fn revision(
        &self,
        rev: usize,
        locked: &HashSet<ObjRef>,
    ) -> std::result::Result<Rc<[Change]>, Rc<Error>> {
        if let Some(list) = self.revisions.borrow().get(&rev)
            && let Some(found) = list.iter().find(|a| {
                a.asked
                    .iter()
                    .all(|(r, answer)| locked.contains(r) == *answer)
            })
        {
            return found.changes.clone();
        }
        let locks = Locks::new(locked);
        let changes = revision_changes(self.doc, rev, &locks, &self.references)
            .map(Rc::from)
            .map_err(Rc::new);
        let asked = locks.asked.take();
        self.revisions
            .borrow_mut()
            .entry(rev)
            .or_default()
            .push(Analysed {
                asked,
                changes: changes.clone(),
            });
        changes
    }
}

fn revision_changes(
    doc: &Document<'_>,
    rev: usize,
    locked: &Locks,
    references: &RefCell<References>,
) -> Result<Vec<Change>> {
    let prev = rev - 1;
    let mut changes = Vec::new();
    let mut push = |level, what: String, over_content| {
        changes.push(Change {
            revision: rev,
            level,
            what,
            over_content,
        })
    };
    let (old_trailer, new_trailer) = (doc.trailer(prev), doc.trailer(rev));
    if old_trailer.get(b"Root") != new_trailer.get(b"Root") {
        match catalog_rewritten(doc, prev, rev)? {
            Some(found) => found.into_iter().for_each(|(l, w)| push(l, w, false)),
            None => {
                push(
                    ModificationLevel::Other,
                    "the trailer's /Root points at another catalog".into(),
                    false,
                );
                return Ok(changes);
            }
        }
    }
    for key in changed_keys(old_trailer, new_trailer) {
        if let Some((level, what)) = trailer_change(&key, new_trailer) {
            push(level, what, false);
        }
    }
    let roles = Roles::of(doc, prev, locked)?;
    let section = &doc.sections[rev];
    if section.entries.len() > MAX_CHANGED {
        push(
            ModificationLevel::Other,
            "too many objects redefined".into(),
            false,
        );
        return Ok(changes);
    }
    for num in &section.conflicts {
        push(
            ModificationLevel::Other,
            format!("object {num} is listed twice, differently, in the cross-reference section"),
            false,
        );
    }
    let mut new_refs = NewRefs::new();
    for (&num, entry) in &section.entries {
        let old_entry = doc.entry(num, prev);
        let existed = matches!(old_entry, Some((_, e)) if e != XrefEntry::Free);
        let r = ObjRef {
            num,
            generation: match entry {
                XrefEntry::InFile { generation, .. } => *generation,
                _ => 0,
            },
        };
        if *entry == XrefEntry::Free {
            if existed && doc.get(r, prev).map(|o| o != Object::Null).unwrap_or(true) {
                push(
                    ModificationLevel::Other,
                    format!("object {num} was freed"),
                    false,
                );
            }
            continue;
        }
        if !existed {
            // A number the signed revision refers to without defining it (a null there)
            // that takes a value now changes what the signed content shows.
            if references.borrow_mut().contains(doc, prev, num) {
                push(
                    ModificationLevel::Other,
                    format!("object {r}, referenced but undefined when signed, is now defined"),
                    false,
                );
            }
            continue;
        }
        let old = doc.get(r, prev).unwrap_or(Object::Null);
        let new = match doc.get(r, rev) {
            Ok(o) => o,
            Err(e) => {
                push(
                    ModificationLevel::Other,
                    format!("object {num} is unreadable: {e}"),
                    false,
                );
                continue;
            }
        };
        if doc.same_value(&old, &new)? {
            continue;
        }
        let over = roles.annotations.contains(&r) && over_content(&new);
        for (level, what) in roles.classify(doc, rev, r, &old, &new, &mut new_refs)? {
            push(level, what, over && level == ModificationLevel::Annotations);
        }
    }
    // Objects that allowed changes newly reference: fields, widgets, annotations.
    let mut signed_widgets = HashSet::new();
    for r in new_refs.keys() {
        if let Some(d) = doc.get(*r, rev)?.as_dict()
            && d.name(b"FT") == Some(b"Sig")
            && d.get(b"V").is_some()
        {
            let kids = doc.resolve(d.get(b"Kids").unwrap_or(&Object::Null), rev)?;
            signed_widgets.extend(kids.as_array().unwrap_or_default().iter().filter_map(
                |k| match k {
                    Object::Ref(k) => Some(*k),
                    _ => None,
                },
            ));
        }
    }
    for (r, page) in new_refs {
        if signed_widgets.contains(&r) {
            push(
                ModificationLevel::FormFilling,
                format!("widget {r} of a new signature field{}", on_page(page)),
                false,
            );
            continue;
        }
        let over = over_content(&doc.get(r, rev)?);
        for (level, what) in roles.classify_new(doc, rev, prev, r, page)? {
            push(level, what, over && level == ModificationLevel::Annotations);
        }
    }
    Ok(changes)
}

impl Roles {
    fn of(doc: &Document<'_>, rev: usize, locked: &Locks) -> Result<Roles> {
        let catalog_ref = doc.root_ref(rev)?;
        let catalog = doc.catalog(rev)?;
        let acroform = catalog.reference(b"AcroForm");
        let acroform_dict = doc.dict_at(&catalog, b"AcroForm", rev)?;
        let fields_array = acroform_dict.as_ref().and_then(|a| a.reference(b"Fields"));
        let pages = doc.pages(rev).unwrap_or_default();
        let mut annots_arrays = Vec::new();
        let mut annotations = HashSet::new();
        for (index, page) in pages.iter().enumerate() {
            let Some(d) = doc.get(*page, rev)?.as_dict().cloned() else {
                continue;
            };
            if let Some(a) = d.reference(b"Annots") {
                annots_arrays.push((a, index));
            }
            let annots = doc.resolve(d.get(b"Annots").unwrap_or(&Object::Null), rev)?;
            for a in annots.as_array().unwrap_or_default() {
                if let Object::Ref(r) = a {
                    annotations.insert(*r);
                }
            }
        }
        let fields = frozen_fields(doc, rev, locked)?;
        let mut dss = HashSet::new();
        if let Some(Object::Ref(r)) = catalog.get(b"DSS") {
            dss.insert(*r);
        }
        if let Some(d) = doc.dict_at(&catalog, b"DSS", rev)? {
            for (_, v) in &d.0 {
                if let Object::Ref(r) = v {
                    dss.insert(*r);
                }
            }
        }
        Ok(Roles {
            catalog: catalog_ref,
            acroform,
            fields_array,
            pages,
            annots_arrays,
            fields,
            annotations,
            dss,
            info: doc.trailer(rev).reference(b"Info"),
            metadata: catalog.reference(b"Metadata"),
            locked: locked.clone(),
            extensions: catalog.reference(b"Extensions"),
            content: OnceCell::new(),
        })
    }

    /// Whether `r` is part of what the pages are drawn from (see [`content_objects`]) while
    /// not the catalog, a page or the AcroForm, whose changes are judged key by key.
    fn is_content(&self, doc: &Document<'_>, rev: usize, r: ObjRef) -> bool {
        r != self.catalog
            && Some(r) != self.acroform
            && !self.pages.contains(&r)
            && self
                .content
                .get_or_init(|| content_objects(doc, rev, &self.pages))
                .contains(&r.num)
    }

    /// The index of the page that `d` (an annotation or widget) names as its `/P`.
    fn page_of(&self, d: &Dict) -> Option<usize> {
        let page = d.reference(b"P")?;
        self.pages.iter().position(|p| *p == page)
    }

    /// Whether `r` is a terminal field or widget of the form.
    fn is_field(&self, r: ObjRef) -> bool {
        self.fields.iter().any(|(f, _)| *f == r)
    }

    /// Classifies the change of an existing object `r` from `old` to `new`; references that
    /// the change adds go to `new_refs` for [`Roles::classify_new`].
    fn classify(
        &self,
        doc: &Document<'_>,
        rev: usize,
        r: ObjRef,
        old: &Object,
        new: &Object,
        new_refs: &mut NewRefs,
    ) -> Result<Vec<(ModificationLevel, String)>> {
        use ModificationLevel::*;
        let mut out = Vec::new();
        if let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict())
            && od.name(b"Type") == Some(b"Pages")
            && nd.name(b"Type") == Some(b"Pages")
            && changed_keys(od, nd).iter().all(|k| is_viewer_entry(k, nd))
        {
            out.push((NoChange, format!("page tree node {r} /ITXT (viewer entry)")));
            return Ok(out);
        }
        if self.is_content(doc, rev - 1, r) {
            // Content first, whatever other part (annotation, DSS entry, /Info, metadata)
            // the object was also given before signing.
            let what = old
                .as_dict()
                .and_then(|d| d.name(b"Type"))
                .map(|t| format!(" /{}", show(t)))
                .unwrap_or_default();
            out.push((
                Other,
                format!("object {r}{what} ({}) changed: page content", old.kind()),
            ));
            return Ok(out);
        }
        let (Some(od), Some(nd)) = (old.as_dict(), new.as_dict()) else {
            // Arrays that hold fields or annotations may only grow.
            if Some(r) == self.fields_array {
                appended(old, new, new_refs, &mut out, "/Fields");
            } else if let Some(&(_, page)) = self.annots_arrays.iter().find(|(a, _)| *a == r) {
                self.annots_changed(old, new, Some(page), new_refs, &mut out);
            } else if self.dss.contains(&r) {
                out.push((LtaUpdates, format!("DSS array {r} extended")));
            } else {
                out.push((Other, format!("object {r} ({}) changed", old.kind())));
            }
            return Ok(out);
        };
        let changed_keys = changed_keys(od, nd);
        if r == self.catalog {
            for key in changed_keys {
                match key.as_slice() {
                    b"AcroForm" => match (od.get(b"AcroForm"), nd.get(b"AcroForm")) {
                        (Some(Object::Dict(a)), Some(Object::Dict(b))) => {
                            acroform_changed(a, b, new_refs, &mut out)
                        }
                        (None, Some(Object::Dict(b))) => {
                            acroform_changed(&Dict::default(), b, new_refs, &mut out)
                        }
                        _ => out.push((Other, "the catalog's /AcroForm was replaced".into())),
                    },
                    b"DSS" | b"Extensions" | b"Version" => {
                        out.push((LtaUpdates, format!("catalog /{}", show(&key))))
                    }
                    b"Metadata" => out.push((NoChange, "catalog /Metadata".into())),
                    _ => out.push((Other, format!("catalog /{} changed", show(&key)))),
                }
            }
        } else if Some(r) == self.acroform {
            acroform_changed(od, nd, new_refs, &mut out);
        } else if self.pages.contains(&r) {
            for key in changed_keys {
                if key == b"Annots" {
                    let old_annots =
                        doc.resolve(od.get(b"Annots").unwrap_or(&Object::Null), rev - 1)?;
                    let new_annots =
                        doc.resolve(nd.get(b"Annots").unwrap_or(&Object::Null), rev)?;
                    let page = self.pages.iter().position(|p| *p == r);
                    self.annots_changed(&old_annots, &new_annots, page, new_refs, &mut out);
                } else if is_viewer_entry(&key, nd) {
                    out.push((NoChange, format!("page {r} /ITXT (viewer entry)")));
                } else {
                    out.push((Other, format!("page {r} /{} changed", show(&key))));
                }
            }
        } else if let Some((_, read_only)) = self.fields.iter().find(|(f, _)| *f == r) {
            for key in changed_keys {
                let level = match key.as_slice() {
                    b"V" if od.get(b"V").is_none() && nd.name(b"FT") == Some(b"Sig") => {
                        if let Some(Object::Ref(v)) = nd.get(b"V") {
                            note(new_refs, *v, None);
                        }
                        FormFilling
                    }
                    b"AP" if !read_only => {
                        // The old appearance must have been this widget's alone.
                        match od.get(b"AP") {
                            Some(Object::Ref(ap)) if !only_referrer(doc, rev - 1, *ap, r)? => Other,
                            _ => FormFilling,
                        }
                    }
                    b"V" | b"AS" if !read_only => FormFilling,
                    // Signing sets the widget's flags (print, locked) with its value.
                    b"F" if nd.name(b"FT") == Some(b"Sig") && od.get(b"V").is_none() => FormFilling,
                    _ => Other,
                };
                let what = match key.as_slice() {
                    b"V" => format!(
                        "form field {} /V {} -> {}{} {}",
                        field_label(nd, r),
                        value_text(od.get(b"V")),
                        value_text(nd.get(b"V")),
                        on_page(self.page_of(nd)),
                        rect_text(nd)
                    ),
                    _ => format!("form field {} /{}", field_label(nd, r), show(&key)),
                };
                out.push((level, what));
            }
        } else if let Some(widget) = self.appearance_owner(doc, rev - 1, r)? {
            out.push((
                FormFilling,
                format!("appearance stream {r} of widget {widget} redrawn"),
            ));
        } else if self.annotations.contains(&r) && is_annotation(old) && is_annotation(new) {
            out.push((Annotations, format!("annotation {r} changed")));
        } else if self.dss.contains(&r) {
            out.push((LtaUpdates, format!("DSS object {r}")));
        } else if Some(r) == self.extensions
            && only_referrer(doc, rev - 1, r, self.catalog)?
            && self.catalog_mentions_once(doc, rev - 1, r)?
        {
            out.push((LtaUpdates, "catalog /Extensions".into()));
        } else if Some(r) == self.info {
            out.push((NoChange, "document information /Info".into()));
        } else if Some(r) == self.metadata {
            out.push((NoChange, "XMP metadata".into()));
        } else {
            let what = od
                .name(b"Type")
                .map(|t| format!(" /{}", show(t)))
                .unwrap_or_default();
            out.push((Other, format!("object {r}{what} ({}) changed", old.kind())));
        }
        Ok(out)
    }
}

impl Roles {
    /// Whether exactly one catalog entry refers to `r`.
    fn catalog_mentions_once(&self, doc: &Document<'_>, rev: usize, r: ObjRef) -> Result<bool> {
        let catalog = doc.catalog(rev)?;
        Ok(catalog.0.iter().filter(|(_, v)| mentions(v, r, 64)).count() == 1)
    }

    /// The widget whose `/AP` alone refers to the stream `r` (directly as `/N`, `/R`, `/D`
    /// or one state of them), when nothing else in the document refers to it.
    fn appearance_owner(
        &self,
        doc: &Document<'_>,
        rev: usize,
        r: ObjRef,
    ) -> Result<Option<ObjRef>> {
        for (widget, read_only) in &self.fields {
            if *read_only {
                continue;
            }
            let Some(d) = doc.get(*widget, rev)?.as_dict().cloned() else {
                continue;
            };
            let Some(ap) = d.get(b"AP").map(|a| doc.resolve(a, rev)).transpose()? else {
                continue;
            };
            if mentions(&ap, r, 3) {
                let alone = match d.get(b"AP") {
                    Some(Object::Ref(ap_ref)) => {
                        only_referrer(doc, rev, r, *ap_ref)?
                            && only_referrer(doc, rev, *ap_ref, *widget)?
                    }
                    _ => only_referrer(doc, rev, r, *widget)?,
                };
                return Ok(alone.then_some(*widget));
            }
        }
        Ok(None)
    }
}

/// Whether `object` holds a reference to `target` within `depth` levels.
fn mentions(object: &Object, target: ObjRef, depth: usize) -> bool {
    match object {
        Object::Ref(r) => *r == target,
        _ if depth == 0 => false,
        Object::Array(items) => items.iter().any(|i| mentions(i, target, depth - 1)),
        Object::Dict(d) => d.0.iter().any(|(_, v)| mentions(v, target, depth - 1)),
        Object::Stream(s) => s.dict.0.iter().any(|(_, v)| mentions(v, target, depth - 1)),
        _ => false,
    }
}

/// Whether `holder` is the only object (and the trailer does not) refer to `target` as of
/// `rev`.
fn only_referrer(doc: &Document<'_>, rev: usize, target: ObjRef, holder: ObjRef) -> Result<bool> {
    if mentions(&Object::Dict(doc.trailer(rev).clone()), target, 64) {
        return Ok(false);
    }
    let mut numbers: BTreeSet<u32> = BTreeSet::new();
    for section in &doc.sections[..=rev] {
        numbers.extend(section.entries.keys());
    }
    for num in numbers {
        if num == holder.num {
            continue;
        }
        let Some((_, entry)) = doc.entry(num, rev) else {
            continue;
        };
        if entry == XrefEntry::Free {
            continue;
        }
        let object = doc
            .get(ObjRef { num, generation: 0 }, rev)
            .unwrap_or(Object::Null);
        if mentions(&object, target, 64) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Every field and widget of revision `rev`, and whether it is frozen: read-only, a signed
/// signature field, locked by FieldMDP (`locked`), or under such a node.
fn frozen_fields(doc: &Document<'_>, rev: usize, locked: &Locks) -> Result<Vec<(ObjRef, bool)>> {
    let mut out = Vec::new();
    let mut frozen_set = HashSet::new();
    for node in field_tree(doc, rev)? {
        let frozen = node.parent.is_some_and(|p| frozen_set.contains(&p))
            || node.read_only
            || node.is_signed_signature()
            || locked.contains(&node.object);
        if frozen {
            frozen_set.insert(node.object);
        }
        out.push((node.object, frozen));
    }
    Ok(out)
}

fn changed_keys(old: &Dict, new: &Dict) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for (k, _) in old.0.iter().chain(&new.0) {
        if keys.contains(k) {
            continue;
        }
        let same = match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) => a.same_value(b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            keys.push(k.clone());
        }
    }
    keys
}

fn acroform_changed(
    old: &Dict,
    new: &Dict,
    new_refs: &mut NewRefs,
    out: &mut Vec<(ModificationLevel, String)>,
) {
    for key in changed_keys(old, new) {
        match key.as_slice() {
            b"Fields" => appended(
                old.get(b"Fields").unwrap_or(&Object::Array(Vec::new())),
                new.get(b"Fields").unwrap_or(&Object::Null),
                new_refs,
                out,
                "/Fields",
            ),
            b"SigFlags" | b"DR" | b"DA" | b"NeedAppearances" => out.push((
                ModificationLevel::FormFilling,
                format!("AcroForm /{}", show(&key)),
            )),
            _ => out.push((
                ModificationLevel::Other,
                format!("AcroForm /{} changed", show(&key)),
            )),
        }
    }
}

/// An array that may only have entries appended; the new entries go to `new_refs`.
fn appended(
    old: &Object,
    new: &Object,
    new_refs: &mut NewRefs,
    out: &mut Vec<(ModificationLevel, String)>,
    what: &str,
) {
    let (old, new) = (
        old.as_array().unwrap_or_default(),
        new.as_array().unwrap_or_default(),
    );
    if new.len() < old.len() || !old.iter().zip(new).all(|(a, b)| a.same_value(b)) {
        out.push((
            ModificationLevel::Other,
            format!("{what}: existing entries removed or replaced"),
        ));
        return;
    }
    for item in &new[old.len()..] {
        match item {
            Object::Ref(r) => note(new_refs, *r, None),
            _ => out.push((
                ModificationLevel::Other,
                format!("{what}: a direct object was appended"),
            )),
        }
    }
}

impl Roles {
    /// A page's annotation list (of page `page`): removing an annotation is an annotation
    /// change, removing a form field's widget is not; additions are classified later.
    fn annots_changed(
        &self,
        old: &Object,
        new: &Object,
        page: Option<usize>,
        new_refs: &mut NewRefs,
        out: &mut Vec<(ModificationLevel, String)>,
    ) {
        let (old, new) = (
            old.as_array().unwrap_or_default(),
            new.as_array().unwrap_or_default(),
        );
        let from = page
            .map(|i| format!(" from page {}", i + 1))
            .unwrap_or_default();
        for item in old {
            if new.iter().any(|n| n.same_value(item)) {
                continue;
            }
            out.push(match item {
                Object::Ref(w) if self.is_field(*w) => (
                    ModificationLevel::Other,
                    format!("widget {w} removed{from}"),
                ),
                _ => (
                    ModificationLevel::Annotations,
                    format!("annotation {} removed{from}", describe(item)),
                ),
            });
        }
        for item in new {
            if old.iter().any(|o| o.same_value(item)) {
                continue;
            }
            match item {
                Object::Ref(r) => note(new_refs, *r, page),
                // ISO 32000-1 Table 30: /Annots holds indirect references only.
                _ => out.push((
                    ModificationLevel::Other,
                    format!("a direct annotation was added{}", on_page(page)),
                )),
            }
        }
    }

    /// Classifies an object newly referenced from a form or page (listed on `page`): a new
    /// signature field and widget, a document timestamp, an annotation, or something else.
    fn classify_new(
        &self,
        doc: &Document<'_>,
        rev: usize,
        prev: usize,
        r: ObjRef,
        page: Option<usize>,
    ) -> Result<Vec<(ModificationLevel, String)>> {
        use ModificationLevel::*;
        let object = doc.get(r, rev)?;
        let Some(d) = object.as_dict() else {
            return Ok(vec![(
                Other,
                format!("object {r} ({}) referenced", object.kind()),
            )]);
        };
        let existed = |r: ObjRef| doc.get(r, prev).map(|o| o != Object::Null).unwrap_or(true);
        let is_widget = d.name(b"Subtype") == Some(b"Widget");
        let at = on_page(page.or_else(|| self.page_of(d)));
        if d.name(b"Type") == Some(b"Sig") || d.name(b"Type") == Some(b"DocTimeStamp") {
            if existed(r) {
                // The value of a signature already in the document: a second field that
                // shows it would pass as signed.
                return Ok(vec![(Other, format!("signature value {r} reused"))]);
            }
            let level = if d.name(b"Type") == Some(b"DocTimeStamp") {
                LtaUpdates
            } else {
                FormFilling
            };
            return Ok(vec![(level, format!("signature value {r}"))]);
        }
        if existed(r) && is_widget {
            // A widget already in the file, newly listed: a field's is harmless re-listing,
            // any other one (planted, on no page, before signing) shows new content.
            return Ok(if self.is_field(r) {
                Vec::new()
            } else {
                vec![(Other, format!("widget {r}, of no form field, listed{at}"))]
            });
        }
        if self.locked.contains(&r) {
            return Ok(vec![(
                Other,
                format!("new form field {} is locked (FieldMDP)", field_label(d, r)),
            )]);
        }
        match (d.name(b"FT"), is_widget) {
            (Some(b"Sig"), _) => {
                let rect = rect_text(d);
                let label = field_label(d, r);
                if let Some(Object::Ref(v)) = d.get(b"V")
                    && existed(*v)
                {
                    return Ok(vec![(
                        Other,
                        format!("new signature field {label} reuses the signature value {v}"),
                    )]);
                }
                let value = d.get(b"V").map(|v| doc.resolve(v, rev)).transpose()?;
                let value = value.as_ref().and_then(Object::as_dict);
                Ok(vec![match value {
                    Some(v)
                        if v.name(b"Type") == Some(b"DocTimeStamp")
                            || v.name(b"SubFilter") == Some(b"ETSI.RFC3161") =>
                    {
                        (LtaUpdates, format!("document timestamp field {label}"))
                    }
                    Some(_) => (
                        FormFilling,
                        format!("new signature field {label} widget{at} {rect}"),
                    ),
                    // An empty field nobody sees, as pyHanko's SigFieldCreationRule allows
                    // (LTA_UPDATES; FORM_FILLING once it brings an appearance).
                    None if !is_visible(doc, rev, d)? => {
                        if d.get(b"AP").is_some() {
                            (
                                FormFilling,
                                format!(
                                    "new empty invisible signature field {label} with an appearance{at}"
                                ),
                            )
                        } else {
                            (
                                LtaUpdates,
                                format!("new empty invisible signature field {label}{at} {rect}"),
                            )
                        }
                    }
                    None => (
                        Other,
                        format!("new unsigned signature field {label} widget{at} {rect}"),
                    ),
                }])
            }
            (None, true) if d.get(b"Parent").is_some() => Ok(vec![(
                Other,
                format!("widget {r} added to an existing field"),
            )]),
            (Some(ft), _) => Ok(vec![(
                Other,
                format!("new /{} form field {}", show(ft), field_label(d, r)),
            )]),
            (None, false) if d.get(b"Subtype").is_some() && is_annotation(&object) => Ok(vec![(
                Annotations,
                format!(
                    "/{} annotation {} added{at} {}",
                    show(d.name(b"Subtype").unwrap_or(b"?")),
                    r,
                    rect_text(d)
                ),
            )]),
            _ => Ok(vec![(
                Other,
                format!("object {r} added to the form or a page"),
            )]),
        }
    }
}

/// A catalog that an update wrote as a new object (the trailer's `/Root` changed), as some
/// LTV writers do: judged by value against the old one, as pyHanko's CatalogModificationRule
/// and EU DSS compare catalogs. `None` unless the new catalog is an object this revision
/// defines for the first time and differs only in `/DSS`, `/Extensions` or `/Version`.
fn catalog_rewritten(
    doc: &Document<'_>,
    prev: usize,
    rev: usize,
) -> Result<Option<Vec<(ModificationLevel, String)>>> {
    let Some(Object::Ref(root)) = doc.trailer(rev).get(b"Root").cloned() else {
        return Ok(None);
    };
    let new_here = doc.sections[rev].entries.contains_key(&root.num)
        && !matches!(doc.entry(root.num, prev), Some((_, e)) if e != XrefEntry::Free);
    if !new_here {
        return Ok(None);
    }
    let (Ok(old), Ok(new)) = (doc.catalog(prev), doc.catalog(rev)) else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for key in changed_keys(&old, &new) {
        if !matches!(key.as_slice(), b"DSS" | b"Extensions" | b"Version") {
            return Ok(None);
        }
        found.push((
            ModificationLevel::LtaUpdates,
            format!("catalog /{} (in a new catalog object {root})", show(&key)),
        ));
    }
    Ok(Some(found))
}

/// The finding for a changed trailer key (`None` for the keys every update rewrites). A
/// hybrid PDF's `/AdditionalStreams` (an embedded source document, LibreOffice) and its
/// `/DocChecksum` may be dropped by a later writer: no viewer draws them.
fn trailer_change(key: &[u8], new_trailer: &Dict) -> Option<(ModificationLevel, String)> {
    if TRAILER_BOOKKEEPING.contains(&key) || key == b"DecodeParms" {
        return None;
    }
    if matches!(key, b"AdditionalStreams" | b"DocChecksum") && new_trailer.get(key).is_none() {
        return Some((
            ModificationLevel::NoChange,
            format!("trailer /{} dropped (hybrid PDF)", show(key)),
        ));
    }
    Some((
        ModificationLevel::Other,
        format!("trailer /{} changed", show(key)),
    ))
}

/// Whether `key` of `dict` is `/ITXT`, the version entry that iText and OpenPDF write into
/// the page tree, with a plain value: EU DSS skips its changes (PdfObjectModificationsFilter).
fn is_viewer_entry(key: &[u8], dict: &Dict) -> bool {
    key == b"ITXT"
        && matches!(
            dict.get(key),
            None | Some(Object::String { .. } | Object::Name(_) | Object::Int(_) | Object::Real(_))
        )
}

/// Whether `object` is an annotation (not a widget) that can draw over the page: it has an
/// appearance stream, or it is of a kind viewers draw without one (everything but a note
/// icon, a link and a pop-up).
fn over_content(object: &Object) -> bool {
    let Object::Dict(d) = object else {
        return false;
    };
    is_annotation(object)
        && (d.get(b"AP").is_some()
            || !matches!(d.name(b"Subtype"), Some(b"Text" | b"Link" | b"Popup")))
}

/// Whether a field or any of its widgets has a rectangle of non-zero area (pyHanko's
/// `is_field_visible`).
fn is_visible(doc: &Document<'_>, rev: usize, field: &Dict) -> Result<bool> {
    let area = |d: &Dict| -> bool {
        let nums: Vec<f64> = d
            .get(b"Rect")
            .and_then(Object::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Object::as_number)
            .collect();
        matches!(nums.as_slice(), [x1, y1, x2, y2] if (x1 - x2) * (y1 - y2) != 0.0)
    };
    if area(field) {
        return Ok(true);
    }
    let kids = doc.resolve(field.get(b"Kids").unwrap_or(&Object::Null), rev)?;
    for kid in kids.as_array().unwrap_or_default() {
        if doc.resolve(kid, rev)?.as_dict().is_some_and(area) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// ` on page N` (1-based) for a known page index, else nothing.
fn on_page(page: Option<usize>) -> String {
    page.map(|i| format!(" on page {}", i + 1))
        .unwrap_or_default()
}

/// Whether `object` can be a non-widget annotation: a dictionary (not a stream, which
/// page content uses) whose `/Subtype` is not `/Widget`.
fn is_annotation(object: &Object) -> bool {
    matches!(object, Object::Dict(d) if d.name(b"Subtype") != Some(b"Widget"))
}

/// A field value for the report, shortened: `(text)`, `/Name`, a number, `null`, ...
fn value_text(value: Option<&Object>) -> String {
    let text = match value {
        None | Some(Object::Null) => "null".to_string(),
        Some(Object::String { bytes, .. }) => format!("({})", decode_text(bytes)),
        Some(Object::Name(n)) => format!("/{}", show(n)),
        Some(Object::Ref(r)) => format!("{r} R"),
        Some(o @ (Object::Int(_) | Object::Real(_) | Object::Bool(_))) => {
            let mut out = Vec::new();
            o.write_to(&mut out);
            show(&out)
        }
        Some(other) => format!("({})", other.kind()),
    };
    if text.chars().count() > 80 {
        text.chars().take(77).chain("...".chars()).collect()
    } else {
        text
    }
}

/// The numbers of the objects that the pages of revision `rev` are drawn from: everything
/// the catalog and the page tree refer to, to any depth, except through the entries whose
/// changes are judged by their own rules (the catalog's `/AcroForm`, `/DSS`, `/Metadata`,
/// `/Extensions`; a page tree node's `/Annots` and `/Parent`) and through the structure
/// tree (`/StructTreeRoot`, whose `/OBJR` entries name annotations and widgets, not
/// drawn content). The catalog itself is not entered again when something points back at
/// it (a signature's `/Reference` `/Data`, ISO 32000-1 Table 253): its entries are the
/// roots already, and entering it would add the ones judged by their own rules.
fn content_objects(doc: &Document<'_>, rev: usize, pages: &[ObjRef]) -> HashSet<u32> {
    let mut stack = Vec::new();
    let mut seen = HashSet::new();
    if let Ok(root) = doc.root_ref(rev) {
        seen.insert(root.num);
    }
    if let Ok(catalog) = doc.catalog(rev) {
        for (key, value) in &catalog.0 {
            if !matches!(
                key.as_slice(),
                b"AcroForm" | b"DSS" | b"Metadata" | b"Extensions" | b"StructTreeRoot"
            ) {
                push_refs(value, &mut stack, 0);
            }
        }
    }
    while let Some(r) = stack.pop() {
        if seen.len() > MAX_CHANGED || !seen.insert(r.num) {
            continue;
        }
        let Some(value) = doc.dict_only(r.num, rev) else {
            continue;
        };
        match value.as_dict() {
            Some(d) if pages.contains(&r) || d.name(b"Type") == Some(b"Pages") => {
                for (key, v) in &d.0 {
                    if key != b"Annots" && key != b"Parent" {
                        push_refs(v, &mut stack, 0);
                    }
                }
            }
            _ => push_refs(&value, &mut stack, 0),
        }
    }
    seen
}

/// Pushes every reference inside `object` (a stream's dictionary, not its data).
fn push_refs(object: &Object, out: &mut Vec<ObjRef>, depth: usize) {
    match object {
        Object::Ref(r) => out.push(*r),
        _ if depth > 64 => {}
        Object::Array(items) => items.iter().for_each(|i| push_refs(i, out, depth + 1)),
        Object::Dict(d) => d.0.iter().for_each(|(_, v)| push_refs(v, out, depth + 1)),
        Object::Stream(s) => s
            .dict
            .0
            .iter()
            .for_each(|(_, v)| push_refs(v, out, depth + 1)),
        _ => {}
    }
}

/// The object numbers that the objects of one revision and its trailer refer to. Only
/// dictionaries are read, not stream data: content streams name their resources, they do
/// not refer to numbers. The references are counted per number, so that moving to the
/// next (or previous) revision adjusts only what that revision's section redefines; in a
/// document with object streams, where a redefined stream changes the objects inside it,
/// each revision is counted anew.
#[derive(Default)]
struct References {
    /// The revision counted.
    revision: Option<usize>,
    counts: HashMap<u32, usize>,
    object_streams: Option<bool>,
}

impl References {
    /// Whether an object of revision `rev`, or its trailer, refers to number `num`.
    fn contains(&mut self, doc: &Document<'_>, rev: usize, num: u32) -> bool {
        self.move_to(doc, rev);
        let mut trailer = Vec::new();
        push_refs(&Object::Dict(doc.trailer(rev).clone()), &mut trailer, 0);
        self.counts.get(&num).is_some_and(|&n| n > 0) || trailer.iter().any(|r| r.num == num)
    }

    fn move_to(&mut self, doc: &Document<'_>, rev: usize) {
        let object_streams = *self.object_streams.get_or_insert_with(|| {
            doc.sections.iter().any(|s| {
                s.entries
                    .values()
                    .any(|e| matches!(e, XrefEntry::InStream { .. }))
            })
        });
        match self.revision {
            Some(at) if at == rev => {}
            Some(at) if !object_streams && at < rev => {
                for section in at + 1..=rev {
                    self.step(doc, section, section - 1, section);
                }
            }
            Some(at) if !object_streams => {
                for section in (rev + 1..=at).rev() {
                    self.step(doc, section, section, section - 1);
                }
            }
            _ => {
                self.counts.clear();
                let numbers: HashSet<u32> = doc.sections[..=rev]
                    .iter()
                    .flat_map(|s| s.entries.keys().copied())
                    .collect();
                for num in numbers {
                    if let Some(value) = doc.dict_only(num, rev) {
                        self.count(&value, true);
                    }
                }
            }
        }
        self.revision = Some(rev);
    }

    /// Moves the counts from revision `from` to revision `to`, which differ by `section`.
    fn step(&mut self, doc: &Document<'_>, section: usize, from: usize, to: usize) {
        for &num in doc.sections[section].entries.keys() {
            if let Some(old) = doc.dict_only(num, from) {
                self.count(&old, false);
            }
            if let Some(new) = doc.dict_only(num, to) {
                self.count(&new, true);
            }
        }
    }

    fn count(&mut self, object: &Object, add: bool) {
        let mut refs = Vec::new();
        push_refs(object, &mut refs, 0);
        for r in refs {
            let count = self.counts.entry(r.num).or_default();
            *count = if add {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
        }
    }
}

fn field_label(d: &Dict, r: ObjRef) -> String {
    match d.get(b"T") {
        Some(Object::String { bytes, .. }) => format!("{:?}", decode_text(bytes)),
        _ => format!("(object {r})"),
    }
}

fn rect_text(d: &Dict) -> String {
    let nums: Vec<String> = d
        .get(b"Rect")
        .and_then(Object::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Object::as_number)
        .map(super::object::format_real)
        .collect();
    format!("[{}]", nums.join(" "))
}

fn describe(o: &Object) -> String {
    match o {
        Object::Ref(r) => r.to_string(),
        other => other.kind().to_string(),
    }
}

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::update::Update;

    fn refs_to(nums: &[u32]) -> Object {
        let mut d = Dict::default();
        let refs = nums
            .iter()
            .map(|&num| Object::Ref(ObjRef { num, generation: 0 }))
            .collect();
        d.set(b"Refs", Object::Array(refs));
        Object::Dict(d)
    }

    /// Counting reference by reference from revision to revision, forwards and backwards,
    /// gives what counting each revision anew gives.
    #[test]
    fn references_stepped_match_references_counted_anew() {
        let mut pdf = crate::pdf::sample::plain_pdf(&["References"], 0);
        let mut made = Vec::new();
        let steps: [&[u32]; 4] = [&[900, 1], &[901], &[900, 900], &[]];
        for (i, targets) in steps.iter().enumerate() {
            let doc = Document::parse(&pdf).unwrap();
            let mut update = Update::new(&doc);
            let r = match i {
                1 => made[0],
                3 => made[2],
                _ => update.alloc(),
            };
            made.push(r);
            update.put(r, &refs_to(targets));
            update.write(&mut pdf);
        }
        let doc = Document::parse(&pdf).unwrap();
        assert_eq!(doc.latest(), 4);
        let numbers: Vec<u32> = (0..10).chain([900, 901, 902]).collect();
        let fresh = |rev: usize, num: u32| References::default().contains(&doc, rev, num);
        let (mut forwards, mut backwards) = (References::default(), References::default());
        for rev in 0..=doc.latest() {
            for &num in &numbers {
                assert_eq!(
                    forwards.contains(&doc, rev, num),
                    fresh(rev, num),
                    "{rev} {num}"
                );
            }
        }
        for rev in (0..=doc.latest()).rev() {
            for &num in &numbers {
                assert_eq!(
                    backwards.contains(&doc, rev, num),
                    fresh(rev, num),
                    "{rev} {num}"
                );
            }
        }
        assert!(fresh(1, 900) && !fresh(2, 900) && fresh(2, 901) && fresh(3, 900));
        assert!(!fresh(4, 900) && fresh(4, 901) && !fresh(0, 901));
    }
}
