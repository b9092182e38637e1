//! The printable verification report (验证报告): one A4 page that a service hall prints
//! for the person who brought a document, a seal or a licence QR.
//!
//! From the top: the title, the verdict of [`Report::indication`] in large coloured type
//! (验证通过 green, 无法确认 amber, 验证失败 red), the input (name, size, SHA-256) and the
//! validation time, then each signature entry (kind, verdict, seal, signer, signing time and
//! its source, revocation, each reason as `code — message`), for a licence QR the licence's
//! fields ([`Report::fields`]), and a footer naming the eseal version and when the page was
//! made. Chinese comes first; English follows in small print.
//!
//! The page is set like the licence document (LICENCE.md §6): the [`CjkFont`] of
//! `ESEAL_CJK_FONT` or fonts-droid-fallback, embedded as a subset with `/ToUnicode` so that
//! the text can be searched and copied. The report shows what others wrote (a signer's
//! name, say), so a character the font has no glyph for never fails it: punctuation
//! prints as its ASCII stand-in (Droid Sans Fallback has no `—` or `…`), anything else as
//! `?`. The page count never grows: text longer than its lines is cut with `…` (`...`
//! where the font has none), and the signature entries and reasons that do not fit are
//! counted with the licence fields that do not in a last line 另有 N 项未列出.

use std::time::SystemTime;

use pdf_writer::Content;
use ttf_parser::Face;

use crate::error::Result;
use crate::licence::document::CjkFont;
use crate::licence::document::layout::{Glyphs, MM, PAGE, can_set};
use crate::licence::document::pdf::{EmbeddedFont, FONT_RESOURCE, encode, show, write_pdf};
use crate::report::{
    Indication, LicenceField, Reason, Report, ReportKind, RevocationStatus, SignatureReport, Time,
    TimeSource,
};

/// What the verification report says about the input besides the report: what the
/// person brought, so that the printed page names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportDocument<'a> {
    /// The input's name as the person knows it, e.g. its file name.
    pub name: Option<&'a str>,
    /// The SHA-256 of the input's bytes.
    pub sha256: [u8; 32],
    /// The input's size in bytes.
    pub size: u64,
}

impl<'a> ReportDocument<'a> {
    /// An input of `size` bytes whose SHA-256 is `sha256`, without a name.
    pub fn new(sha256: [u8; 32], size: u64) -> Self {
        ReportDocument {
            name: None,
            sha256,
            size,
        }
    }

    /// The same input named `name`.
    pub fn name(self, name: &'a str) -> Self {
        ReportDocument {
            name: Some(name),
            ..self
        }
    }
}

/// Renders the verification report of `report` about `document` as a one-page A4 PDF,
/// stamped with the time it is made.
///
/// Errors: [`crate::Error::FontNotFound`] when neither `ESEAL_CJK_FONT` nor the default
/// font exists, [`crate::Error::Invalid`] or [`crate::Error::Malformed`] for a font that
/// cannot be used.
pub fn verification_report_pdf(report: &Report, document: &ReportDocument<'_>) -> Result<Vec<u8>> {
    let font = CjkFont::from_env()?;
    render(report, document, SystemTime::now().into(), &font)
}

/// The report made at `generated`, set in `font`.
fn render(
    report: &Report,
    document: &ReportDocument<'_>,
    generated: Time,
    font: &CjkFont,
) -> Result<Vec<u8>> {
    let face = font.face()?;
    let printable = Printable(&face);
    let sheet = Sheet::new(report, document, generated, &printable);
    let measured = Glyphs::new(&face, &sheet.texts())?;
    let measure = Measure {
        glyphs: &measured,
        ellipsis: sheet.ellipsis,
    };
    let placed = layout(&sheet, &measure);
    let shown: Vec<String> = placed.lines.iter().map(|l| l.text.clone()).collect();
    let glyphs = Glyphs::new(&face, &shown)?;
    let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs.ids());
    let content = draw(&placed, &glyphs, &remapper);
    let font = EmbeddedFont::new(&face, &glyphs, &remapper, font.subset(&remapper)?);
    Ok(write_pdf("验证报告", &content, &font))
}

// ---------------------------------------------------------------------------------------
// What the page says

/// A colour, RGB from 0 to 1.
type Rgb = [f32; 3];

