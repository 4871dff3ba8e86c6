//! Percentiles and the printed table.

/// p50 / p99 / max of a set of durations, in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Percentiles {
    pub count: usize,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

impl Percentiles {
    /// An HDR histogram of nanoseconds, 1 µs to 10 minutes, 3 significant digits.
    pub fn histogram() -> hdrhistogram::Histogram<u64> {
        hdrhistogram::Histogram::new_with_bounds(1_000, 600_000_000_000, 3)
            .expect("these bounds are valid")
    }

    /// Records `ns` (clamped into the histogram's range).
    pub fn record(h: &mut hdrhistogram::Histogram<u64>, ns: u64) {
        h.saturating_record(ns.max(1_000));
    }

    /// p50 / p99 / max of what `h` recorded.
    pub fn from_histogram(h: &hdrhistogram::Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        Self {
            count: h.len() as usize,
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
        }
    }

    pub fn of(mut v: Vec<u64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_unstable();
        let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
        Self {
            count: v.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: v[v.len() - 1],
        }
    }

    /// "p50 3.1 p99 21 max 80" (milliseconds).
    pub fn text(&self) -> String {
        format!(
            "p50 {} p99 {} max {}",
            fmt_ms(self.p50),
            fmt_ms(self.p99),
            fmt_ms(self.max)
        )
    }
}

/// Nanoseconds as milliseconds.
pub fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Milliseconds with a sensible number of digits.
pub fn fmt_ms(ns: u64) -> String {
    let v = ms(ns);
    if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// KiB as "41.2 MB" (MiB, as the budget means it).
pub fn fmt_mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

/// One line of the budget table; `ok` None for figures with no bar.
pub struct Row {
    pub budget: String,
    pub what: String,
    pub bar: String,
    pub measured: String,
    pub ok: Option<bool>,
}

impl Row {
    pub fn new(
        budget: &str,
        what: impl Into<String>,
        bar: &str,
        measured: impl Into<String>,
        ok: Option<bool>,
    ) -> Self {
        Self {
            budget: budget.into(),
            what: what.into(),
            bar: bar.into(),
            measured: measured.into(),
            ok,
        }
    }
}

/// A plain table, columns as wide as their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

pub fn budget_table(rows: &[Row]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.budget.clone(),
                r.what.clone(),
                r.bar.clone(),
                r.measured.clone(),
                match r.ok {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => "-".into(),
                },
            ]
        })
        .collect();
    table(&["budget", "what", "bar", "measured", "ok"], &cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let p = Percentiles::of((1..=100).collect());
        assert_eq!((p.p50, p.p99, p.max, p.count), (50, 99, 100, 100));
        let one = Percentiles::of(vec![7]);
        assert_eq!((one.p50, one.p99, one.max), (7, 7, 7));
        assert_eq!(Percentiles::of(vec![]).count, 0);
    }
}
