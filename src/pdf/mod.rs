//! PDF: reading a file's revisions and objects, PAdES sealing by incremental update
//! (ETSI EN 319 142-1), and verification with modification analysis (PDF.md).

pub mod appearance;
mod date;
pub mod diff;
pub mod document;
pub mod filter;
pub mod form;
pub mod ltv;
pub mod object;
pub mod parser;
pub mod sample;
pub mod sign;
pub mod source;
pub mod text;
mod update;
pub mod verify;

pub use document::Document;

/// The largest PDF eseal reads (1 GiB); in memory, a PDF is one allocation.
pub const MAX_PDF_SIZE: u64 = 1 << 30;

/// Spare capacity worth reserving after a PDF read for sealing: [`seal_pdf`] appends its
/// update in place, without copying the document, when the buffer has this much room.
pub const UPDATE_HEADROOM: usize = 1 << 20;
pub use crate::cms::tsa::Timestamper;
pub use ltv::{ValidationData, add_validation_data, certificates_in_signatures};
pub use object::{Dict, Extent, ObjRef, Object, Stream};
pub use sign::{
    DocMdp, FieldLock, PdfSealOptions, Placement, SubFilter, add_document_timestamp, seal_pdf,
    seal_pdf_file, seal_pdf_source,
};
pub use source::{Bytes, FileSource, Source};
pub use verify::{verify_pdf, verify_pdf_file, verify_pdf_source};
