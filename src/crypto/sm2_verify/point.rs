//! Points of the SM2 curve `y² = x³ − 3x + b` (GB/T 32918.5) in Jacobian coordinates,
//! with the formulas of the Explicit-Formulas Database for `a = −3`. Variable time: only
//! for public inputs.

use sm2::elliptic_curve::ff::Field as _;
use sm2::elliptic_curve::hazmat::FieldArithmetic;
use sm2::elliptic_curve::ops::Invert as _;

/// An element of the SM2 base field (fiat-crypto's Montgomery arithmetic, as the `sm2`
/// crate uses it).
pub(super) type Fe = <sm2::Sm2 as FieldArithmetic>::FieldElement;

/// `b` of the SM2 curve (GB/T 32918.5 clause 4).
pub(super) const B: Fe = Fe::from_hex_vartime("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");

/// The base point `G` (GB/T 32918.5 clause 4).
pub(super) const GENERATOR: Affine = Affine {
    x: Fe::from_hex_vartime("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"),
    y: Fe::from_hex_vartime("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"),
};

/// A finite point in affine coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Affine {
    pub(super) x: Fe,
    pub(super) y: Fe,
}

impl Affine {
    /// The point of a SEC1 encoding (SEC 1 clause 2.3.4: `04 ‖ x ‖ y`, or `02`/`03 ‖ x`),
    /// if it lies on the curve. The point at infinity (`00`) is refused.
    pub(super) fn from_sec1(bytes: &[u8]) -> Option<Affine> {
        match (bytes.first()?, bytes.len()) {
            (0x04, 65) => {
                let point = Affine {
                    x: Fe::from_slice(&bytes[1..33])?,
                    y: Fe::from_slice(&bytes[33..])?,
                };
                (point.y.square() == curve_rhs(&point.x)).then_some(point)
            }
            (tag @ (0x02 | 0x03), 33) => {
                let x = Fe::from_slice(&bytes[1..])?;
                let y = Option::<Fe>::from(curve_rhs(&x).sqrt())?;
                let odd = bool::from(y.is_odd());
                let y = if odd == (*tag == 0x03) { y } else { y.neg() };
                Some(Affine { x, y })
            }
            _ => None,
        }
    }

    /// `−P`.
    pub(super) fn negate(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }
}

/// `x³ − 3x + b`.
fn curve_rhs(x: &Fe) -> Fe {
    let x3 = x.square().multiply(x);
    x3.sub(&x.double().add(x)).add(&B)
}

/// A point `(X/Z², Y/Z³)`; `Z = 0` is the point at infinity.
#[derive(Clone, Copy, Debug)]
pub(super) struct Jacobian {
    pub(super) x: Fe,
    pub(super) y: Fe,
    pub(super) z: Fe,
}

impl Jacobian {
    /// The point at infinity.
    pub(super) const INFINITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    /// Whether this is the point at infinity.
    pub(super) fn is_infinity(&self) -> bool {
        self.z.is_zero().into()
    }

    /// `2P`: "dbl-2001-b", 3M + 5S.
    pub(super) fn double(&self) -> Jacobian {
        if self.is_infinity() {
            return *self;
        }
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.multiply(&gamma);
        let t = self.x.sub(&delta).multiply(&self.x.add(&delta));
        let alpha = t.double().add(&t);
        let beta4 = beta.double().double();
        let x = alpha.square().sub(&beta4.double());
        let z = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let gamma2 = gamma.square();
        let y = alpha
            .multiply(&beta4.sub(&x))
            .sub(&gamma2.double().double().double());
        Jacobian { x, y, z }
    }

