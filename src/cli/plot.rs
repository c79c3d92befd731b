//! `wirtinger solve --plot FILE.svg`: a picture of the solve, drawn with plotters' SVG backend.
//!
//! Panels, each drawn when there is something to draw:
//! - **objective per iteration**, log scale. When every finite value f_k of the history is
//!   positive, f_k itself; otherwise (an objective that is ≤ 0 somewhere) the distance to the
//!   best value of the history, f_k − f_min for `minimize` and f_max − f_k for `maximize`,
//!   with that reference value in the axis label. Zero and non-finite values have no place on a
//!   log axis and are skipped.
//! - **gradient norm ‖g_k‖ per iteration**, log scale (g = 2∂f/∂z̄, the convention of
//!   docs/conventions.md); methods without gradient norms (`sdp`) have no such panel, and
//!   methods without an iteration history (`sdp`) no objective panel: the title line says so.
//! - **the spectrum at the solution** for problems with eigenvalue or singular-value functions
//!   ([`wirtinger::eig::spectrum`]): the eigenvalues λ₁ ≥ … ≥ λₙ of each atom's (Hermitian)
//!   argument A(x*) (singular values for `sigma_max` and `norm_nuc`) as points over their index.
//!   Eigenvalues that agree to within 1e-6·max(1, maxᵢ|λᵢ|) (the accuracy to which the `sdp`
//!   method verifies its atoms) are joined by a bar and labelled with their multiplicity "×m",
//!   so that the multiple eigenvalue that nonsmooth optima typically have is visible.
//!
//! The text is written as SVG `<text>` elements in the generic `sans-serif` family (plotters'
//! font-less text layout), so no font is needed to draw, and the viewer's font shows it.
//! The file is written atomically (a temporary file in the same directory, flushed, renamed),
//! like the result file: it appears whole or not at all.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use wirtinger::eig::spectrum::spectrum;
use wirtinger::model::{Problem, Sense};
use wirtinger::solve::{HistoryEntry, Report};

/// Relative tolerance (scale max(1, max|λ|)) below which neighbouring eigenvalues count as one
/// multiple eigenvalue in the spectrum panel.
pub const MULTIPLICITY_TOL: f64 = 1e-6;

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 330;
const TITLE_HEIGHT: u32 = 56;
const FONT: &str = "sans-serif";

/// One atom's values at the solution, for the spectrum panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SpectrumSeries {
    /// Legend text, e.g. `lambda_max in the objective (line 8, column 13)`.
    pub label: String,
    /// Values in descending order.
    pub values: Vec<f64>,
    /// True for singular values (`sigma_max`, `norm_nuc`).
    pub singular: bool,
}

/// Everything a plot shows, independent of how it was obtained.
#[derive(Clone, Debug)]
pub struct PlotData {
    /// First title line (problem name or file).
    pub title: String,
    /// Second title line (method, status, objective, notes).
    pub subtitle: String,
    /// The objective series and the panel's axis label.
    pub objective: (Vec<Series>, String),
    /// The gradient norm series (empty when the method has none).
    pub gradient: Vec<Series>,
    /// One series per spectral atom.
    pub spectra: Vec<SpectrumSeries>,
}

/// One line of a history panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// (iteration, value), every value finite and positive.
    pub points: Vec<(f64, f64)>,
    /// Legend text.
    pub label: String,
}

