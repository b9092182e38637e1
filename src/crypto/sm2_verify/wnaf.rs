//! Width-w non-adjacent form of a 256-bit scalar: digits that are 0 or odd in
//! `(−2^(w−1), 2^(w−1))`, any `w` consecutive of them holding at most one non-zero.

/// Digits of a 256-bit scalar, least significant first; one more than its bits, for the
/// carry of the top window.
pub(super) type Digits = [i8; 257];

/// The width-`width` NAF of the big-endian `scalar` (`2 ≤ width ≤ 8`).
pub(super) fn wnaf(scalar: &[u8; 32], width: u32) -> Digits {
    debug_assert!((2..=8).contains(&width));
    // Little-endian limbs, with a fifth for the carry a negative digit leaves.
    let mut k = [0u64; 5];
    for (limb, chunk) in k.iter_mut().zip(scalar.rchunks_exact(8)) {
        *limb = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
    }
    let window = 1u64 << width;
    let mut digits = [0i8; 257];
    let mut position = 0;
    while k != [0; 5] {
        if k[0] & 1 == 1 {
            let low = k[0] & (window - 1);
            if low < window / 2 {
                digits[position] = low as i8;
                k[0] -= low; // the low bits are `low`: no borrow
            } else {
                digits[position] = (low as i64 - window as i64) as i8;
                add_small(&mut k, window - low);
            }
        }
        shift_right_one(&mut k);
        position += 1;
    }
    digits
}

fn add_small(k: &mut [u64; 5], value: u64) {
    let mut carry = value;
    for limb in k.iter_mut() {
        let (sum, overflow) = limb.overflowing_add(carry);
        *limb = sum;
        carry = u64::from(overflow);
        if carry == 0 {
            break;
        }
    }
}

fn shift_right_one(k: &mut [u64; 5]) {
    for i in 0..4 {
        k[i] = (k[i] >> 1) | (k[i + 1] << 63);
    }
    k[4] >>= 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `digits` as a big-endian 33-byte integer, for comparison.
    fn value(digits: &Digits) -> [u8; 33] {
        let mut limbs = [0i128; 33];
        for (i, &digit) in digits.iter().enumerate() {
            limbs[32 - i / 8] += i128::from(digit) << (i % 8);
        }
        let mut bytes = [0u8; 33];
        let mut carry = 0i128;
        for i in (0..33).rev() {
            let v = limbs[i] + carry;
            bytes[i] = v.rem_euclid(256) as u8;
            carry = v.div_euclid(256);
        }
        assert_eq!(carry, 0);
        bytes
    }

    #[test]
    fn digits_add_up_to_the_scalar_and_are_sparse() {
        let mut samples = vec![[0u8; 32], [0xff; 32]];
        let mut seed = [7u8; 32];
        for _ in 0..200 {
            seed = <sm3::Sm3 as sm3::Digest>::digest(seed).into();
            samples.push(seed);
        }
        let mut one = [0u8; 32];
        one[31] = 1;
        samples.push(one);
        for width in 2..=8 {
            for scalar in &samples {
                let digits = wnaf(scalar, width);
                let mut expected = [0u8; 33];
                expected[1..].copy_from_slice(scalar);
                assert_eq!(value(&digits), expected, "width {width}");
                for (i, &digit) in digits.iter().enumerate() {
                    if digit != 0 {
                        assert!(digit % 2 != 0 && i32::from(digit).abs() < 1 << (width - 1));
                        let next = &digits[i + 1..(i + width as usize).min(257)];
                        assert!(next.iter().all(|&d| d == 0), "width {width} at {i}");
                    }
                }
            }
        }
    }
}
