//! Matching a keyword against a page's characters, by the white-space rules of the module
//! documentation of [`super`].

/// One character of page text.
#[derive(Clone, Debug)]
pub(super) struct Char {
    pub(super) ch: char,
    /// Its glyph's box; `None` for a gap inferred from the layout.
    pub(super) rect: Option<[f64; 4]>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Unit {
    Char(char),
    Space,
}

/// A keyword prepared for matching.
pub(super) struct Pattern {
    pub(super) units: Vec<Unit>,
    /// Whether the keyword has white space (then white space in the text matters).
    spaced: bool,
}

impl Pattern {
    pub(super) fn new(keyword: &str) -> Self {
        let trimmed = keyword.trim();
        let spaced = trimmed.chars().any(char::is_whitespace);
        let mut units = Vec::new();
        for ch in trimmed.chars() {
            if ch.is_whitespace() {
                if units.last() != Some(&Unit::Space) {
                    units.push(Unit::Space);
                }
            } else {
                units.push(Unit::Char(ch));
            }
        }
        Pattern { units, spaced }
    }

    /// The boxes of every non-overlapping occurrence in `chars`.
    pub(super) fn find_all(&self, chars: &[Char]) -> Vec<[f64; 4]> {
        // The text as units, each with the box it contributes.
        let mut text: Vec<(Unit, Option<[f64; 4]>)> = Vec::with_capacity(chars.len());
        for c in chars {
            let blank = c.rect.is_none() || c.ch.is_whitespace();
            if !blank {
                text.push((Unit::Char(c.ch), c.rect));
            } else if self.spaced && text.last().is_some_and(|(u, _)| *u != Unit::Space) {
                text.push((Unit::Space, None));
            }
        }
        let m = self.units.len();
        let mut hits = Vec::new();
        let mut i = 0;
        while i + m <= text.len() {
            let window = &text[i..i + m];
            if window.iter().zip(&self.units).all(|((u, _), p)| u == p) {
                let rect = window.iter().filter_map(|(_, r)| *r).reduce(|a, b| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                });
                if let Some(rect) = rect {
                    hits.push(rect);
                }
                i += m;
            } else {
                i += 1;
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_rules() {
        let chars: Vec<Char> = "ab c\u{3000}d"
            .chars()
            .enumerate()
            .map(|(i, ch)| Char {
                ch,
                rect: Some([i as f64, 0.0, i as f64 + 1.0, 1.0]),
            })
            .collect();
        assert_eq!(
            Pattern::new("bc").find_all(&chars),
            vec![[1.0, 0.0, 4.0, 1.0]]
        );
        assert_eq!(
            Pattern::new("b c").find_all(&chars),
            vec![[1.0, 0.0, 4.0, 1.0]]
        );
        assert_eq!(
            Pattern::new(" c  d ").find_all(&chars),
            vec![[3.0, 0.0, 6.0, 1.0]]
        );
        assert!(Pattern::new("a b").find_all(&chars).is_empty());
        let aaa: Vec<Char> = "aaaa"
            .chars()
            .map(|ch| Char {
                ch,
                rect: Some([0.0; 4]),
            })
            .collect();
        assert_eq!(Pattern::new("aa").find_all(&aaa).len(), 2);
    }
}