const INK: Rgb = [0.0, 0.0, 0.0];
const GREY: Rgb = [0.4, 0.4, 0.4];
const RULE: Rgb = [0.7, 0.7, 0.7];
const GREEN: Rgb = [0.0, 0.47, 0.2];
const AMBER: Rgb = [0.78, 0.47, 0.0];
const RED: Rgb = [0.75, 0.08, 0.08];

/// The most characters of one text the page considers: more never fit its lines.
const MAX_CHARS: usize = 400;
/// The most signature entries considered: more never fit the page.
const MAX_ENTRIES: usize = 32;
/// The most reasons of one entry considered.
const MAX_REASONS: usize = 24;
/// The most licence fields considered.
const MAX_FIELDS: usize = 48;

/// The mark where text is cut, and its stand-in.
const ELLIPSIS: (char, &str) = ('…', "...");

/// The verdict in both languages and its colour.
fn verdict(indication: Option<Indication>) -> (&'static str, &'static str, Rgb) {
    match indication {
        Some(Indication::TotalPassed) => ("验证通过", "Valid", GREEN),
        Some(Indication::Indeterminate) => ("无法确认", "Cannot confirm", AMBER),
        Some(Indication::TotalFailed) => ("验证失败", "Invalid", RED),
        None => ("未找到签名或印章", "Nothing signed found", AMBER),
    }
}

fn kind_zh(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Certificate => "证书",
        ReportKind::Licence => "电子证照",
        ReportKind::Timestamp => "时间戳",
        ReportKind::Seal => "电子印章",
        ReportKind::SealSignature => "电子签章",
        ReportKind::PdfSignature => "PDF 签名",
        ReportKind::PdfDocumentTimestamp => "PDF 文档时间戳",
        ReportKind::OfdSignature => "OFD 签名",
        ReportKind::OfdSealSignature => "OFD 电子签章",
    }
}

fn time_source_zh(source: TimeSource) -> &'static str {
    match source {
        TimeSource::Claimed => "签署方声明",
        TimeSource::SignatureTimestamp => "签名时间戳",
        TimeSource::DocumentTimestamp => "文档时间戳",
        TimeSource::Timestamp => "时间戳",
    }
}

fn revocation_zh(status: RevocationStatus) -> &'static str {
    match status {
        RevocationStatus::NotChecked => "未检查",
        RevocationStatus::Good => "未吊销",
        RevocationStatus::Unknown => "状态未知",
        RevocationStatus::Transferred => "已转移",
        RevocationStatus::Suspended => "已暂停",
        RevocationStatus::OnHold => "已挂起",
        RevocationStatus::Revoked => "已吊销",
    }
}

/// How a paragraph is set: a value in the body size and a colour, or small grey print.
#[derive(Clone, Copy)]
enum Style {
    Value(Rgb),
    Small,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Value(_) => VALUE_SIZE,
            Style::Small => SMALL_SIZE,
        }
    }

    fn colour(self) -> Rgb {
        match self {
            Style::Value(colour) => colour,
            Style::Small => GREY,
        }
    }
}

/// Text set in one style on at most `max_lines` lines.
struct Para {
    text: String,
    style: Style,
    max_lines: usize,
}

/// A label (Chinese over English) and its value, one or more paragraphs.
struct Row {
    label: Option<(String, &'static str)>,
    paras: Vec<Para>,
}

/// A signature entry: its heading, the rows about it and its reasons, one row each.
struct Entry {
    heading: (String, String),
    rows: Vec<Row>,
    reasons: Vec<Row>,
    /// Reasons beyond [`MAX_REASONS`].
    more_reasons: usize,
}

/// Everything the page may say, the input's text made printable, before layout.
struct Sheet {
    verdict: (&'static str, &'static str, Rgb),
    document: Vec<Row>,
    entries: Vec<Entry>,
    /// Entries beyond [`MAX_ENTRIES`].
    more_entries: usize,
    /// The licence's fields, one row each.
    fields: Vec<Row>,
    /// Fields beyond [`MAX_FIELDS`].
    more_fields: usize,
    footer: (String, String),
    /// The mark where text is cut.
    ellipsis: &'static str,
}

/// Makes text printable in a face: at most [`MAX_CHARS`] characters (then cut), control
/// characters as spaces, characters without a glyph as their [`stand_in`] or `?`.
struct Printable<'f, 'a>(&'f Face<'a>);

impl Printable<'_, '_> {
    fn text(&self, text: &str) -> String {
        let mut out = String::new();
        for c in text.chars().take(MAX_CHARS) {
            match c {
                c if c.is_control() => out.push(' '),
                c if can_set(self.0, c) => out.push(c),
                c => out.push_str(stand_in(c).unwrap_or("?")),
            }
        }
        if text.chars().nth(MAX_CHARS).is_some() {
            out.push_str(self.ellipsis());
        }
        out
    }