/// The objective panel's series and axis label from the history of [`wirtinger::solve::solve`]
/// (values f in the problem's own sense, the maximum for `maximize`, as in the result file),
/// following the rule of the module documentation. When f itself is drawn
/// and its best value f_b is not negligible (f_b > 1e-6·max f, an objective that does not go to
/// zero), the distance |f − f_b| is drawn as a second series, since f alone then flattens out
/// on a log axis.
pub fn objective_series(history: &[HistoryEntry], sense: Sense) -> (Vec<Series>, String) {
    let sign = if sense == Sense::Maximize { -1.0 } else { 1.0 };
    let finite: Vec<(f64, f64)> = history
        .iter()
        .map(|h| (h.iter as f64, h.value))
        .filter(|p| p.1.is_finite())
        .collect();
    // In minimization form v = sign·f, v − min v is f − f_min, or f_max − f for maximize.
    let best_v = finite
        .iter()
        .map(|p| sign * p.1)
        .fold(f64::INFINITY, f64::min);
    let best = sign * best_v;
    let distance = || -> Vec<(f64, f64)> {
        finite
            .iter()
            .map(|&(k, f)| (k, sign * f - best_v))
            .filter(|p| p.1 > 0.0 && p.1.is_finite())
            .collect()
    };
    let distance_label = if sense == Sense::Maximize {
        format!("f_max − f, f_max = {best:.6e}")
    } else {
        format!("f − f_min, f_min = {best:.6e}")
    };
    if finite.iter().all(|p| p.1 > 0.0) {
        let top = finite.iter().map(|p| p.1).fold(0.0, f64::max);
        let mut series = vec![Series {
            points: finite.clone(),
            label: "objective f".to_string(),
        }];
        let d = distance();
        if best > 1e-6 * top && !d.is_empty() {
            series.push(Series {
                points: d,
                label: distance_label,
            });
        }
        return (series, "objective (log scale)".to_string());
    }
    let axis = if sense == Sense::Maximize {
        "f_max − f (log scale)"
    } else {
        "f − f_min (log scale)"
    };
    let series = vec![Series {
        points: distance(),
        label: distance_label,
    }]
    .into_iter()
    .filter(|s| !s.points.is_empty())
    .collect();
    (series, axis.to_string())
}

/// (iteration, ‖g‖) for the finite, positive gradient norms of the history (no series when
/// there are none).
pub fn gradient_series(history: &[HistoryEntry]) -> Vec<Series> {
    let points: Vec<(f64, f64)> = history
        .iter()
        .filter(|h| h.gradient_norm.is_finite() && h.gradient_norm > 0.0)
        .map(|h| (h.iter as f64, h.gradient_norm))
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    vec![Series {
        points,
        label: "‖g‖".to_string(),
    }]
}

