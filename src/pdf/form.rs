//! The interactive form's field tree (ISO 32000-1 clause 12.7.3): every field and widget
//! under the AcroForm's `/Fields`, with the attributes they inherit, read once for the
//! writer, the verifier and the modification analysis.

use std::collections::HashSet;

use super::document::Document;
use super::object::{Dict, ObjRef, Object, decode_text};
use crate::error::Result;

/// Most field nodes walked.
const MAX_FIELDS: usize = 100_000;

/// A node of the field tree: a field, or a widget under a field.
#[derive(Clone, Debug)]
pub struct FieldNode {
    /// The node's object.
    pub object: ObjRef,
    /// Its dictionary.
    pub dict: Dict,
    /// The fully qualified field name (partial names joined by `.`, clause 12.7.3.2).
    pub name: String,
    /// `/FT`, inherited from the parents.
    pub field_type: Option<Vec<u8>>,
    /// The ReadOnly flag (bit 1 of `/Ff`), inherited.
    pub read_only: bool,
    /// Whether the node has no kids that are fields (a terminal field or a widget).
    pub terminal: bool,
    /// The node it was reached from (`None` for the AcroForm's own `/Fields`).
    pub parent: Option<ObjRef>,
}

impl FieldNode {
    /// Whether this is a signature field with a value.
    pub fn is_signed_signature(&self) -> bool {
        self.field_type.as_deref() == Some(b"Sig") && self.dict.get(b"V").is_some()
    }
}

/// A node still to visit, with what it inherits.
struct Pending {
    node: Object,
    prefix: String,
    field_type: Option<Vec<u8>>,
    read_only: bool,
    parent: Option<ObjRef>,
}

/// Every node of the field tree of revision `rev`, parents before kids, in document order;
/// a node reached twice (a cycle or a shared kid) is listed once.
pub fn field_tree(doc: &Document<'_>, rev: usize) -> Result<Vec<FieldNode>> {
    let catalog = doc.catalog(rev)?;
    let Some(acroform) = doc.dict_at(&catalog, b"AcroForm", rev)? else {
        return Ok(Vec::new());
    };
    let roots = doc.resolve(acroform.get(b"Fields").unwrap_or(&Object::Null), rev)?;
    let mut stack: Vec<Pending> = roots
        .as_array()
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|f| Pending {
            node: f.clone(),
            prefix: String::new(),
            field_type: None,
            read_only: false,
            parent: None,
        })
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while let Some(Pending {
        node,
        prefix,
        field_type: inherited_type,
        read_only: inherited_read_only,
        parent,
    }) = stack.pop()
    {
        let Object::Ref(object) = node else { continue };
        if !seen.insert(object) || seen.len() > MAX_FIELDS {
            continue;
        }
        let Some(dict) = doc.get(object, rev)?.as_dict().cloned() else {
            continue;
        };
        let name = match (dict.get(b"T"), prefix.is_empty()) {
            (Some(Object::String { bytes, .. }), true) => decode_text(bytes),
            (Some(Object::String { bytes, .. }), false) => {
                format!("{prefix}.{}", decode_text(bytes))
            }
            _ => prefix,
        };
        let field_type = dict.name(b"FT").map(<[u8]>::to_vec).or(inherited_type);
        let read_only = inherited_read_only || dict.int(b"Ff").is_some_and(|f| f & 1 == 1);
        let kids = doc.resolve(dict.get(b"Kids").unwrap_or(&Object::Null), rev)?;
        let kids = kids.as_array().unwrap_or_default();
        let field_kids = kids.iter().any(|k| {
            doc.resolve(k, rev)
                .ok()
                .and_then(|o| o.as_dict().map(|d| d.get(b"T").is_some()))
                .unwrap_or(false)
        });
        for kid in kids.iter().rev() {
            stack.push(Pending {
                node: kid.clone(),
                prefix: name.clone(),
                field_type: field_type.clone(),
                read_only,
                parent: Some(object),
            });
        }
        out.push(FieldNode {
            object,
            dict,
            name,
            field_type,
            read_only,
            terminal: !field_kids,
            parent,
        });
    }
    Ok(out)
}