    /// The mark where text is cut.
    fn ellipsis(&self) -> &'static str {
        if can_set(self.0, ELLIPSIS.0) {
            "…"
        } else {
            ELLIPSIS.1
        }
    }

    fn para(&self, text: &str, style: Style, max_lines: usize) -> Para {
        Para {
            text: self.text(text),
            style,
            max_lines,
        }
    }
}

/// ASCII for punctuation a CJK font may lack.
fn stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        '…' => ELLIPSIS.1,
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        '‘' | '’' | '′' => "'",
        '“' | '”' | '″' => "\"",
        '·' | '•' => "*",
        '\u{a0}' | '\u{2002}'..='\u{200a}' | '\u{202f}' => " ",
        _ => return None,
    })
}

fn row(zh: &str, en: &'static str, paras: Vec<Para>) -> Row {
    Row {
        label: Some((zh.to_owned(), en)),
        paras,
    }
}

impl Sheet {
    fn new(report: &Report, document: &ReportDocument<'_>, generated: Time, p: &Printable) -> Self {
        let entries = report.signatures.iter().take(MAX_ENTRIES);
        let fields = report.fields.iter().take(MAX_FIELDS);
        let version = env!("CARGO_PKG_VERSION");
        Sheet {
            verdict: verdict(report.indication()),
            document: document_rows(report, document, p),
            entries: entries.enumerate().map(|(i, s)| entry(i, s, p)).collect(),
            more_entries: report.signatures.len().saturating_sub(MAX_ENTRIES),
            fields: fields.map(|f| field(f, p)).collect(),
            more_fields: report.fields.len().saturating_sub(MAX_FIELDS),
            footer: (
                p.text(&format!(
                    "本报告由 eseal {version} 生成于 {generated}；核验结果以报告所列时间为准"
                )),
                p.text(&format!(
                    "Made by eseal {version} at {generated}; the result holds as of the \
                     validation time stated above"
                )),
            ),
            ellipsis: p.ellipsis(),
        }
    }

    /// Every text the page may print, for the glyph metrics of the layout.
    fn texts(&self) -> Vec<String> {
        let (zh, en, _) = self.verdict;
        let mut texts = vec![TITLE.0.to_owned(), TITLE.1.to_owned(), zh.into(), en.into()];
        texts.extend([self.footer.0.clone(), self.footer.1.clone()]);
        let (zh, en) = not_listed(0);
        texts.extend([zh, en, "0123456789".to_owned()]);
        texts.push(self.ellipsis.to_owned());
        texts.extend(DOCUMENT_HEADING.iter().chain(&LICENCE_HEADING).map(|t| t.to_string()));
        let mut rows: Vec<&Row> = self.document.iter().chain(&self.fields).collect();
        for entry in &self.entries {
            texts.extend([entry.heading.0.clone(), entry.heading.1.clone()]);
            rows.extend(entry.rows.iter().chain(&entry.reasons));
        }
        for row in rows {
            if let Some((zh, en)) = &row.label {
                texts.extend([zh.clone(), (*en).to_owned()]);
            }
            texts.extend(row.paras.iter().map(|p| p.text.clone()));
        }
        texts
    }
}

const TITLE: (&str, &str) = ("验证报告", "Verification report");
const DOCUMENT_HEADING: [&str; 2] = ["验证对象", "What was verified"];
const LICENCE_HEADING: [&str; 2] = ["证照信息", "Licence"];

/// The last line when items do not fit: 另有 N 项未列出, and the English.
fn not_listed(count: usize) -> (String, String) {
    (
        format!("另有 {count} 项未列出"),
        format!("{count} more items not listed"),
    )
}

