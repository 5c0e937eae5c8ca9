//! The benches' pictures: SVG charts written into docs/figures/, drawn with plotters
//! (SVG needs no fonts on the machine).

use std::path::PathBuf;

use plotters::prelude::*;

/// docs/figures/`name`, where README.md and docs/ link the charts from.
pub fn figure_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/figures");
    std::fs::create_dir_all(&dir).expect("create docs/figures");
    dir.join(name)
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Horizontal bars, one per `(label, value)`, the first at the top, the value written
/// at each bar's end.
pub fn bar_chart(name: &str, title: &str, unit: &str, bars: &[(&str, f64)]) {
    let path = figure_path(name);
    let root = SVGBackend::new(&path, (820, 90 + 46 * bars.len() as u32)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let top = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max) * 1.2;
    let rows = bars.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(330)
        .build_cartesian_2d(0.0..top, (0..rows).into_segmented())
        .expect("draw");
    // Row 0 is drawn at the bottom: the first bar goes in the last row.
    let label_of = |row: usize| bars.get(rows - 1 - row).map_or("", |(label, _)| *label);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(unit)
        .y_labels(rows)
        .y_label_formatter(&|segment| match segment {
            SegmentValue::CenterOf(row) => label_of(*row).to_string(),
            _ => String::new(),
        })
        .draw()
        .expect("draw");
    chart
        .draw_series(
            Histogram::horizontal(&chart)
                .margin(8)
                .style_func(|segment, _| {
                    let row = match segment {
                        SegmentValue::Exact(row) | SegmentValue::CenterOf(row) => *row,
                        SegmentValue::Last => 0,
                    };
                    PALETTE[(rows - 1 - row) % PALETTE.len()].filled()
                })
                .data(
                    bars.iter()
                        .enumerate()
                        .map(|(i, (_, v))| (rows - 1 - i, *v)),
                ),
        )
        .expect("draw");
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
            let at = (*value, SegmentValue::CenterOf(rows - 1 - i));
            Text::new(format!(" {value:.2}"), at, ("sans-serif", 15))
        }))
        .expect("draw");
    root.present().expect("write the SVG");
    println!("wrote {}", path.display());
}

/// Lines through `(x, y)` points, one per `(label, points)` series, with a legend.
pub fn line_chart(
    name: &str,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[(&str, Vec<(f64, f64)>)],
) {
    let path = figure_path(name);
    let root = SVGBackend::new(&path, (760, 480)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let points = series.iter().flat_map(|(_, points)| points.iter());
    let (x_max, y_max) = points.fold((1.0_f64, 0.0_f64), |(x, y), &(px, py)| {
        (x.max(px), y.max(py))
    });
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.5..x_max + 0.5, 0.0..y_max * 1.15)
        .expect("draw");
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(x_max as usize + 1)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()
        .expect("draw");
    for (i, (label, points)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .expect("draw")
            .label(*label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .expect("draw");
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .expect("draw");
    root.present().expect("write the SVG");
    println!("wrote {}", path.display());
}
