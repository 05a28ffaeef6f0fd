//! MinHash sketches of normalised word shingles, for recognising republished copies.
//!
//! Written here rather than taken from a crate: the few lines below are the whole
//! algorithm, and the sketch must be byte-for-byte stable across releases and
//! machines (it is persisted in the story state and shared between workers), which a
//! fixed, documented hash guarantees and a dependency's internal hasher does not.
//!
//! Words: maximal runs of letters and digits of the matching form (already folded:
//! lower case, Arabic letter forms unified, digits ASCII). Punctuation, line breaks and
//! whitespace therefore never change a sketch. Shingles are `shingle_words` consecutive
//! words, hashed with FNV-1a 64; each of the [`PERMUTATIONS`] permutations is a
//! SplitMix64 finaliser of the hash XOR a fixed seed.

use serde::{Deserialize, Serialize};

/// Number of hash functions (the sketch length).
pub const PERMUTATIONS: usize = 64;
/// LSH bands (of `PERMUTATIONS / BANDS` rows each) used to find candidates.
pub const BANDS: usize = 32;
const ROWS: usize = PERMUTATIONS / BANDS;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a(bytes: impl Iterator<Item = u8>, mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn seeds() -> [u64; PERMUTATIONS] {
    let mut s = [0u64; PERMUTATIONS];
    let mut x = 0x5745_4952_4546_4545; // fixed: never change (persisted sketches)
    for v in s.iter_mut() {
        x = splitmix(x);
        *v = x;
    }
    s
}

/// The words of a matching-form text.
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// A MinHash sketch plus the number of distinct shingles it summarises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sketch {
    pub mins: Vec<u64>,
    pub shingles: usize,
}

impl Sketch {
    /// The sketch of a text's word shingles; `None` with fewer than `min_shingles`.
    pub fn of(text: &str, shingle_words: usize, min_shingles: usize) -> Option<Sketch> {
        let w = words(text);
        let k = shingle_words.max(1);
        if w.len() < k {
            return None;
        }
        let mut hashes: Vec<u64> = w
            .windows(k)
            .map(|win| {
                let mut h = FNV_OFFSET;
                for (i, word) in win.iter().enumerate() {
                    if i > 0 {
                        h = fnv1a(std::iter::once(b' '), h);
                    }
                    h = fnv1a(word.bytes(), h);
                }
                h
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        if hashes.len() < min_shingles.max(1) {
            return None;
        }
        let seeds = seeds();
        let mut mins = vec![u64::MAX; PERMUTATIONS];
        for h in &hashes {
            for (m, s) in mins.iter_mut().zip(seeds.iter()) {
                let v = splitmix(h ^ s);
                if v < *m {
                    *m = v;
                }
            }
        }
        Some(Sketch {
            mins,
            shingles: hashes.len(),
        })
    }

    /// Estimated Jaccard similarity of the two shingle sets.
    pub fn jaccard(&self, other: &Sketch) -> f64 {
        let same = self
            .mins
            .iter()
            .zip(&other.mins)
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / PERMUTATIONS as f64
    }

    /// Estimated share of the smaller set's shingles found in the larger one.
    /// Takes their [`Sketch::jaccard`] `j`, which the caller has already computed.
    pub fn containment_at(&self, other: &Sketch, j: f64) -> f64 {
        let (a, b) = (self.shingles as f64, other.shingles as f64);
        let inter = j / (1.0 + j) * (a + b);
        (inter / a.min(b)).min(1.0)
    }

    /// Keys of the LSH bands: two sketches sharing a key are candidates.
    pub fn band_keys(&self) -> Vec<u64> {
        (0..BANDS)
            .map(|b| {
                let rows = &self.mins[b * ROWS..(b + 1) * ROWS];
                let mut h = splitmix(b as u64);
                for r in rows {
                    h = splitmix(h ^ r);
                }
                h
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_and_line_breaks_do_not_change_the_sketch() {
        let a = Sketch::of(
            "one two three, four five six seven eight nine ten eleven",
            3,
            3,
        )
        .unwrap();
        let b = Sketch::of(
            "one two\nthree four. five six seven\n\neight nine ten eleven",
            3,
            3,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.jaccard(&b), 1.0);
    }

    #[test]
    fn different_texts_are_far_apart() {
        let a = Sketch::of(
            "the river rose overnight and the town council closed the bridge to traffic",
            3,
            3,
        )
        .unwrap();
        let b = Sketch::of(
            "the council met overnight to vote on the budget for schools and roads",
            3,
            3,
        )
        .unwrap();
        assert!(a.jaccard(&b) < 0.2, "{}", a.jaccard(&b));
        assert!(Sketch::of("too short", 3, 3).is_none());
    }
}
