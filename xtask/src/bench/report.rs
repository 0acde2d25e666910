//! Measurements, their medians over rounds, and the table.

use serde_json::{Value, json};

/// One `wrk` run against one server.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Measurement {
    pub(crate) requests_per_sec: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Non-2xx/3xx answers and socket errors.
    pub(crate) errors: u64,
    /// Resident memory of the server right after the run, KiB (0 when not read).
    pub(crate) rss_kib: u64,
}

/// One path at one connection count: clientele and the bare server, medians over rounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) store: String,
    pub(crate) path: String,
    pub(crate) connections: u32,
    pub(crate) clientele: Measurement,
    pub(crate) bare: Measurement,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn median_of(rounds: &[Measurement]) -> Measurement {
    let of = |field: fn(&Measurement) -> f64| median(rounds.iter().map(field).collect());
    Measurement {
        requests_per_sec: of(|m| m.requests_per_sec),
        p50_ms: of(|m| m.p50_ms),
        p99_ms: of(|m| m.p99_ms),
        errors: rounds.iter().map(|m| m.errors).sum(),
        rss_kib: rounds.iter().map(|m| m.rss_kib).max().unwrap_or(0),
    }
}

impl Row {
    /// The row of `rounds` (clientele, bare) measurements: each figure the median round,
    /// errors summed, RSS the largest seen.
    pub(crate) fn median(
        store: &str,
        path: &str,
        connections: u32,
        rounds: Vec<(Measurement, Measurement)>,
    ) -> Self {
        let (ours, bare): (Vec<_>, Vec<_>) = rounds.into_iter().unzip();
        Self {
            store: store.into(),
            path: path.into(),
            connections,
            clientele: median_of(&ours),
            bare: median_of(&bare),
        }
    }

    /// clientele's throughput as a share of the bare server's.
    pub(crate) fn ratio(&self) -> f64 {
        if self.bare.requests_per_sec > 0.0 {
            self.clientele.requests_per_sec / self.bare.requests_per_sec
        } else {
            0.0
        }
    }
}

impl serde::Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let side = |m: &Measurement| -> Value {
            json!({
                "requests_per_sec": m.requests_per_sec,
                "p50_ms": m.p50_ms,
                "p99_ms": m.p99_ms,
                "errors": m.errors,
                "rss_kib": m.rss_kib,
            })
        };
        json!({
            "store": self.store,
            "path": self.path,
            "connections": self.connections,
            "clientele": side(&self.clientele),
            "bare": side(&self.bare),
            "ratio": self.ratio(),
        })
        .serialize(serializer)
    }
}

/// The rows as a Markdown table.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| store | path | conns | clientele req/s | p50 ms | p99 ms | errors | RSS MiB | bare req/s | bare p99 ms | ratio |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let ours = &row.clientele;
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.2} | {:.1}% |\n",
            row.store,
            row.path,
            row.connections,
            ours.requests_per_sec,
            ours.p50_ms,
            ours.p99_ms,
            ours.errors,
            ours.rss_kib as f64 / 1024.0,
            row.bare.requests_per_sec,
            row.bare.p99_ms,
            100.0 * row.ratio(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rate: f64, p99: f64) -> Measurement {
        Measurement {
            requests_per_sec: rate,
            p50_ms: p99 / 2.0,
            p99_ms: p99,
            errors: 1,
            rss_kib: rate as u64,
        }
    }

    #[test]
    fn rows_take_the_median_round_and_the_ratio() {
        let row = Row::median(
            "demo",
            "GET one",
            50,
            vec![
                (at(1000.0, 9.0), at(9000.0, 1.0)),
                (at(3000.0, 3.0), at(10000.0, 2.0)),
                (at(2000.0, 5.0), at(11000.0, 3.0)),
            ],
        );
        assert_eq!(row.clientele.requests_per_sec, 2000.0);
        assert_eq!(row.clientele.p99_ms, 5.0);
        assert_eq!(row.clientele.errors, 3);
        assert_eq!(row.clientele.rss_kib, 3000);
        assert_eq!(row.bare.requests_per_sec, 10000.0);
        assert!((row.ratio() - 0.2).abs() < 1e-12);
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["clientele"]["requests_per_sec"], 2000.0);
        assert_eq!(json["ratio"], 0.2);
    }

    #[test]
    fn the_table_has_one_line_per_row() {
        let row = Row::median(
            "demo",
            "GET one",
            4,
            vec![(at(2048.0, 4.0), at(8192.0, 1.0))],
        );
        let table = table(&[row]);
        assert_eq!(
            table.lines().nth(2).unwrap(),
            "| demo | GET one | 4 | 2048 | 2.00 | 4.00 | 1 | 2 | 8192 | 1.00 | 25.0% |"
        );
        assert_eq!(table.lines().count(), 3);
    }
}
