//! The one error type of the library.

use std::path::PathBuf;

/// Everything that can go wrong outside a verification verdict.
///
/// A verification that runs to its end never returns an `Error`: it returns a
/// [`crate::report::Report`] whose reasons say why a signature is not valid.
/// `Error` is for input that cannot be read at all, misuse and I/O.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed: `what` names the structure, `detail` the defect.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// The structure that failed to parse, e.g. "certificate" or "PKCS#8 private key".
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The input is larger than the limit for its kind.
    #[error("{what} is too large: {size} bytes, the limit is {limit}")]
    TooLarge {
        /// What was being read.
        what: &'static str,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// An algorithm, curve or key type eseal does not support.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A password did not decrypt an encrypted key.
    #[error("wrong password or corrupt encrypted key")]
    WrongPassword,
    /// A signing operation failed in the key's provider.
    #[error("signing failed: {0}")]
    Signing(String),
    /// A PKCS#11 module or token failed.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// A request that cannot be carried out as given.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A field of licence or template data does not pass the issuer's checks
    /// (LICENCE.md §1–2); `field` is its path in the input, e.g. `surface.fr` or
    /// `related[0]`.
    #[error("{field}: {problem}")]
    InvalidField {
        /// The field's path in the input.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The text to anchor a seal to does not occur (that often) in the document.
    #[error("keyword {keyword:?} not found (occurrence {} asked for)", .occurrence + 1)]
    KeywordNotFound {
        /// The text searched for.
        keyword: String,
        /// The occurrence asked for, 0-based (the message counts from 1).
        occurrence: usize,
    },
    /// A service the operation needs cannot be reached or failed under it: the registry's
    /// database is down, refused the connection, or lost it mid-transaction (which the
    /// database rolled back). A retry may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No CJK font for rendering text: the configured file does not exist.
    #[error(
        "CJK font not found: {}; set ESEAL_CJK_FONT or install fonts-droid-fallback",
        path.display()
    )]
    FontNotFound {
        /// Where the font was looked for.
        path: PathBuf,
    },
    /// An input that names no regular file: nothing is there, or a directory, FIFO,
    /// device or socket ([`crate::fsio::open_input`] checks before opening it).
    #[error("{}: {problem}", path.display())]
    NotAFile {
        /// The input.
        path: PathBuf,
        /// What it is instead, e.g. "a FIFO (named pipe), not a regular file".
        problem: &'static str,
    },
    /// An input file that was read but does not parse: the file and why.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// Why its content cannot be used.
        #[source]
        source: Box<Error>,
    },
    /// A document that takes no new signature as it is: a signature locks it, or an
    /// earlier signature does not verify (SES-OFD.md §6). A property of the input, like a
    /// failed verification (the CLI exits 2).
    #[error("{0}")]
    DocumentRefused(String),
    /// A licence trust list not accepted (LICENCE.md §4).
    #[error("trust list: {0}")]
    TrustList(#[from] crate::licence::trust_list::TrustListError),
    /// A licence status list that cannot be read (LICENCE.md §5).
    #[error("status list: {0}")]
    StatusList(#[from] crate::licence::status_list::StatusListError),
    /// A licence QR given to a [`Verifier`](crate::Verifier) that holds no trust list to
    /// verify it against.
    #[error("a licence QR is verified against a trust list, and none was added")]
    NoTrustList,
    /// A status list that was read but does not decide: older than the one held for its
    /// URI, or another list of the same `iat` (LICENCE.md §5).
    #[error("{remark}")]
    StatusListRefused {
        /// The list's URI.
        uri: String,
        /// Why it does not decide.
        remark: String,
    },
}

impl Error {
    /// [`Error::Malformed`] for `what` with `detail`.
    pub fn malformed(what: &'static str, detail: impl ToString) -> Self {
        Error::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    /// `self` as the failure of reading the file at `path`: an [`Error::Io`] takes the
    /// path, any other error is wrapped in [`Error::InFile`].
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            Error::Io { source, .. } => Error::io(path, source),
            Error::InFile { .. } | Error::NotAFile { .. } => self,
            other => Error::InFile {
                path: path.into(),
                source: Box::new(other),
            },
        }
    }

    /// The error itself, or for [`Error::InFile`] the error of the file's content.
    pub fn innermost(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.innermost(),
            other => other,
        }
    }

    /// [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
