//! `--plot out.png`: throughput (sent, ok, errors per second) above and
//! latency (p50 and p99 of each second) below, drawn with plotters'
//! bitmap backend. Text is rendered with ab_glyph from a TrueType font read
//! at run time: `SIMGATE_PLOT_FONT`, else DejaVu Sans where Debian's
//! `fonts-dejavu-core` puts it.

use crate::load::LoadError;
use crate::load::report::{Report, Second};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Image size in pixels.
const SIZE: (u32, u32) = (1200, 800);
/// Where the font is looked for after `SIMGATE_PLOT_FONT`.
const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];
/// One line of a chart: its legend, colour, and value of a second.
type Series<T> = (&'static str, RGBColor, fn(&Second) -> T);

/// The family name the font is registered under.
const FAMILY: &str = "sans-serif";

/// Registers the font once per process; the result is kept so a missing
/// font is reported the same way every time.
fn font() -> Result<(), String> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let candidates: Vec<PathBuf> = std::env::var_os("SIMGATE_PLOT_FONT")
            .map(PathBuf::from)
            .into_iter()
            .chain(FONT_PATHS.iter().map(PathBuf::from))
            .collect();
        let (path, bytes) = candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok().map(|b| (p.clone(), b)))
            .ok_or_else(|| {
                "no font for the plot: install fonts-dejavu-core or set SIMGATE_PLOT_FONT to a .ttf file"
                    .to_owned()
            })?;
        // plotters keeps registered fonts for the life of the process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
            .map_err(|_| format!("{} is not a TrueType font", path.display()))
    })
    .clone()
}

/// Draws the report's timeline to `path` (PNG).
pub fn draw(report: &Report, path: &Path) -> Result<(), LoadError> {
    let fail = |problem: String| LoadError::Write { path: path.to_owned(), problem };
    font().map_err(fail)?;
    draw_chart(report, path).map_err(fail)
}

fn draw_chart(report: &Report, path: &Path) -> Result<(), String> {
    let e = |err: &dyn std::fmt::Display| err.to_string();
    let t = &report.timeline;
    let seconds = (t.len() as u64).saturating_sub(1).max(1);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let title = format!("simgate load {}: {} ({})", report.tool, report.target, report.pace);
    let root = root.titled(&title, (FAMILY, 22)).map_err(|x| e(&x))?;
    let (upper, lower) = root.split_vertically(SIZE.1 / 2 - 20);

    let top = t.iter().map(|s| s.sent.max(s.ok + s.errors)).max().unwrap_or(0).max(1);
    let mut chart = ChartBuilder::on(&upper)
        .caption("throughput per second", (FAMILY, 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0u64..seconds, 0u64..top + top / 10 + 1)
        .map_err(|x| e(&x))?;
    // load applet: sent = connection attempts, ok = sessions opened.
    let unit = if report.tool == "applet" { "sessions" } else { "messages" };
    chart.configure_mesh().x_desc("second").y_desc(unit).draw().map_err(|x| e(&x))?;
    let series: [Series<u64>; 3] =
        [("sent", BLUE, |s| s.sent), ("ok", GREEN, |s| s.ok), ("errors", RED, |s| s.errors)];
    for (name, color, value) in series {
        chart
            .draw_series(LineSeries::new(t.iter().map(|s| (s.second, value(s))), color.stroke_width(2)))
            .map_err(|x| e(&x))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 14))
        .draw()
        .map_err(|x| e(&x))?;

    let top_ms = t.iter().map(|s| s.p99_ms).fold(0.0f64, f64::max).max(0.001);
    let mut chart = ChartBuilder::on(&lower)
        .caption("latency per second (ms)", (FAMILY, 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0u64..seconds, 0f64..top_ms * 1.1)
        .map_err(|x| e(&x))?;
    chart.configure_mesh().x_desc("second").y_desc("ms").draw().map_err(|x| e(&x))?;
    let series: [Series<f64>; 2] = [("p50", BLUE, |s| s.p50_ms), ("p99", MAGENTA, |s| s.p99_ms)];
    for (name, color, value) in series {
        chart
            .draw_series(LineSeries::new(t.iter().map(|s| (s.second, value(s))), color.stroke_width(2)))
            .map_err(|x| e(&x))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 14))
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}
