//! The content-stream interpreter (ISO 32000-1 clauses 8.2, 9.3 and 9.4): the text state,
//! shown glyphs' text and boxes, form XObjects painted.

use std::collections::HashMap;
use std::rc::Rc;

use super::cmap::string_bytes;
use super::font::{Font, FontCache, load_font};
use super::lexer::{Lexer, Token};
use super::matching::Char;
use super::matrix::{IDENTITY, Matrix, apply, matrix_of, mul, translate};
use crate::pdf::document::Document;
use crate::pdf::object::{Dict, ObjRef, Object};

/// Most operators interpreted per page (forms included).
const MAX_OPS: usize = 1_000_000;
/// Most content bytes lexed per page (forms included, each time they are painted).
const MAX_BYTES: usize = 256 << 20;
/// Most characters collected per page.
const MAX_CHARS: usize = 2 << 20;
/// Deepest `q` nesting kept; deeper saves are counted but not stored.
const MAX_SAVES: usize = 64;
/// Deepest nesting of form XObjects.
const MAX_FORM_DEPTH: usize = 8;
/// Most operands kept before an operator.
const MAX_OPERANDS: usize = 4096;
/// A layout gap larger than this (in em) between glyphs counts as white space.
const GAP_EM: f64 = 0.15;

/// The characters shown by a page's `content` with its `resources`, in content order.
pub(super) fn page_chars(
    doc: &Document<'_>,
    rev: usize,
    page: ObjRef,
    fonts: &mut FontCache,
    content: &[u8],
    resources: Dict,
) -> Vec<Char> {
    let mut interp = Interpreter {
        doc,
        rev,
        fonts,
        forms: HashMap::new(),
        active: Vec::new(),
        ops: 0,
        bytes: 0,
        chars: Vec::new(),
        last: None,
        default_font: Rc::new(Font::fallback()),
    };
    let scope = Scope {
        resources: Rc::new(resources),
        key: page,
    };
    interp.run(content, &scope, GState::default(), 0);
    interp.chars
}

/// The parts of the graphics state (ISO 32000-1 clause 8.4, 9.3) the search needs.
#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