/// Name, size and SHA-256 of the input, and the validation time.
fn document_rows(report: &Report, document: &ReportDocument<'_>, p: &Printable) -> Vec<Row> {
    let value = |text: &str, lines| p.para(text, Style::Value(INK), lines);
    let mut rows = Vec::new();
    if let Some(name) = document.name {
        rows.push(row("名称", "Name", vec![value(name, 2)]));
    }
    let size = document.size;
    rows.push(row(
        "大小",
        "Size",
        vec![value(&format!("{size} 字节"), 1), p.para(&format!("{size} bytes"), Style::Small, 1)],
    ));
    let hex = hex::encode(document.sha256);
    rows.push(row("SHA-256", "digest", vec![value(&hex, 2)]));
    let at = report.validation_time.to_string();
    rows.push(row("验证时间", "Validation time", vec![value(&at, 1)]));
    rows
}

/// The `index`th signature entry.
fn entry(index: usize, s: &SignatureReport, p: &Printable) -> Entry {
    let value = |text: &str, lines| p.para(text, Style::Value(INK), lines);
    let small = |text: &str, lines| p.para(text, Style::Small, lines);
    let (zh, en, colour) = verdict(Some(s.indication));
    let sub = s.sub_indication.map(|x| format!(" / {x}")).unwrap_or_default();
    let mut rows = vec![row(
        "结论",
        "Result",
        vec![
            p.para(zh, Style::Value(colour), 1),
            small(&format!("{en} ({}{sub})", s.indication), 1),
        ],
    )];
    if let Some(seal) = &s.seal {
        rows.push(row("印章", "Seal", vec![value(seal, 2)]));
    }
    if let Some(signer) = &s.signer {
        rows.push(row("签章人", "Signer", vec![value(signer, 2)]));
    }
    if let Some(time) = &s.signing_time {
        let source = s.signing_time_source.unwrap_or(TimeSource::Claimed);
        rows.push(row(
            "签署时间",
            "Signing time",
            vec![
                value(&format!("{time}（来源：{}）", time_source_zh(source)), 2),
                small(&format!("source: {source}"), 1),
            ],
        ));
    }
    rows.push(row(
        "吊销检查",
        "Revocation",
        vec![
            value(revocation_zh(s.revocation.status), 1),
            small(&s.revocation.detail, 2),
        ],
    ));
    let reasons = s.reasons.iter().take(MAX_REASONS);
    Entry {
        heading: (
            format!("第 {} 项：{}", index + 1, kind_zh(s.kind)),
            format!("Entry {}: {}", index + 1, s.kind),
        ),
        rows,
        reasons: reasons.enumerate().map(|(i, r)| reason(i, r, p)).collect(),
        more_reasons: s.reasons.len().saturating_sub(MAX_REASONS),
    }
}

/// A reason as `code — message`, the first of an entry labelled.
fn reason(index: usize, reason: &Reason, p: &Printable) -> Row {
    let zh = format!("{} — {}", reason.code(), reason.message_zh());
    Row {
        label: (index == 0).then(|| ("原因".to_owned(), "Reasons")),
        paras: vec![
            p.para(&zh, Style::Value(INK), 3),
            p.para(&reason.to_string(), Style::Small, 2),
        ],
    }
}

/// A licence field: the labels every licence has in Chinese over English, a template's
/// label as it is.
fn field(field: &LicenceField, p: &Printable) -> Row {
    let (zh, en) = match field.label.as_str() {
        "identifier" => ("证照标识", "Identifier"),
        "name" => ("证照名称", "Name"),
        "holder" => ("持证主体", "Holder"),
        "number" => ("证照编号", "Number"),
        label => (label, ""),
    };
    Row {
        label: Some((p.text(zh), en)),
        paras: vec![p.para(&field.value, Style::Value(INK), 2)],
    }
}

// ---------------------------------------------------------------------------------------
// Layout

const MARGIN: f32 = 20.0 * MM;
const CONTENT_WIDTH: f32 = PAGE[0] - 2.0 * MARGIN;
const LABEL_WIDTH: f32 = 25.0 * MM;
const VALUE_X: f32 = MARGIN + LABEL_WIDTH + 3.0 * MM;
const VALUE_WIDTH: f32 = PAGE[0] - MARGIN - VALUE_X;

