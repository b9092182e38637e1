//! `eseal verify --batch`: many inputs verified on every core against one trust store, one
//! JSON line each, in input order.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use rayon::iter::{IntoParallelIterator, IntoParallelRefIterator, ParallelIterator};
use serde::Serialize;

use eseal::{Indication, Report, SubIndication};

use super::{Args, Context};

/// Inputs handed to the threads at a time, per thread: enough that a slow one leaves the
/// other threads busy, few enough that their reports are small beside the inputs.
const CHUNK_PER_THREAD: usize = 64;

/// The longest line of a file of licence QR strings: sixteen times the longest QR string.
const MAX_LINE: usize = 1 << 20;

/// Verifies every input of `batch` (a directory, a file of licence QR strings or `-`) with
/// the trust material of `args`, prints a JSON line for each and gives the exit code of
/// the worst outcome.
pub(super) fn run(args: &Args, batch: &Path) -> eseal::Result<u8> {
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        NonZeroUsize::get,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| eseal::Error::Invalid(format!("cannot start {threads} threads: {e}")))?;
    let is_dir = batch.as_os_str() != "-" && std::fs::metadata(batch).is_ok_and(|m| m.is_dir());
    // Standard input is claimed before any option may read it too.
    let lines = if is_dir {
        None
    } else {
        Some(crate::open_input(batch, u64::MAX)?)
    };
    let context = Context::new(args, None)?;
    if args.trust_list.is_some() {
        context.licence()?;
    } else if lines.is_some() {
        return Err(eseal::Error::Invalid(
            "the licence QR strings of a --batch file are verified against a --trust-list".into(),
        ));
    }
    let workers = Workers {
        pool,
        context,
        chunk: threads * CHUNK_PER_THREAD,
    };
    let mut out = Lines::new();
    match lines {
        None => workers.directory(batch, &mut out)?,
        Some(input) => workers.lines(batch, input, &mut out)?,
    }
    Ok(out.finish())
}

/// The threads and what they verify against.
struct Workers<'a> {
    pool: rayon::ThreadPool,
    context: Context<'a>,
    /// Inputs handed to the threads at a time.
    chunk: usize,
}

impl Workers<'_> {
    /// Verifies each file of the directory `dir`.
    fn directory(&self, dir: &Path, out: &mut Lines) -> eseal::Result<()> {
        let names = files_in(dir)?;
        out.progress(Some(names.len() as u64));
        for names in names.chunks(self.chunk) {
            let results: Vec<eseal::Result<Report>> = self.pool.install(|| {
                names
                    .par_iter()
                    .map(|name| Ok(self.context.verify_file(&dir.join(name))?.0))
                    .collect()
            });
            for (name, result) in names.iter().zip(results) {
                out.push(&Name::File(name.to_string_lossy().into_owned()), &result)?;
            }
            out.flush()?;
        }
        Ok(())
    }

    /// Verifies each licence QR string of `input`, one a line, read from `path`.
    fn lines(&self, path: &Path, input: crate::Input, out: &mut Lines) -> eseal::Result<()> {
        let mut reader: Box<dyn BufRead> = match input {
            crate::Input::Stdin => Box::new(std::io::stdin().lock()),
            crate::Input::File(file, _) => Box::new(std::io::BufReader::new(file)),
        };
        let failed = |e| {
            let name = if path.as_os_str() == "-" {
                PathBuf::from("standard input")
            } else {
                path.to_path_buf()
            };
            eseal::Error::io(name, e)
        };
        out.progress(None);
        let (mut number, mut line) = (0u64, Vec::new());
        loop {
            let mut items = Vec::with_capacity(self.chunk);
            while items.len() < self.chunk {
                let Some(len) = next_line(&mut reader, &mut line).map_err(failed)? else {
                    break;
                };
                number += 1;
                if let Some(qr) = qr_of(&line, len) {
                    items.push((number, qr));
                }
            }
            if items.is_empty() {
                return Ok(());
            }
            let results: Vec<(u64, eseal::Result<Report>)> = self.pool.install(|| {
                items
                    .into_par_iter()
                    .map(|(number, qr)| (number, qr.and_then(|qr| self.context.verify_qr(&qr))))
                    .collect()
            });
            for (number, result) in &results {
                out.push(&Name::Line(*number), result)?;
            }
            out.flush()?;
        }
    }
}

/// The names of the regular files in `dir` (a link to one counts, one that leads nowhere
/// too, so that its line says so), hidden ones left out, in byte order.
fn files_in(dir: &Path) -> eseal::Result<Vec<OsString>> {
    let io = |e| eseal::Error::io(dir, e);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        if std::fs::metadata(entry.path()).map_or(true, |m| m.is_file()) {
            names.push(name);
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// Reads the next line of `reader` into `line`, without its `\n` and keeping at most
/// [`MAX_LINE`] + 1 of its bytes; gives its whole length, `None` at the end of the input.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
    line.clear();
    let (mut len, mut any) = (0u64, false);
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buffer.is_empty() {
            return Ok(any.then_some(len));
        }
        any = true;
        let end = memchr::memchr(b'\n', buffer);
        let part = &buffer[..end.unwrap_or(buffer.len())];
        let room = (MAX_LINE + 1).saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        len += part.len() as u64;
        let used = end.map_or(buffer.len(), |at| at + 1);
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(len));
        }
    }
}