impl Default for GState {
    fn default() -> Self {
        GState {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// The state of one content stream as it runs: the graphics state, the states saved by `q`,
/// and the text and text line matrices.
struct State {
    gs: GState,
    saved: Vec<GState>,
    /// `q` beyond [`MAX_SAVES`], counted so that their `Q` restore nothing.
    lost_saves: usize,
    tm: Matrix,
    tlm: Matrix,
}

impl State {
    fn new(gs: GState) -> Self {
        State {
            gs,
            saved: Vec::new(),
            lost_saves: 0,
            tm: IDENTITY,
            tlm: IDENTITY,
        }
    }

    /// `q`.
    fn save(&mut self) {
        if self.saved.len() < MAX_SAVES {
            self.saved.push(self.gs.clone());
        } else {
            self.lost_saves += 1;
        }
    }

    /// `Q`.
    fn restore(&mut self) {
        if self.lost_saves > 0 {
            self.lost_saves -= 1;
        } else if let Some(g) = self.saved.pop() {
            self.gs = g;
        }
    }

    /// Starts the next line at `(tx, ty)` from the start of the current one (`Td`).
    fn move_line(&mut self, tx: f64, ty: f64) {
        self.tlm = mul(&translate(tx, ty), &self.tlm);
        self.tm = self.tlm;
    }
}

/// The resources in effect and who owns them (the page or a form, for the font cache).
struct Scope {
    resources: Rc<Dict>,
    key: ObjRef,
}

/// A form XObject read once per page.
struct Form {
    content: Vec<u8>,
    matrix: Matrix,
    /// Its own resources, if it has them.
    resources: Option<Rc<Dict>>,
}

struct Interpreter<'d, 'a> {
    doc: &'d Document<'a>,
    rev: usize,
    fonts: &'d mut FontCache,
    forms: HashMap<ObjRef, Option<Rc<Form>>>,
    /// The forms being painted, for the cycle guard.
    active: Vec<ObjRef>,
    ops: usize,
    bytes: usize,
    chars: Vec<Char>,
    /// Where the next glyph would start if text ran on, in user space, and the em there.
    last: Option<(f64, f64, f64)>,
    default_font: Rc<Font>,
}

fn num(o: Option<&Object>) -> f64 {
    o.and_then(Object::as_number)
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

impl Interpreter<'_, '_> {
    fn exhausted(&self) -> bool {
        self.ops >= MAX_OPS || self.bytes >= MAX_BYTES || self.chars.len() >= MAX_CHARS
    }

    /// Interprets `content` with `scope`'s resources, starting in `gs`.
    fn run(&mut self, content: &[u8], scope: &Scope, gs: GState, depth: usize) {
        self.bytes = self.bytes.saturating_add(content.len());
        if self.bytes > MAX_BYTES {
            return;
        }
        let font_dict = self
            .doc
            .dict_at(&scope.resources, b"Font", self.rev)
            .ok()
            .flatten();
        let xobjects = self
            .doc
            .dict_at(&scope.resources, b"XObject", self.rev)
            .ok()
            .flatten();
        let mut state = State::new(gs);
        let mut lexer = Lexer::new(content);
        let mut operands: Vec<Object> = Vec::new();
        while let Some(token) = lexer.next_token() {
            let op = match token {
                Token::Operand(o) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.clear();
                    }
                    operands.push(o);
                    continue;
                }
                Token::Operator(op) => op,
            };
            self.ops += 1;
            if self.exhausted() {
                return;
            }
            match op {
                b"q" => state.save(),
                b"Q" => state.restore(),
                b"cm" => {
                    if let Some(m) = matrix_of(&operands) {
                        state.gs.ctm = mul(&m, &state.gs.ctm);
                    }
                }
                b"Do" => {
                    if let (Some(Object::Name(name)), Some(xobjects)) =
                        (operands.first(), &xobjects)
                        && let Some(Object::Ref(r)) = xobjects.get(name)
                    {
                        self.paint_form(*r, scope, &state.gs, depth);
                    }
                }
                b"BI" => {
                    let image_ends = lexer.skip_inline_image();
                    if !image_ends {
                        return;
                    }
                }
                _ => self.text_operator(op, &operands, &mut state, font_dict.as_ref(), scope),
            }
            operands.clear();
        }
    }

    /// Applies a text object, text state, positioning or showing operator (ISO 32000-1
    /// clauses 9.3, 9.4); other operators are ignored.
    fn text_operator(
        &mut self,
        op: &[u8],
        operands: &[Object],
        state: &mut State,
        font_dict: Option<&Dict>,
        scope: &Scope,
    ) {
        let arg = |i: usize| num(operands.get(i));
        let gs = &mut state.gs;
        match op {
            b"BT" => {
                state.tm = IDENTITY;
                state.tlm = IDENTITY;
            }
            b"Tf" => {
                gs.size = arg(1);
                gs.font = match operands.first() {
                    Some(Object::Name(name)) => self.font(font_dict, scope, name),
                    _ => None,
                };
            }
            b"Tc" => gs.char_spacing = arg(0),
            b"Tw" => gs.word_spacing = arg(0),
            b"Tz" => gs.scale = arg(0) / 100.0,
            b"TL" => gs.leading = arg(0),
            b"Ts" => gs.rise = arg(0),
            b"Td" => state.move_line(arg(0), arg(1)),
            b"TD" => {
                gs.leading = -arg(1);
                state.move_line(arg(0), arg(1));
            }
            b"Tm" => {
                if let Some(m) = matrix_of(operands) {
                    state.tlm = m;
                    state.tm = m;
                }
            }
            b"T*" => state.move_line(0.0, -state.gs.leading),
            b"Tj" => {
                if let Some(bytes) = operands.first().and_then(string_bytes) {
                    self.show(&state.gs, &mut state.tm, bytes);
                }
            }
            b"'" | b"\"" => {
                if op == b"\"" {
                    gs.word_spacing = arg(0);
                    gs.char_spacing = arg(1);
                }
                state.move_line(0.0, -state.gs.leading);
                if let Some(bytes) = operands.last().and_then(string_bytes) {
                    self.show(&state.gs, &mut state.tm, bytes);
                }
            }
            b"TJ" => {
                let items = operands.first().and_then(Object::as_array);
                self.show_array(state, items.unwrap_or_default());
            }
            _ => {}
        }
    }

    /// `TJ`: shows the strings, moving the text matrix by the numbers between them.
    fn show_array(&mut self, state: &mut State, items: &[Object]) {
        let gs = &state.gs;
        let vertical = gs.font.as_ref().is_some_and(|f| f.vertical.is_some());
        for item in items {
            match item {
                Object::String { bytes, .. } => self.show(gs, &mut state.tm, bytes),
                other => {
                    let adjust = -num(Some(other)) / 1000.0 * gs.size;
                    let shift = if vertical {
                        translate(0.0, adjust)
                    } else {
                        translate(adjust * gs.scale, 0.0)
                    };
                    state.tm = mul(&shift, &state.tm);
                }
            }
        }
    }

    /// `Do` of the XObject `r`: paints it when it is a form, not too deep and not being
    /// painted already.
    fn paint_form(&mut self, r: ObjRef, scope: &Scope, gs: &GState, depth: usize) {
        if depth >= MAX_FORM_DEPTH || self.active.contains(&r) {
            return;
        }
        let Some(form) = self.form(r) else {
            return;
        };
        let mut inner = gs.clone();
        inner.ctm = mul(&form.matrix, &gs.ctm);
        let inner_scope = match &form.resources {
            Some(res) => Scope {
                resources: res.clone(),
                key: r,
            },
            None => Scope {
                resources: scope.resources.clone(),
                key: scope.key,
            },
        };
        self.active.push(r);
        self.run(&form.content, &inner_scope, inner, depth + 1);
        self.active.pop();
    }

    /// The font `name` of the scope's `/Font` resources.
    fn font(&mut self, font_dict: Option<&Dict>, scope: &Scope, name: &[u8]) -> Option<Rc<Font>> {
        let entry = font_dict?.get(name)?;
        let cache_key = (scope.key, name.to_vec());
        if let Some(f) = self.fonts.by_name.get(&cache_key) {
            return Some(f.clone());
        }
        let font = match entry {
            Object::Ref(r) => match self.fonts.by_ref.get(r) {
                Some(f) => Some(f.clone()),
                None => {
                    let font = self.read_font(entry);
                    if self.fonts.by_ref.len() < 10_000 {
                        self.fonts.by_ref.insert(*r, font.clone());
                    }
                    Some(font)
                }
            },
            _ => Some(self.read_font(entry)),
        };
        if let Some(f) = &font
            && self.fonts.by_name.len() < 100_000
        {
            self.fonts.by_name.insert(cache_key, f.clone());
        }
        font
    }

    fn read_font(&mut self, entry: &Object) -> Rc<Font> {
        let dict = self.doc.resolve(entry, self.rev).ok();
        dict.as_ref()
            .and_then(Object::as_dict)
            .and_then(|d| load_font(self.doc, self.rev, d, &mut self.fonts.cmaps))
            .map_or_else(|| self.default_font.clone(), Rc::new)
    }

    /// The form XObject `r`, decoded once per page; `None` for images and unreadable forms.
    fn form(&mut self, r: ObjRef) -> Option<Rc<Form>> {
        if let Some(f) = self.forms.get(&r) {
            return f.clone();
        }
        let form = match self.doc.get(r, self.rev) {
            Ok(Object::Stream(s)) if s.dict.name(b"Subtype") == Some(b"Form") => {
                self.doc.decode(&s).ok().map(|content| {
                    let matrix = s
                        .dict
                        .get(b"Matrix")
                        .and_then(|m| self.doc.resolve(m, self.rev).ok())
                        .and_then(|m| m.as_array().and_then(matrix_of))
                        .unwrap_or(IDENTITY);
                    let resources = self
                        .doc
                        .dict_at(&s.dict, b"Resources", self.rev)
                        .ok()
                        .flatten()
                        .map(Rc::new);
                    Rc::new(Form {
                        content,
                        matrix,
                        resources,
                    })
                })
            }
            _ => None,
        };
        self.forms.insert(r, form.clone());
        form
    }

    /// Shows a string: records each glyph's text and box, advances the text matrix.
    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) {
        let font = gs.font.clone().unwrap_or_else(|| self.default_font.clone());
        let size = gs.size;
        for (code, len) in font.split(bytes) {
            if self.chars.len() >= MAX_CHARS {
                return;
            }
            let w0 = font.width(code);
            let trm = mul(
                &mul(&[size * gs.scale, 0.0, 0.0, size, 0.0, gs.rise], tm),
                &gs.ctm,
            );
            let (x0, x1, y0, y1) = match font.vertical {
                None => (0.0, w0, -0.2, 0.8),
                Some((vy, _)) => (-w0 / 2.0, w0 / 2.0, -0.2 - vy, 0.8 - vy),
            };
            let corners = [
                apply(&trm, x0, y0),
                apply(&trm, x1, y0),
                apply(&trm, x0, y1),
                apply(&trm, x1, y1),
            ];
            let rect = corners.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |r, (x, y)| [r[0].min(*x), r[1].min(*y), r[2].max(*x), r[3].max(*y)],
            );
            let (ox, oy) = (trm[4], trm[5]);
            let em = trm[2].hypot(trm[3]);
            if let Some((ex, ey, last_em)) = self.last
                && (ox - ex).hypot(oy - ey) > GAP_EM * last_em.max(em)
            {
                self.chars.push(Char {
                    ch: ' ',
                    rect: None,
                });
            }
            let text = font.text(code, len);
            let rect = rect.iter().all(|v| v.is_finite()).then_some(rect);
            if text.is_empty() {
                self.chars.push(Char {
                    ch: '\u{fffd}',
                    rect,
                });
            }
            for ch in text.chars() {
                self.chars.push(Char { ch, rect });
            }
            let spacing = gs.char_spacing
                + if len == 1 && code == 32 {
                    gs.word_spacing
                } else {
                    0.0
                };
            let advance = match font.vertical {
                None => translate((w0 * size + spacing) * gs.scale, 0.0),
                Some((_, w1)) => translate(0.0, w1 * size + spacing),
            };
            *tm = mul(&advance, tm);
            let next = mul(
                &mul(&[size * gs.scale, 0.0, 0.0, size, 0.0, gs.rise], tm),
                &gs.ctm,
            );
            self.last = Some((next[4], next[5], em));
        }
    }
}