const TITLE_SIZE: f32 = 22.0;
const TITLE_BASELINE: f32 = PAGE[1] - 25.0 * MM;
const SUBTITLE_SIZE: f32 = 10.0;
const VERDICT_SIZE: f32 = 26.0;
const VERDICT_EN_SIZE: f32 = 11.0;
const VERDICT_HEIGHT: f32 = 20.0 * MM;
const HEADING_SIZE: f32 = 12.0;
const HEADING_EN_SIZE: f32 = 7.5;
const VALUE_SIZE: f32 = 9.5;
const SMALL_SIZE: f32 = 7.0;
const ROW_GAP: f32 = 5.0;
const FOOTER_SIZE: f32 = 7.5;
const FOOTER_EN_SIZE: f32 = 6.5;
/// The rule above the footer.
const FOOTER_RULE: f32 = 22.0 * MM;
/// The lowest a row may reach: above the line of items not listed and the footer.
const FLOOR: f32 = FOOTER_RULE + 12.0 * MM;

/// The distance from one baseline to the next in text of `size`.
fn leading(size: f32) -> f32 {
    size * 1.4
}

/// One line of text placed on the page.
struct Line {
    x: f32,
    y: f32,
    size: f32,
    colour: Rgb,
    text: String,
}

/// What the page draws: lines of text, filled rectangles `[x, y, width, height]` and
/// horizontal rules `(y, colour)` across the content width.
#[derive(Default)]
struct Placed {
    lines: Vec<Line>,
    rects: Vec<([f32; 4], Rgb)>,
    rules: Vec<(f32, Rgb)>,
}

impl Placed {
    fn text(&mut self, x: f32, y: f32, size: f32, colour: Rgb, text: String) {
        self.lines.push(Line {
            x,
            y,
            size,
            colour,
            text,
        });
    }

    /// `text` centred on the page.
    fn centred(&mut self, m: &Measure<'_>, y: f32, size: f32, colour: Rgb, text: &str) {
        let x = (PAGE[0] - m.glyphs.width(text, size)) / 2.0;
        self.text(x.max(MARGIN), y, size, colour, text.to_owned());
    }
}

/// The glyph metrics of the layout and the mark where text is cut.
struct Measure<'g> {
    glyphs: &'g Glyphs,
    ellipsis: &'static str,
}

impl Measure<'_> {
    /// `text` broken into lines at most `width` points wide at `size`, at most
    /// `max_lines` of them; the last one kept ends in the cut mark when some are dropped.
    fn fit(&self, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
        let mut lines = self.glyphs.wrap(text, size, width);
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                let room = width - self.glyphs.width(self.ellipsis, size);
                while !last.is_empty() && self.glyphs.width(last, size) > room {
                    last.pop();
                }
                *last = format!("{}{}", last.trim_end(), self.ellipsis);
            }
        }
        lines
    }
}

/// The whole page: header and verdict, the input, the entries as far as they fit, the
/// count of what does not, and the footer.
fn layout(sheet: &Sheet, m: &Measure<'_>) -> Placed {
    let mut placed = Placed::default();
    let mut y = header(sheet, m, &mut placed);
    y = heading(DOCUMENT_HEADING, y, m, &mut placed);
    for row in &sheet.document {
        y = set_row(row, m).place(y, &mut placed);
    }
    let mut omitted = sheet.more_entries + sheet.more_fields;
    let mut full = false;
    for (i, entry) in sheet.entries.iter().enumerate() {
        let after = sheet.entries.len() - i - 1;
        match place_entry(entry, y, m, &mut placed) {
            Fitted::Whole(next) => {
                omitted += entry.more_reasons;
                y = next;
            }
            Fitted::Cut(reasons) => {
                omitted += reasons + entry.more_reasons + after;
                full = true;
                break;
            }
            Fitted::Nothing => {
                omitted += 1 + after;
                full = true;
                break;
            }
        }
    }
    omitted += match full {
        true => sheet.fields.len(),
        false => place_fields(&sheet.fields, y, m, &mut placed),
    };
    if omitted > 0 {
        let (zh, en) = not_listed(omitted);
        let y = FLOOR - 4.0 * MM;
        placed.text(MARGIN, y, VALUE_SIZE, INK, zh);
        placed.text(MARGIN, y - leading(SMALL_SIZE), SMALL_SIZE, GREY, en);
    }
    footer(sheet, m, &mut placed);
    placed
}

