//! "Did you mean": the distance between a misspelt word and the words rolehop knows.

/// Words longer than this are never close to a known one: their distance is not computed (it
/// takes time and memory in the product of the lengths).
pub const MAX_WORD_CHARS: usize = 64;

/// Edit distance with adjacent transpositions counted as one edit. Past [`MAX_WORD_CHARS`],
/// the longer length stands in for it (an upper bound, far from any suggestion).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.chars().take(MAX_WORD_CHARS + 1).collect(),
        b.chars().take(MAX_WORD_CHARS + 1).collect(),
    );
    if a.len() > MAX_WORD_CHARS || b.len() > MAX_WORD_CHARS {
        return a.len().max(b.len());
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("role_arn", "role_arn"), 0);
        assert_eq!(edit_distance("rloe_arn", "role_arn"), 1);
        assert_eq!(edit_distance("externalid", "external_id"), 1);
        assert!(edit_distance("region", "role_arn") > 2);
        let long = "r".repeat(2 * 1024 * 1024);
        assert!(edit_distance(&long, "role_arn") > MAX_WORD_CHARS);
    }
}