/// The licence QR string of a line `len` bytes long of which `line` holds the start;
/// `None` for a blank line.
fn qr_of(line: &[u8], len: u64) -> Option<eseal::Result<String>> {
    if len > MAX_LINE as u64 {
        return Some(Err(eseal::Error::TooLarge {
            what: "line",
            size: len,
            limit: MAX_LINE as u64,
        }));
    }
    let text = line.trim_ascii();
    if text.is_empty() {
        return None;
    }
    Some(
        String::from_utf8(text.to_vec())
            .map_err(|_| eseal::Error::malformed("licence QR string", "not UTF-8")),
    )
}

/// What a line names: the file's name in the directory, or the line's number (from 1).
#[derive(Serialize)]
#[serde(untagged)]
enum Name {
    File(String),
    Line(u64),
}

/// The line of an input verified.
#[derive(Serialize)]
struct Verdict<'a> {
    input: &'a Name,
    /// The worst indication, or `NOTHING-SIGNED`.
    indication: String,
    /// The sub-indication of the first signature with that indication.
    sub_indication: Option<SubIndication>,
    /// The code of that signature's first (deciding) reason.
    reason: Option<&'static str>,
    report: &'a Report,
}

/// The line of an input that could not be verified.
#[derive(Serialize)]
struct Failure<'a> {
    input: &'a Name,
    error: ErrorJson,
}

#[derive(Serialize)]
struct ErrorJson {
    /// `unreadable_input`, `io_error` or `usage`, as `eseal verify` of the input alone
    /// would exit 65, 74 or 64.
    code: &'static str,
    message: String,
}

/// The JSON lines on standard output, the progress bar on a terminal and the tally.
struct Lines {
    buffer: Vec<u8>,
    bar: indicatif::ProgressBar,
    /// TOTAL-PASSED, INDETERMINATE, TOTAL-FAILED, nothing signed, not verified.
    counts: [u64; 5],
}

impl Lines {
    fn new() -> Self {
        Lines {
            buffer: Vec::new(),
            bar: indicatif::ProgressBar::hidden(),
            counts: [0; 5],
        }
    }

    /// Shows a progress bar of `len` inputs (a count alone when unknown) if standard
    /// error is a terminal.
    fn progress(&mut self, len: Option<u64>) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let (bar, template) = match len {
            Some(len) => (
                indicatif::ProgressBar::new(len),
                "{bar:40} {pos}/{len} inputs, {per_sec}, {eta} left",
            ),
            None => (
                indicatif::ProgressBar::no_length(),
                "{pos} inputs, {per_sec}",
            ),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(template).expect("a valid progress template"),
        );
        self.bar = bar;
    }

    /// Adds the line of `input`.
    fn push(&mut self, input: &Name, result: &eseal::Result<Report>) -> eseal::Result<()> {
        let written = match result {
            Ok(report) => {
                let indication = report.indication();
                let decisive = report
                    .signatures
                    .iter()
                    .find(|s| Some(s.indication) == indication);
                self.counts[match indication {
                    Some(Indication::TotalPassed) => 0,
                    Some(Indication::Indeterminate) => 1,
                    Some(Indication::TotalFailed) => 2,
                    None => 3,
                }] += 1;
                serde_json::to_writer(
                    &mut self.buffer,
                    &Verdict {
                        input,
                        indication: indication.map_or("NOTHING-SIGNED".into(), |i| i.to_string()),
                        sub_indication: decisive.and_then(|s| s.sub_indication),
                        reason: decisive.and_then(|s| s.reasons.first()).map(|r| r.code()),
                        report,
                    },
                )
            }
            Err(e) => {
                self.counts[4] += 1;
                let code = match crate::exit_code_for(e) {
                    crate::EXIT_IO => "io_error",
                    crate::EXIT_UNREADABLE => "unreadable_input",
                    _ => "usage",
                };
                let error = ErrorJson {
                    code,
                    message: e.to_string(),
                };
                serde_json::to_writer(&mut self.buffer, &Failure { input, error })
            }
        };
        written.expect("a line serialises");
        self.buffer.push(b'\n');
        self.bar.inc(1);
        Ok(())
    }

    /// Writes the lines added since the last flush.
    fn flush(&mut self) -> eseal::Result<()> {
        let buffer = &self.buffer;
        self.bar
            .suspend(|| {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(buffer).and_then(|()| stdout.flush())
            })
            .map_err(|e| eseal::Error::io("standard output", e))?;
        self.buffer.clear();
        Ok(())
    }

    /// Ends the progress bar, tells the tally on standard error and gives the exit code:
    /// 0 when every input passed, 1 when the worst is INDETERMINATE, 2 otherwise.
    fn finish(self) -> u8 {
        self.bar.finish_and_clear();
        let [passed, indeterminate, failed, nothing, unverified] = self.counts;
        eprintln!(
            "eseal: {} inputs: {passed} TOTAL-PASSED, {indeterminate} INDETERMINATE, {failed} \
             TOTAL-FAILED, {nothing} nothing signed, {unverified} not verified",
            self.counts.iter().sum::<u64>()
        );
        if failed + nothing + unverified > 0 {
            2
        } else if indeterminate > 0 {
            1
        } else {
            0
        }
    }
}