/// The title and the verdict box; returns where the body starts.
fn header(sheet: &Sheet, m: &Measure<'_>, placed: &mut Placed) -> f32 {
    placed.centred(m, TITLE_BASELINE, TITLE_SIZE, INK, TITLE.0);
    let subtitle = TITLE_BASELINE - leading(SUBTITLE_SIZE) - 2.0;
    placed.centred(m, subtitle, SUBTITLE_SIZE, GREY, TITLE.1);
    let (zh, en, colour) = sheet.verdict;
    let top = subtitle - 6.0 * MM;
    let bottom = top - VERDICT_HEIGHT;
    placed.rects.push(([MARGIN, bottom, CONTENT_WIDTH, VERDICT_HEIGHT], tint(colour)));
    placed.rects.push(([MARGIN, bottom, 2.0 * MM, VERDICT_HEIGHT], colour));
    let x = MARGIN + 8.0 * MM;
    let zh_line = top - 4.0 * MM - VERDICT_SIZE * 0.85;
    placed.text(x, zh_line, VERDICT_SIZE, colour, zh.to_owned());
    let en_line = zh_line - leading(VERDICT_EN_SIZE) - 2.0;
    placed.text(x, en_line, VERDICT_EN_SIZE, colour, en.to_owned());
    bottom - 6.0 * MM
}

/// `colour` mixed with much white, for a background.
fn tint(colour: Rgb) -> Rgb {
    colour.map(|c| 0.9 + 0.1 * c)
}

/// The height [`heading`] takes.
const HEADING_HEIGHT: f32 = HEADING_SIZE + 1.4 * HEADING_EN_SIZE + 7.0;

/// A section heading, Chinese over English, over a rule, its top at `y`; returns the top
/// of what follows.
fn heading<S: AsRef<str>>(text: [S; 2], y: f32, m: &Measure<'_>, placed: &mut Placed) -> f32 {
    let [zh, en] = text;
    for line in m.fit(zh.as_ref(), HEADING_SIZE, CONTENT_WIDTH, 1) {
        placed.text(MARGIN, y - HEADING_SIZE, HEADING_SIZE, INK, line);
    }
    let en_line = y - HEADING_SIZE - leading(HEADING_EN_SIZE);
    for line in m.fit(en.as_ref(), HEADING_EN_SIZE, CONTENT_WIDTH, 1) {
        placed.text(MARGIN, en_line, HEADING_EN_SIZE, GREY, line);
    }
    placed.rules.push((en_line - 3.0, RULE));
    y - HEADING_HEIGHT
}

/// A row broken into lines: each line's offset below the row's top, its size, colour and
/// text, at the label's x or the value's.
struct SetRow {
    lines: Vec<(f32, f32, f32, Rgb, String)>,
    height: f32,
}

impl SetRow {
    /// Places the row with its top at `y`; returns the top of the next row.
    fn place(self, y: f32, placed: &mut Placed) -> f32 {
        for (x, below, size, colour, text) in self.lines {
            placed.text(x, y - below, size, colour, text);
        }
        y - self.height
    }
}

/// Breaks a row into lines: the label in its column, the value's paragraphs (empty ones
/// left out) in the other, the row as high as the higher column.
fn set_row(row: &Row, m: &Measure<'_>) -> SetRow {
    let mut lines = Vec::new();
    let mut column = |x: f32, width: f32, paras: &[(&str, Style, usize)]| {
        let (mut below, mut descent, mut first) = (0.0, 0.0, true);
        for &(text, style, max_lines) in paras.iter().filter(|p| !p.0.is_empty()) {
            let size = style.size();
            for line in m.fit(text, size, width, max_lines) {
                below += if first { size } else { leading(size) };
                first = false;
                lines.push((x, below, size, style.colour(), line));
            }
            descent = 0.3 * size;
        }
        below + descent
    };
    let label_height = row.label.as_ref().map_or(0.0, |(zh, en)| {
        let paras = [(zh.as_str(), Style::Value(INK), 2), (*en, Style::Small, 1)];
        column(MARGIN, LABEL_WIDTH, &paras)
    });
    let paras: Vec<_> = row
        .paras
        .iter()
        .map(|p| (p.text.as_str(), p.style, p.max_lines))
        .collect();
    let value_height = column(VALUE_X, VALUE_WIDTH, &paras);
    SetRow {
        lines,
        height: label_height.max(value_height) + ROW_GAP,
    }
}

/// How much of an entry [`place_entry`] placed.
enum Fitted {
    /// All of it (but the reasons beyond [`MAX_REASONS`]); what follows starts here.
    Whole(f32),
    /// The heading, the rows and some reasons: this many of the others did not fit.
    Cut(usize),
    /// Nothing: the heading and rows do not fit together.
    Nothing,
}