/// Groups of equal values in a descending list: (first index, multiplicity), values within
/// [`MULTIPLICITY_TOL`]·max(1, max|λ|) of their neighbour belonging to one group.
pub fn clusters(values: &[f64]) -> Vec<(usize, usize)> {
    let scale = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(1.0f64, |m, v| m.max(v.abs()));
    let tol = MULTIPLICITY_TOL * scale;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match out.last_mut() {
            Some((start, m)) if (values[*start + *m - 1] - v).abs() <= tol => *m += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

/// Largest magnitude drawn: beyond it (and for subnormal values on log axes) axis ranges and
/// paddings would overflow to ±∞ or underflow to 0, which plotters cannot lay out; such values
/// are left out like non-finite ones.
const PLOTTABLE: f64 = 1e300;

/// Decades [10^a, 10^b] that hold every value (one decade at least), with a and b within
/// ±300 so that both ends are normal floating-point numbers; values outside [1e−300, 1e300]
/// are ignored.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| (1.0 / PLOTTABLE..=PLOTTABLE).contains(v))
        .fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    if !(lo.is_finite() && hi > 0.0) {
        return (0.1, 10.0);
    }
    let a = lo.log10().floor().max(-300.0);
    let mut b = hi.log10().ceil().min(300.0);
    if b <= a {
        b = a + 1.0;
    }
    (10f64.powf(a), 10f64.powf(b))
}

fn decade_label(v: &f64) -> String {
    format!("{v:.0e}")
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult<T> = Result<T, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing failed: {e:?}")
}

fn iteration_range(series: &[Series]) -> std::ops::Range<f64> {
    let last = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(0.0, f64::max);
    0.0..last.max(1.0)
}

/// Iteration numbers are integers: no label between them.
fn iteration_label(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

fn history_panel(
    area: &Area,
    caption: &str,
    y_desc: &str,
    series: &[Series],
    first_color: usize,
) -> DrawResult<()> {
    let (lo, hi) = log_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let x = iteration_range(series);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .y_desc(y_desc)
        .x_labels((x.end.min(10.0) as usize) + 1)
        .x_label_formatter(&iteration_label)
        .y_label_formatter(&decade_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (k, s) in series.iter().enumerate() {
        let color = PALETTE[(first_color + k) % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(s.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        if s.points.len() <= 60 {
            chart
                .draw_series(PointSeries::of_element(
                    s.points.iter().copied(),
                    3,
                    color.filled(),
                    &|c, s, st| Circle::new(c, s, st),
                ))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

fn spectrum_panel(area: &Area, spectra: &[SpectrumSeries]) -> DrawResult<()> {
    let all = spectra.iter().flat_map(|s| s.values.iter().copied());
    let (mut lo, mut hi) = all
        .filter(|v| plottable(*v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3 * hi.abs().max(1.0));
    // room above the largest value for the legend (values descend, so the upper right is free)
    let top = hi + pad + (hi - lo + pad) * 0.12 * spectra.len().min(4) as f64;
    let n = spectra.iter().map(|s| s.values.len()).max().unwrap_or(1);
    let singular = spectra.iter().all(|s| s.singular);
    let mixed = !singular && spectra.iter().any(|s| s.singular);
    let y_desc = match (singular, mixed) {
        (true, _) => "singular value σᵢ(A(x*))",
        (false, true) => "λᵢ(A(x*)) or σᵢ(A(x*))",
        _ => "eigenvalue λᵢ(A(x*))",
    };
    let mut chart = ChartBuilder::on(area)
        .caption(
            "spectrum at the solution (×m: a value of multiplicity m)",
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5..n as f64 + 0.5, (lo - pad)..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("index i (descending order)")
        .y_desc(y_desc)
        .x_labels(n.min(20))
        .x_label_formatter(&iteration_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (k, s) in spectra.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| plottable(**v))
            .map(|(i, &v)| ((i + 1) as f64, v))
            .collect();
        // sticks from the bottom of the panel, so that equal values line up visibly (up to 200
        // values; beyond that they would only blacken the panel), smaller points beyond 60
        if n <= 200 {
            chart
                .draw_series(pts.iter().map(|&(x, y)| {
                    PathElement::new(vec![(x, lo - pad), (x, y)], color.mix(0.35).stroke_width(1))
                }))
                .map_err(err)?;
        }
        chart
            .draw_series(PointSeries::of_element(
                pts.iter().copied(),
                if n <= 60 { 4 } else { 2 },
                color.filled(),
                &|c, s, st| Circle::new(c, s, st),
            ))
            .map_err(err)?
            .label(s.label.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        for (start, m) in clusters(&s.values) {
            if m < 2 {
                continue;
            }
            let y = s.values[start];
            if !plottable(y) {
                continue;
            }
            let (x0, x1) = ((start + 1) as f64, (start + m) as f64);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x0, y), (x1, y)],
                    color.stroke_width(3),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("×{m}"),
                    (x1 + 0.15, y),
                    (FONT, 15).into_font().color(&color),
                )))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 13))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// A value the spectrum panel can place: finite and at most [`PLOTTABLE`] in magnitude.
fn plottable(v: f64) -> bool {
    v.abs() <= PLOTTABLE
}

fn note_panel(area: &Area, text: &str) -> DrawResult<()> {
    area.draw(&Text::new(
        text.to_string(),
        (20, 30),
        (FONT, 15).into_font().color(&BLACK),
    ))
    .map_err(err)
}

/// Draws `data` as an SVG document.
pub fn render_svg(data: &PlotData) -> Result<String, String> {
    let mut panels = 0;
    let has_objective = data.objective.0.iter().any(|s| !s.points.is_empty());
    let has_gradient = !data.gradient.is_empty();
    panels += has_objective as u32 + has_gradient as u32 + !data.spectra.is_empty() as u32;
    let height = TITLE_HEIGHT + PANEL_HEIGHT * panels.max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        title
            .draw(&Text::new(
                data.title.clone(),
                (14, 8),
                (FONT, 20).into_font().color(&BLACK),
            ))
            .map_err(err)?;
        title
            .draw(&Text::new(
                data.subtitle.clone(),
                (14, 33),
                (FONT, 14).into_font().color(&RGBColor(60, 60, 60)),
            ))
            .map_err(err)?;
        let areas = body.split_evenly((panels.max(1) as usize, 1));
        let mut next = areas.iter();
        if has_objective {
            if let Some(a) = next.next() {
                history_panel(
                    a,
                    "objective per iteration",
                    &data.objective.1,
                    &data.objective.0,
                    0,
                )?;
            }
        }
        if has_gradient {
            if let Some(a) = next.next() {
                history_panel(
                    a,
                    "gradient norm per iteration (g = 2∂f/∂z̄)",
                    "‖g‖ (log scale)",
                    &data.gradient,
                    2,
                )?;
            }
        }
        if !data.spectra.is_empty() {
            if let Some(a) = next.next() {
                spectrum_panel(a, &data.spectra)?;
            }
        }
        if panels == 0 {
            if let Some(a) = next.next() {
                note_panel(
                    a,
                    "nothing to draw: no iteration history, no gradient norms, no spectral functions",
                )?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Collects what to draw for a solved problem. `source` is the problem file's text, used to
/// give each spectral atom its line and column.
pub fn plot_data(
    problem: &Problem,
    report: &Report,
    file: &Path,
    source: Option<&str>,
) -> PlotData {
    let title = match &problem.name {
        Some(n) => format!("{n}  ({})", file.display()),
        None => file.display().to_string(),
    };
    let mut notes = Vec::new();
    if report.history.is_empty() {
        notes.push(format!("{} keeps no iteration history", report.method));
    } else if report.history.iter().all(|h| !h.gradient_norm.is_finite()) {
        notes.push(format!("no gradient norms for {}", report.method));
    }
    let spectra = match spectrum(problem, &report.point) {
        Ok(mut s) => {
            if let Some(text) = source {
                s.locate(text);
            }
            s.atoms
                .into_iter()
                .map(|a| SpectrumSeries {
                    label: a.label,
                    singular: a.function.singular(),
                    values: a.values,
                })
                .collect()
        }
        Err(e) => {
            notes.push(format!("no spectrum: {e}"));
            Vec::new()
        }
    };
    let mut subtitle = format!(
        "method {}, status {}, objective {:.10e}, {} iterations",
        report.method, report.status, report.objective, report.iterations
    );
    for n in notes {
        subtitle.push_str("; ");
        subtitle.push_str(&n);
    }
    PlotData {
        title,
        subtitle,
        objective: objective_series(&report.history, problem.sense),
        gradient: gradient_series(&report.history),
        spectra,
    }
}

/// Checks, before solving, that a plot can be written to `path` at all: its directory exists
/// and `path` is not a directory. (Permissions and space are found when writing.)
pub fn check_target(path: &Path) -> Result<(), String> {
    if path.file_name().is_none() {
        return Err("the plot path names no file".into());
    }
    if path.is_dir() {
        return Err("it is a directory".into());
    }
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => {
            Err(format!("the directory {} does not exist", d.display()))
        }
        _ => Ok(()),
    }
}

/// Draws the plot of a solve and writes it to `out` (SVG, atomically).
pub fn write_plot(
    problem: &Problem,
    report: &Report,
    file: &Path,
    out: &Path,
) -> Result<(), String> {
    let source = std::fs::read_to_string(file).ok();
    let data = plot_data(problem, report, file, source.as_deref());
    let svg = render_svg(&data)?;
    wirtinger::io::result::write_atomic(out, svg.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(iter: u64, value: f64, g: f64) -> HistoryEntry {
        HistoryEntry {
            iter,
            value,
            gradient_norm: g,
            step: 0.0,
        }
    }

    #[test]
    fn positive_objective_is_drawn_as_is_and_non_finite_values_are_skipped() {
        let hist = [
            h(0, 4.0, 2.0),
            h(1, f64::NAN, 1.0),
            h(2, 1e-9, f64::INFINITY),
        ];
        let (series, axis) = objective_series(&hist, Sense::Minimize);
        // f → 1e-9 of 4: the best value is negligible, no distance series
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].points, vec![(0.0, 4.0), (2.0, 1e-9)]);
        assert!(axis.starts_with("objective"));
        let g = gradient_series(&hist);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].points, vec![(0.0, 2.0), (1.0, 1.0)]);
        let none = [h(0, 1.0, f64::NAN), h(1, 0.5, f64::NAN)];
        assert!(gradient_series(&none).is_empty());
    }

    #[test]
    fn a_positive_objective_with_a_positive_optimum_also_gets_its_distance() {
        let hist = [h(0, 25.0, 1.0), h(1, 22.5, 1.0), h(2, 22.0, 1.0)];
        let (series, _) = objective_series(&hist, Sense::Minimize);
        assert_eq!(series.len(), 2);
        assert_eq!(series[1].points, vec![(0.0, 3.0), (1.0, 0.5)]);
        assert!(
            series[1].label.contains("f − f_min, f_min = 2.2"),
            "{}",
            series[1].label
        );
    }

    #[test]
    fn an_objective_below_zero_is_drawn_as_the_distance_to_the_best_value() {
        // minimize: f = 1, −2, −3 → f − f_min = 4, 1, (0 skipped)
        let hist = [h(0, 1.0, 1.0), h(1, -2.0, 1.0), h(2, -3.0, 1.0)];
        let (series, axis) = objective_series(&hist, Sense::Minimize);
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].points, vec![(0.0, 4.0), (1.0, 1.0)]);
        assert!(axis.starts_with("f − f_min"), "{axis}");
        assert!(
            series[0].label.contains("-3.000000e0"),
            "{}",
            series[0].label
        );
        // maximize: f = −3, −2, 1 → f_max − f = 4, 3, (0 skipped)
        let hist = [h(0, -3.0, 1.0), h(1, -2.0, 1.0), h(2, 1.0, 1.0)];
        let (series, axis) = objective_series(&hist, Sense::Maximize);
        assert_eq!(series[0].points, vec![(0.0, 4.0), (1.0, 3.0)]);
        assert!(axis.starts_with("f_max − f"), "{axis}");
        assert!(
            series[0].label.contains("f_max = 1.000000e0"),
            "{}",
            series[0].label
        );
    }

    #[test]
    fn a_maximized_positive_objective_is_drawn_in_its_own_sense() {
        let hist = [h(0, 1.0, 1.0), h(1, 2.0, 1.0)];
        let (series, _) = objective_series(&hist, Sense::Maximize);
        assert_eq!(series[0].points, vec![(0.0, 1.0), (1.0, 2.0)]);
        // f_max − f: 1 at the start, 0 (not drawn) at the end
        assert_eq!(series[1].points, vec![(0.0, 1.0)]);
    }

    #[test]
    fn clusters_find_multiplicities_at_the_tolerance() {
        let v = [3.0, 3.0 + 1e-9, 3.0 - 2e-9, 1.0, 0.5, 0.5];
        assert_eq!(clusters(&v), vec![(0, 3), (3, 1), (4, 2)]);
        let v = [3.0, 3.0 - 1e-4];
        assert_eq!(clusters(&v), vec![(0, 1), (1, 1)]);
        assert!(clusters(&[]).is_empty());
    }

    fn svg(hist: &[HistoryEntry], values: Vec<f64>) -> Result<String, String> {
        render_svg(&PlotData {
            title: "t".into(),
            subtitle: "s".into(),
            objective: objective_series(hist, Sense::Minimize),
            gradient: gradient_series(hist),
            spectra: vec![SpectrumSeries {
                label: "a".into(),
                values,
                singular: false,
            }],
        })
    }

    /// Extreme histories and spectra once made plotters loop forever (axis ends of 10^309 = ∞
    /// or 10^−324 = 0, a spectrum span of ∞) or overflow (`iter = u64::MAX`).
    #[test]
    fn extreme_values_are_drawn_without_hanging_or_panicking() {
        let hist = [h(0, 1e308, 1e308), h(1, 1e-320, 5e-324)];
        assert!(svg(&hist, vec![]).unwrap().contains("<svg"));
        assert!(svg(&[h(u64::MAX, 1.0, 1.0)], vec![]).is_ok());
        assert!(svg(&[], vec![1e308, -1e308, 1.0, 1.0])
            .unwrap()
            .contains("×2"));
        assert!(svg(&[], vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]).is_ok());
        let hist = [h(0, f64::MAX, f64::MAX), h(1, -f64::MAX, 1.0)];
        let (series, _) = objective_series(&hist, Sense::Minimize);
        assert!(series
            .iter()
            .all(|s| s.points.iter().all(|p| p.1.is_finite())));
        assert!(svg(&hist, vec![5.0; 3]).is_ok());
        let (a, b) = log_range([5e-324, 1e308].into_iter());
        assert!(a > 0.0 && b.is_finite() && a < b);
    }

    #[test]
    fn log_ranges_cover_whole_decades() {
        let (a, b) = log_range([3e-12, 20.0].into_iter());
        assert!((a - 1e-12).abs() < 1e-24 && (b - 100.0).abs() < 1e-9);
        let (a, b) = log_range([1.0].into_iter());
        assert!(a == 1.0 && b == 10.0);
    }
}
