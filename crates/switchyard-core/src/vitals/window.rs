//! A sliding window of call outcomes in ten time buckets: old buckets expire as time
//! moves, so the error ratio reflects only the last `window` of traffic.

const BUCKETS: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// `now / width` when this bucket was last reset; stale buckets are ignored.
    index: u64,
    ok: u32,
    failed: u32,
}

/// Outcome counts over the last `window_ms` milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    width_ms: u64,
    buckets: [Bucket; BUCKETS],
}

impl Window {
    /// A window covering `window_ms` (at least ten milliseconds).
    pub(crate) fn new(window_ms: u64) -> Self {
        Self {
            width_ms: (window_ms / BUCKETS as u64).max(1),
            buckets: [Bucket::default(); BUCKETS],
        }
    }

    /// Count one outcome at `now` (milliseconds).
    pub(crate) fn add(&mut self, ok: bool, now: u64) {
        let index = now / self.width_ms + 1;
        let bucket = &mut self.buckets[(index % BUCKETS as u64) as usize];
        if bucket.index != index {
            *bucket = Bucket {
                index,
                ..Bucket::default()
            };
        }
        if ok {
            bucket.ok = bucket.ok.saturating_add(1);
        } else {
            bucket.failed = bucket.failed.saturating_add(1);
        }
    }

    /// `(successes, failures)` within the window ending at `now`.
    pub(crate) fn counts(&self, now: u64) -> (u64, u64) {
        let current = now / self.width_ms + 1;
        let oldest = current.saturating_sub(BUCKETS as u64 - 1);
        self.buckets
            .iter()
            .filter(|b| b.index >= oldest && b.index <= current && b.index > 0)
            .fold((0, 0), |(ok, failed), b| {
                (ok + u64::from(b.ok), failed + u64::from(b.failed))
            })
    }

    /// Forget everything (after a circuit closes).
    pub(crate) fn clear(&mut self) {
        self.buckets = [Bucket::default(); BUCKETS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expire_after_the_window() {
        let mut w = Window::new(1_000);
        w.add(true, 0);
        w.add(false, 50);
        w.add(false, 950);
        assert_eq!(w.counts(999), (1, 2));
        // At 1 050 the bucket of 0..100 has left the window; 900..1000 is still in.
        assert_eq!(w.counts(1_050), (0, 1));
        assert_eq!(w.counts(5_000), (0, 0));
        w.add(true, 5_000);
        assert_eq!(w.counts(5_001), (1, 0));
        w.clear();
        assert_eq!(w.counts(5_001), (0, 0));
    }
}