/// The gap above an entry's heading.
const ENTRY_GAP: f32 = 3.0 * MM;

/// Places an entry with its top at `y`: the heading and rows together, then the reasons
/// one by one as far as they fit.
fn place_entry(entry: &Entry, y: f32, m: &Measure<'_>, placed: &mut Placed) -> Fitted {
    let rows: Vec<SetRow> = entry.rows.iter().map(|r| set_row(r, m)).collect();
    let height: f32 = rows.iter().map(|r| r.height).sum();
    if y - ENTRY_GAP - HEADING_HEIGHT - height < FLOOR {
        return Fitted::Nothing;
    }
    let (zh, en) = &entry.heading;
    let mut y = heading([zh, en], y - ENTRY_GAP, m, placed);
    for row in rows {
        y = row.place(y, placed);
    }
    match place_rows(&entry.reasons, y, m, placed) {
        Ok(next) => Fitted::Whole(next),
        Err(omitted) => Fitted::Cut(omitted),
    }
}

/// Places `rows` from `y` down as far as they fit; returns the top of what follows, or
/// how many did not fit.
fn place_rows(
    rows: &[Row],
    mut y: f32,
    m: &Measure<'_>,
    placed: &mut Placed,
) -> std::result::Result<f32, usize> {
    for (i, row) in rows.iter().enumerate() {
        let set = set_row(row, m);
        if y - set.height < FLOOR {
            return Err(rows.len() - i);
        }
        y = set.place(y, placed);
    }
    Ok(y)
}

/// Places the licence fields under their heading from `y` down, the heading only with
/// a first field; returns how many fields did not fit.
fn place_fields(fields: &[Row], y: f32, m: &Measure<'_>, placed: &mut Placed) -> usize {
    let Some(first) = fields.first() else {
        return 0;
    };
    if y - ENTRY_GAP - HEADING_HEIGHT - set_row(first, m).height < FLOOR {
        return fields.len();
    }
    let y = heading(LICENCE_HEADING, y - ENTRY_GAP, m, placed);
    place_rows(fields, y, m, placed).err().unwrap_or(0)
}

/// The rule and the two lines at the bottom.
fn footer(sheet: &Sheet, m: &Measure<'_>, placed: &mut Placed) {
    placed.rules.push((FOOTER_RULE, RULE));
    let zh_line = FOOTER_RULE - 3.0 * MM - FOOTER_SIZE;
    for line in m.fit(&sheet.footer.0, FOOTER_SIZE, CONTENT_WIDTH, 1) {
        placed.text(MARGIN, zh_line, FOOTER_SIZE, GREY, line);
    }
    let en_line = zh_line - leading(FOOTER_EN_SIZE) - 1.0;
    for line in m.fit(&sheet.footer.1, FOOTER_EN_SIZE, CONTENT_WIDTH, 1) {
        placed.text(MARGIN, en_line, FOOTER_EN_SIZE, GREY, line);
    }
}

// ---------------------------------------------------------------------------------------
// Drawing

/// The page's content stream: the rectangles, the rules, then the text.
fn draw(placed: &Placed, glyphs: &Glyphs, remapper: &subsetter::GlyphRemapper) -> Vec<u8> {
    let mut content = Content::new();
    for &([x, y, width, height], [r, g, b]) in &placed.rects {
        content.set_fill_rgb(r, g, b);
        content.rect(x, y, width, height);
        content.fill_nonzero();
    }
    content.set_line_width(0.5);
    for &(y, [r, g, b]) in &placed.rules {
        content.set_stroke_rgb(r, g, b);
        content.move_to(MARGIN, y);
        content.line_to(PAGE[0] - MARGIN, y);
        content.stroke();
    }
    content.begin_text();
    let (mut size, mut colour) = (None, None);
    for line in placed.lines.iter().filter(|l| !l.text.is_empty()) {
        if size != Some(line.size) {
            content.set_font(FONT_RESOURCE, line.size);
            size = Some(line.size);
        }
        if colour != Some(line.colour) {
            let [r, g, b] = line.colour;
            content.set_fill_rgb(r, g, b);
            colour = Some(line.colour);
        }
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x, line.y]);
        show(&mut content, &encode(glyphs, &line.text, remapper));
    }
    content.end_text();
    content.finish().into_vec()
}
