//! Transformation matrices (ISO 32000-1 clause 8.3.4).

use crate::pdf::object::Object;

/// A transformation matrix `[a b c d e f]` (ISO 32000-1 clause 8.3.4).
pub(super) type Matrix = [f64; 6];

pub(super) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`: first `m`, then `n`.
pub(super) fn mul(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

pub(super) fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

pub(super) fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

pub(super) fn matrix_of(items: &[Object]) -> Option<Matrix> {
    let v: Vec<f64> = items.iter().filter_map(Object::as_number).collect();
    let m: Matrix = v.try_into().ok()?;
    m.iter().all(|x| x.is_finite()).then_some(m)
}
