//! The price-file formats people export, each loaded or refused with a message that says how
//! to fix it (README "Price files").

use ballast::io::{read_prices, read_prices_str, read_volumes};
use jiff::civil::date;

fn load(text: &str, file: &str) -> ballast::data::PricePanel {
    read_prices_str(text, file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn err(text: &str, file: &str) -> String {
    read_prices_str(text, file)
        .err()
        .unwrap_or_else(|| panic!("{file} should be refused"))
        .to_string()
}

#[test]
fn midnight_timestamps_are_days_and_intraday_is_refused_in_every_spelling() {
    for stamp in [
        "T00:00:00Z",
        " 00:00:00",
        " 00:00:00 UTC",
        "T00:00:00.000+00:00",
        "",
    ] {
        let text = format!("date,BTC\n2025-03-22{stamp},100\n2025-03-23{stamp},101\n");
        let p = load(&text, "t.csv");
        assert_eq!(p.dates(), &[date(2025, 3, 22), date(2025, 3, 23)], "{stamp}");
    }
    for stamp in ["T12:00:00Z", " 12:00:00", " 00:00:01 UTC"] {
        let text = format!("date,BTC\n2025-03-22{stamp},100\n");
        let e = err(&text, "t.csv");
        assert!(e.contains("t.csv:2:1") && e.contains("intraday"), "{stamp}: {e}");
    }
    let e = err("date,BTC\n2025-03-22T00:00:00+02:00,100\n", "t.csv");
    assert!(e.contains("UTC"), "{e}");
}

#[test]
fn newest_first_files_are_turned_around() {
    let p = load(
        "date,BTC,ETH\n2025-03-23,3,30\n2025-03-22,2,20\n2025-03-21,1,\n",
        "t.csv",
    );
    assert_eq!(p.dates()[0], date(2025, 3, 21));
    assert_eq!(p.price(0, 0), Some(1.0));
    assert_eq!(p.price(0, 1), None);
    assert_eq!(p.price(2, 1), Some(30.0));
}

#[test]
fn exports_of_coingecko_yahoo_and_european_spreadsheets() {
    // CoinGecko: "snapped_at" style midnight UTC stamps, long format date,symbol,price
    let p = load(
        "date,symbol,price\n2025-03-23 00:00:00 UTC,BTC,84000.5\n2025-03-22 00:00:00 UTC,BTC,83000\n\
         2025-03-22 00:00:00 UTC,ETH,2000\n",
        "cg.csv",
    );
    assert_eq!(p.assets(), &["BTC".to_string(), "ETH".to_string()]);
    assert_eq!(p.price(1, 0), Some(84000.5));
    assert_eq!(p.price(1, 1), None);
    // Yahoo: one coin's bars, `null` for a missing day, named after the file, read at the close
    let p = load(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2025-03-21,1,2,0.5,1.5,1.5,100\n\
         2025-03-22,null,null,null,null,null,null\n2025-03-23,1.5,2,1,1.8,1.8,90\n",
        "/tmp/BTC-USD.csv",
    );
    assert_eq!(p.assets(), &["BTC".to_string()]);
    assert_eq!(p.price(0, 0), Some(1.5));
    assert_eq!(p.price(1, 0), None);
    // CoinGecko: one coin's price, market cap and volume, "… UTC" midnight timestamps
    let p = load(
        "snapped_at,price,market_cap,total_volume\n2025-03-21 00:00:00 UTC,84000.1,1.6e12,3e10\n\
         2025-03-22 00:00:00 UTC,84500.2,1.61e12,2.9e10\n",
        "/tmp/btc-usd-max.csv",
    );
    assert_eq!(p.assets(), &["BTC".to_string()]);
    assert_eq!(p.price(1, 0), Some(84500.2));
    // `;`-delimited
    let p = load("date;BTC;ETH\n2025-03-22;100;10\n2025-03-23;101;11\n", "eu.csv");
    assert_eq!(p.assets().len(), 2);
    // decimal commas are refused with the fix
    let e = err("date;BTC\n2025-03-22;100,5\n", "eu.csv");
    assert!(e.contains("eu.csv:2:2") && e.contains("decimal"), "{e}");
    // a stablecoin's file keeps its name
    let p = load("date,close\n2025-03-22,1.0\n", "TUSD.csv");
    assert_eq!(p.assets(), &["TUSD".to_string()]);
    // CryptoDataDownload: a banner line, newest first, several columns
    let p = load(
        "https://www.CryptoDataDownload.com\nunix,date,symbol,open,high,low,close,Volume BTC,Volume USDT,tradecount\n\
         1742688000000,2025-03-23 00:00:00,BTC/USDT,1,2,0.5,1.8,10,18,5\n\
         1742601600000,2025-03-22 00:00:00,BTC/USDT,1,2,0.5,1.5,10,15,5\n",
        "Binance_BTCUSDT_d.csv",
    );
    assert_eq!(p.assets(), &["BTC".to_string()]);
    assert_eq!(p.dates()[0], date(2025, 3, 22));
    assert_eq!(p.price(1, 0), Some(1.8));
}

#[test]
fn unreadable_formats_say_what_to_do() {
    for (text, file, needle) in [
        ("date,symbol,volume\n2025-03-22,BTC,5\n", "l.csv", "'close'"),
        ("Open,High,Low,Close\n1,2,0.5,1.5\n", "b.csv", "'date'"),
        ("date,BTC\n2025-03-22,NaN\n", "n.csv", "n.csv:2:2"),
        ("date,BTC\n2025-03-22,0\n", "z.csv", "not positive"),
        ("date,BTC\n22/03/2025,1\n", "d.csv", "YYYY-MM-DD"),
    ] {
        let e = err(text, file);
        assert!(e.contains(needle), "{file}: '{e}' lacks '{needle}'");
    }
    let e = read_prices("/tmp/prices.xlsx").unwrap_err().to_string();
    assert!(e.contains("save it as CSV"), "{e}");
}

#[test]
fn a_folder_of_ohlcv_files_is_one_panel_with_real_gaps() {
    let dir = crate::common::data_path("crypto_daily_ohlcv");
    let folder = read_prices(&dir).unwrap();
    let wide = crate::common::daily_prices();
    // the same coins, and wherever both have a price it is the same close
    let mut a = folder.assets().to_vec();
    let mut b = wide.assets().to_vec();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let btc_f = folder.asset_index("BTC").unwrap();
    let btc_w = wide.asset_index("BTC").unwrap();
    let mut checked = 0;
    for (r, d) in wide.dates().iter().enumerate() {
        if let (Ok(rf), Some(pw)) = (folder.dates().binary_search(d), wide.price(r, btc_w)) {
            assert_eq!(folder.price(rf, btc_f), Some(pw), "{d}");
            checked += 1;
        }
    }
    assert!(checked > 1000);
    // USD volumes from the same folder: the quote volume column, ≥ 0
    let v = read_volumes(&dir).unwrap();
    assert_eq!(v.assets(), folder.assets());
    assert!((0..v.dates().len()).all(|r| v.price(r, btc_f).is_none_or(|x| x >= 0.0)));
}
