//! `kernelscope::decimal::parse` on well-formed and malformed numbers: natively it is Rust's
//! parser, in the browser JavaScript's, and both must give these values.

use kernelscope::decimal::parse;

pub fn check_decimals() {
    let accepted = [
        ("1", 1.0),
        ("-2.5", -2.5),
        ("+0.75", 0.75),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("2.5E-3", 0.0025),
        ("-7e+2", -700.0),
        ("0.1", 0.1),
        ("0.30000000000000004", 0.30000000000000004),
        ("1.7976931348623157e308", f64::MAX),
        ("4.9e-324", 4.9e-324),
        ("1e400", f64::INFINITY),
    ];
    for (text, expected) in accepted {
        let value = parse(text);
        assert_eq!(
            value.map(f64::to_bits),
            Some(expected.to_bits()),
            "{text}: {value:?}"
        );
    }
    assert!(parse("-0").is_some_and(|x| x == 0.0 && x.is_sign_negative()));
    for text in [
        "", ".", "+", "-", "e5", "1e", "1e+", "1e-", "1.2.3", "--1", "1e5e5", " 1", "1 ", "1.5abc",
        "1,5", "0x10", "inf", "-inf", "infinity", "Infinity", "NaN", "nan", "1_000", "١", "½",
    ] {
        assert_eq!(parse(text), None, "{text:?} is not a decimal number");
    }
}
