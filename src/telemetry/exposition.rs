//! The two exposition formats of `/metrics`.
//!
//! prometheus-client writes OpenMetrics text, which Prometheus asks for in its
//! `Accept` header. Tools that ask for nothing in particular (curl, `promtool
//! check metrics`) parse the classic text format 0.0.4, where a counter's
//! `# HELP` and `# TYPE` lines carry the sample name with its `_total` suffix
//! and there is no `# EOF`. [`to_classic_text`] turns one into the other.

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

/// Content type of OpenMetrics text.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Content type of the classic Prometheus text format.
pub const CLASSIC_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Which format a scraper asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposition {
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// Prometheus text format 0.0.4.
    Classic,
}

impl Exposition {
    /// OpenMetrics when the `Accept` header names it, classic text otherwise.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Exposition::OpenMetrics,
            _ => Exposition::Classic,
        }
    }

    /// The `Content-Type` of a response in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Exposition::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Exposition::Classic => CLASSIC_CONTENT_TYPE,
        }
    }
}

/// Renders the registry in the requested format.
pub fn render(registry: &Registry, format: Exposition) -> Result<String, std::fmt::Error> {
    let mut out = String::with_capacity(8 * 1024);
    encode(&mut out, registry)?;
    Ok(match format {
        Exposition::OpenMetrics => out,
        Exposition::Classic => to_classic_text(&out),
    })
}

/// Rewrites OpenMetrics text as Prometheus text 0.0.4: counter metadata is
/// renamed to the `_total` sample name, `unknown` becomes `untyped`, and the
/// `# UNIT` and `# EOF` lines (unknown to the classic format) are dropped.
pub fn to_classic_text(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = line
            .strip_prefix("# HELP ")
            .map(|rest| ("# HELP ", rest))
            .or_else(|| line.strip_prefix("# TYPE ").map(|rest| ("# TYPE ", rest)));
        match meta {
            Some((kind, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(kind);
                out.push_str(name);
                if counters.contains(&name) {
                    out.push_str("_total");
                }
                out.push(' ');
                out.push_str(if kind == "# TYPE " && tail == "unknown" { "untyped" } else { tail });
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_get_total_in_their_metadata() {
        let om = "# HELP jobs Jobs done.\n# TYPE jobs counter\njobs_total 3\n\
                  # HELP temp Heat.\n# TYPE temp gauge\n# UNIT temp celsius\ntemp 21\n\
                  # TYPE odd unknown\nodd 1\n# EOF\n";
        let want = "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3\n\
                    # HELP temp Heat.\n# TYPE temp gauge\ntemp 21\n\
                    # TYPE odd untyped\nodd 1\n";
        assert_eq!(to_classic_text(om), want);
    }

    #[test]
    fn negotiation_prefers_openmetrics_only_when_asked() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Exposition::negotiate(Some(prometheus)), Exposition::OpenMetrics);
        assert_eq!(Exposition::negotiate(Some("*/*")), Exposition::Classic);
        assert_eq!(Exposition::negotiate(None), Exposition::Classic);
    }
}
