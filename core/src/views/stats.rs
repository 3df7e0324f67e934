//! Order statistics for the views: medians and quartiles of small samples.

/// The value at fraction `p` (0..=1) of a sorted sample, interpolating
/// linearly between neighbours (the "type 7" rule most spreadsheets use).
/// `None` for an empty sample.
pub(crate) fn quantile(sorted: &[f32], p: f32) -> Option<f32> {
    let last = sorted.len().checked_sub(1)?;
    let pos = p.clamp(0.0, 1.0) * last as f32;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f32;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// The median of any sample (sorted here); `None` when empty.
pub(crate) fn median(values: impl IntoIterator<Item = f32>) -> Option<f32> {
    let mut v: Vec<f32> = values.into_iter().collect();
    v.sort_by(f32::total_cmp);
    quantile(&v, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_quartiles() {
        assert_eq!(median([9.0, 2.0]), Some(5.5));
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(std::iter::empty()), None);
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&s, 0.25), Some(2.0));
        assert_eq!(quantile(&s, 0.75), Some(4.0));
        assert_eq!(quantile(&[7.0], 0.25), Some(7.0));
    }
}
