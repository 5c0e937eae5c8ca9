//! What the prime checkers must print: the oracle (each number and whether it is
//! prime, written out by hand) and strict parsers for the result lines and times.

/// The book's numbers and whether each is prime: the oracle, written out by hand.
pub const BOOK: [(u64, bool); 20] = [
    (2, true),
    (142702110479723, true),
    (299593572317531, true),
    (3333333333333301, true),
    (3333333333333333, false),
    (3333335652092209, false), // 57735047²
    (4444444444444423, true),
    (4444444444444444, false),
    (4444444488888889, false), // 66666667²
    (5555553133149889, false), // 74535583²
    (5555555555555503, true),
    (5555555555555555, false),
    (6666666666666666, false),
    (6666666666666719, true),
    (6666667141414921, false), // 81649661²
    (7777777536340681, false), // 88191709²
    (7777777777777753, true),
    (7777777777777777, false),
    (9999999999999917, true),
    (9999999999999999, false),
];

/// The `--quick` numbers.
pub const QUICK: [(u64, bool); 20] = [
    (2, true),
    (14270210959, true),
    (29959357229, true),
    (333333333323, true),
    (333333333333, false),
    (333331867801, false), // 577349²
    (444444444443, true),
    (444444444444, false),
    (444420889201, false), // 666649²
    (555536187649, false), // 745343²
    (555555555551, true),
    (555555555555, false),
    (666666666666, false),
    (666666666619, true),
    (666621627961, false), // 816469²
    (777777594889, false), // 881917²
    (777777777773, true),
    (777777777777, false),
    (999999999989, true),
    (999999999999, false),
];

/// Parses `{n:16}  {P or space} {elapsed:9.6}s` strictly.
pub fn parse_line(line: &str) -> (u64, bool) {
    assert_eq!(line.len(), 30, "not a result line: {line:?}");
    let n = line[..16]
        .trim_start()
        .parse()
        .expect("n, right-aligned in 16");
    assert_eq!(&line[16..18], "  ", "{line:?}");
    let prime = match &line[18..19] {
        "P" => true,
        " " => false,
        other => panic!("label {other:?} in {line:?}"),
    };
    assert_eq!(&line[19..20], " ", "{line:?}");
    check_seconds(&line[20..], 9, 6);
    (n, prime)
}

/// Checks that `text` is a time like `{:width.decimals}s`.
pub fn check_seconds(text: &str, width: usize, decimals: usize) {
    let number = text.strip_suffix('s').expect("ends with s");
    assert!(number.len() >= width, "{text:?} narrower than {width}");
    let (_, fraction) = number
        .trim_start()
        .split_once('.')
        .expect("a decimal point");
    assert_eq!(fraction.len(), decimals, "{text:?}");
    let seconds: f64 = number.trim_start().parse().expect("seconds");
    assert!(seconds >= 0.0);
}

/// Checks the 20 result lines, in list order if `ordered`, in any order otherwise.
pub fn check_results(lines: &[&str], expected: &[(u64, bool)], ordered: bool) {
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    let mut results: Vec<(u64, bool)> = lines.iter().map(|line| parse_line(line)).collect();
    let mut expected = expected.to_vec();
    if !ordered {
        results.sort_unstable();
        expected.sort_unstable();
    }
    assert_eq!(results, expected);
}
