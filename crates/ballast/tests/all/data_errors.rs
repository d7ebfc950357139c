//! Price panels and windows: the rules of `data`, and bad input.

use crate::common::{daily_prices, fixture};
use ballast::data::{DataError, Incomplete, ReturnKind, WindowSpec};
use ballast::io::read_prices_str;
use jiff::civil::date;

fn bundled() -> ballast::data::PricePanel {
    daily_prices()
}

#[test]
fn default_window_reproduces_the_reference_universe() {
    let panel = bundled();
    assert_eq!(panel.assets().len(), 40);
    let w = panel.window(&WindowSpec::default()).unwrap();
    assert_eq!(w.n_rows(), 731);
    assert_eq!(w.dates[0], date(2024, 4, 18));
    assert_eq!(*w.dates.last().unwrap(), date(2026, 4, 26));
    assert_eq!(w.assets.len(), 39);
    assert_eq!(w.dropped, vec!["MATIC".to_string()]);
    // the 8 all-empty source rows are skipped, so 5 returns in the window span 2+ days
    let r = w.returns(ReturnKind::Simple);
    let multi = r
        .dates()
        .windows(2)
        .filter(|d| (d[1] - d[0]).get_days() > 1)
        .count()
        + usize::from((r.dates()[0] - w.dates[0]).get_days() > 1);
    assert_eq!(multi, 5);
    // matches the exact returns the peers used
    let refr = ballast::io::read_wide_returns(fixture("returns.csv"), ReturnKind::Simple, 365.0).unwrap();
    assert_eq!(r.dates(), refr.dates());
    assert_eq!(r.assets(), refr.assets());
    assert_eq!(r.as_column_major(), refr.as_column_major());
}

#[test]
fn listing_gaps_are_never_filled() {
    let panel = bundled();
    let sol = panel.asset_index("SOL").unwrap();
    assert_eq!(panel.first_valid_date(sol), Some(date(2020, 8, 11)));
    // SOL selected explicitly in a window before its listing: an error naming SOL and a date
    let spec = WindowSpec {
        assets: Some(vec!["BTC".into(), "SOL".into()]),
        returns: 100,
        end: Some(date(2020, 9, 1)),
        incomplete: Incomplete::Error,
    };
    match panel.window(&spec) {
        Err(DataError::MissingInWindow { asset, .. }) => assert_eq!(asset, "SOL"),
        other => panic!("expected MissingInWindow, got {other:?}"),
    }
    // MATIC ends 2024-09-09
    let spec = WindowSpec {
        assets: Some(vec!["MATIC".into(), "BTC".into()]),
        returns: 30,
        ..WindowSpec::default()
    };
    let e = panel.window(&spec).unwrap_err().to_string();
    assert!(e.contains("MATIC") && e.contains("no price"), "{e}");
    // a window that ends while MATIC still traded is fine
    let spec = WindowSpec {
        end: Some(date(2024, 9, 9)),
        ..spec
    };
    assert_eq!(panel.window(&spec).unwrap().assets.len(), 2);
}

#[test]
fn log_returns_option() {
    let text = "date,A\n2024-01-01,100\n2024-01-02,110\n2024-01-03,99\n";
    let panel = read_prices_str(text, "t.csv").unwrap();
    let w = panel
        .window(&WindowSpec {
            returns: 2,
            ..WindowSpec::default()
        })
        .unwrap();
    let s = w.returns(ReturnKind::Simple);
    let l = w.returns(ReturnKind::Log);
    assert!((s.column(0)[0] - 0.1).abs() < 1e-15);
    assert!((l.column(0)[1] - (99.0f64 / 110.0).ln()).abs() < 1e-15);
}

#[test]
fn loader_errors_carry_file_line_column() {
    let cases = [
        ("date,A,B\n2024-01-01,1,2\n2024-01-02,1,x\n", "t.csv:3:3"),
        ("date,A,B\n2024-01-01,1,2\n2024-01-02,1,-2\n", "not positive"),
        ("date,A,B\n2024-01-01,1,2\n2024-01-02,NaN,2\n", "t.csv:3:2"),
        (
            "date,A,B\n2024-01-02,1,2\n2024-01-01,1,2\n2024-01-03,1,2\n",
            "t.csv:4: dates must run in one direction",
        ),
        ("date,A,B\n2024-01-01,1,2\n2024-01-01,1,2\n", "duplicate date"),
        ("date,A,A\n2024-01-01,1,2\n", "duplicate asset"),
        ("date,A,B\n2024-01-01,1\n", "fields"),
        ("", "empty"),
        ("date,A,B\n", "no data rows"),
        (
            "date,asset,close\n2024-01-01,A,1\n2024-01-01,A,2\n",
            "lines 2 and 3: two prices of A on 2024-01-01",
        ),
    ];
    for (text, needle) in cases {
        let e = read_prices_str(text, "t.csv").unwrap_err().to_string();
        assert!(e.contains(needle), "{text:?}: '{e}' lacks '{needle}'");
    }
}

#[test]
fn window_errors() {
    let text = "date,A,B\n2024-01-01,1,2\n2024-01-02,1.1,2.1\n2024-01-03,1.2,2.0\n";
    let panel = read_prices_str(text, "t.csv").unwrap();
    let e = panel
        .window(&WindowSpec {
            returns: 5,
            ..WindowSpec::default()
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            DataError::WindowTooLong {
                requested: 5,
                available: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = panel
        .window(&WindowSpec {
            returns: 1,
            ..WindowSpec::default()
        })
        .unwrap_err();
    assert!(matches!(e, DataError::WindowLength(1)));
    let e = panel
        .window(&WindowSpec {
            returns: ballast::data::MAX_WINDOW + 1,
            ..WindowSpec::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("between 2 and 10000"), "{e}");
    let e = panel
        .window(&WindowSpec {
            assets: Some(vec!["C".into()]),
            returns: 2,
            ..WindowSpec::default()
        })
        .unwrap_err();
    assert!(matches!(e, DataError::UnknownAsset { .. }));
}

#[test]
fn rows_empty_for_the_selection_are_dropped() {
    // B has a price on 01-03 but A does not: for A alone that row is skipped
    let text = "date,A,B\n2024-01-01,1,2\n2024-01-02,1.1,2.1\n2024-01-03,,2.0\n2024-01-04,1.2,2.2\n";
    let panel = read_prices_str(text, "t.csv").unwrap();
    let w = panel
        .window(&WindowSpec {
            assets: Some(vec!["A".into()]),
            returns: 2,
            ..WindowSpec::default()
        })
        .unwrap();
    assert_eq!(
        w.dates,
        vec![date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 4)]
    );
    // for A and B together the row is kept and A's gap is an error
    let e = panel
        .window(&WindowSpec {
            assets: Some(vec!["A".into(), "B".into()]),
            returns: 2,
            ..WindowSpec::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("'A' has no price on 2024-01-03"), "{e}");
}