    /// `P + Q` for an affine `Q`: "madd-2007-bl", 7M + 4S.
    pub(super) fn add_affine(&self, q: &Affine) -> Jacobian {
        if self.is_infinity() {
            return Jacobian::from(*q);
        }
        let z1z1 = self.z.square();
        let u2 = q.x.multiply(&z1z1);
        let s2 = q.y.multiply(&self.z).multiply(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y).double();
        if bool::from(h.is_zero()) {
            return if bool::from(r.is_zero()) {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h.multiply(&i);
        let v = self.x.multiply(&i);
        let x = r.square().sub(&j).sub(&v.double());
        let y = r
            .multiply(&v.sub(&x))
            .sub(&self.y.multiply(&j).double());
        let z = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        Jacobian { x, y, z }
    }

    /// `P + Q`: "add-2007-bl", 11M + 5S.
    pub(super) fn add(&self, q: &Jacobian) -> Jacobian {
        if self.is_infinity() {
            return *q;
        }
        if q.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.multiply(&z2z2);
        let u2 = q.x.multiply(&z1z1);
        let s1 = self.y.multiply(&q.z).multiply(&z2z2);
        let s2 = q.y.multiply(&self.z).multiply(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if bool::from(h.is_zero()) {
            return if bool::from(r.is_zero()) {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let i = h.double().square();
        let j = h.multiply(&i);
        let v = u1.multiply(&i);
        let x = r.square().sub(&j).sub(&v.double());
        let y = r.multiply(&v.sub(&x)).sub(&s1.multiply(&j).double());
        let z = self
            .z
            .add(&q.z)
            .square()
            .sub(&z1z1)
            .sub(&z2z2)
            .multiply(&h);
        Jacobian { x, y, z }
    }
}

impl From<Affine> for Jacobian {
    fn from(point: Affine) -> Jacobian {
        Jacobian {
            x: point.x,
            y: point.y,
            z: Fe::ONE,
        }
    }
}

/// For each `j < shifts`, the odd multiples `Pⱼ, 3Pⱼ, …, (2·count − 1)Pⱼ` of
/// `Pⱼ = [2^(64j)]P`, in affine coordinates (table `j` at `j·count..`), normalised with
/// one inversion (Montgomery's trick). `None` if one of them is the point at infinity,
/// which no point on the curve gives: the SM2 group has prime order and cofactor 1.
pub(super) fn odd_multiples(point: &Affine, shifts: usize, count: usize) -> Option<Vec<Affine>> {
    let mut multiples = Vec::with_capacity(shifts * count);
    let mut base = Jacobian::from(*point);
    for j in 0..shifts {
        if j > 0 {
            for _ in 0..64 {
                base = base.double();
            }
        }
        let twice = base.double();
        multiples.push(base);
        for k in 1..count {
            let next = multiples[j * count + k - 1].add(&twice);
            multiples.push(next);
        }
    }
    to_affine_all(&multiples)
}

/// Affine forms of `points` with one field inversion; `None` if one is at infinity.
fn to_affine_all(points: &[Jacobian]) -> Option<Vec<Affine>> {
    // prefix[k] = z_0 · … · z_k
    let mut prefix = Vec::with_capacity(points.len());
    let mut product = Fe::ONE;
    for point in points {
        if point.is_infinity() {
            return None;
        }
        product = product.multiply(&point.z);
        prefix.push(product);
    }
    let mut inverse = Option::<Fe>::from(product.invert_vartime())?;
    let mut affine = vec![GENERATOR; points.len()];
    for k in (0..points.len()).rev() {
        let z_inv = match k {
            0 => inverse,
            _ => inverse.multiply(&prefix[k - 1]),
        };
        inverse = inverse.multiply(&points[k].z);
        let z_inv2 = z_inv.square();
        affine[k] = Affine {
            x: points[k].x.multiply(&z_inv2),
            y: points[k].y.multiply(&z_inv2).multiply(&z_inv),
        };
    }
    Some(affine)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_affine(point: &Jacobian) -> Affine {
        to_affine_all(std::slice::from_ref(point)).expect("finite")[0]
    }

    #[test]
    fn the_generator_is_on_the_curve_and_its_multiples_agree_with_the_sm2_crate() {
        use sm2::elliptic_curve::sec1::ToSec1Point as _;
        assert_eq!(GENERATOR.y.square(), curve_rhs(&GENERATOR.x));
        let multiples = odd_multiples(&GENERATOR, 4, 8).expect("finite");
        for (i, point) in multiples.iter().enumerate() {
            let (j, k) = (i / 8, i % 8);
            let shift = (0..64 * j).fold(sm2::Scalar::ONE, |x, _| x.double());
            let theirs = (sm2::ProjectivePoint::GENERATOR
                * (shift * sm2::Scalar::from(2 * k as u64 + 1)))
            .to_affine()
            .to_sec1_point(false);
            let expected = Affine::from_sec1(theirs.as_bytes());
            assert_eq!(expected, Some(*point), "{}·2^{}·G", 2 * k + 1, 64 * j);
        }
    }

    #[test]
    fn doubling_and_adding_agree() {
        let g = Jacobian::from(GENERATOR);
        let four_by_doubling = g.double().double();
        let four_by_adding = g.add(&g).add(&g.double());
        let three = g.double().add_affine(&GENERATOR);
        assert_eq!(to_affine(&four_by_doubling), to_affine(&four_by_adding));
        assert_eq!(
            to_affine(&three.add_affine(&GENERATOR)),
            to_affine(&four_by_doubling)
        );
        assert!(g.add_affine(&GENERATOR.negate()).is_infinity());
        assert!(g.add(&Jacobian::from(GENERATOR.negate())).is_infinity());
        assert!(Jacobian::INFINITY.double().is_infinity());
        assert_eq!(to_affine(&Jacobian::INFINITY.add_affine(&GENERATOR)), GENERATOR);
    }

    #[test]
    fn compressed_and_uncompressed_keys_decode_to_the_same_point() {
        let mut uncompressed = vec![4];
        uncompressed.extend_from_slice(&GENERATOR.x.to_bytes());
        uncompressed.extend_from_slice(&GENERATOR.y.to_bytes());
        assert_eq!(Affine::from_sec1(&uncompressed), Some(GENERATOR));
        let mut compressed = vec![if bool::from(GENERATOR.y.is_odd()) { 3 } else { 2 }];
        compressed.extend_from_slice(&GENERATOR.x.to_bytes());
        assert_eq!(Affine::from_sec1(&compressed), Some(GENERATOR));
        compressed[0] ^= 1;
        assert_eq!(Affine::from_sec1(&compressed), Some(GENERATOR.negate()));
        uncompressed[64] ^= 1;
        assert_eq!(Affine::from_sec1(&uncompressed), None);
        assert_eq!(Affine::from_sec1(&[0]), None);
        assert_eq!(Affine::from_sec1(&uncompressed[..64]), None);
    }
}
