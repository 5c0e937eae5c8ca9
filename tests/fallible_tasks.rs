//! Tasks that return `Result`: `submit_fallible` turns their `Err` into
//! `Error::Failed`, as a Python task's exception fails its future.

use std::num::ParseIntError;
use std::time::Duration;

use concurrent_futures::{Error, TaskError, ThreadPoolExecutor};

#[cfg(target_os = "linux")]
concurrent_futures::init_before_main!();

const PATIENCE: Duration = Duration::from_secs(60);

fn parse(text: String) -> Result<u32, ParseIntError> {
    text.parse()
}

#[test]
fn a_thread_task_error_fails_its_future_and_keeps_its_value() {
    let pool = ThreadPoolExecutor::with_max_workers(2).unwrap();
    let ok = pool.submit_fallible(|| parse("42".into())).unwrap();
    assert_eq!(ok.result_timeout(PATIENCE), Ok(&42));
    assert!(format!("{ok:?}").ends_with("state=finished returned u32>"));

    let bad = pool.submit_fallible(|| parse("BR".into())).unwrap();
    let Err(Error::Failed(error)) = bad.result_timeout(PATIENCE) else {
        panic!("expected Error::Failed, got {bad:?}");
    };
    assert_eq!(error.message(), "invalid digit found in string");
    assert!(
        error.downcast_ref::<ParseIntError>().is_some(),
        "the original error is kept"
    );
    assert!(std::error::Error::source(&error).is_some());
    assert_eq!(
        bad.exception_timeout(PATIENCE),
        Ok(Some(Error::Failed(error.clone())))
    );
    assert!(format!("{bad:?}").ends_with("state=finished raised Failed>"));
    assert_eq!(
        Error::Failed(error).to_string(),
        "the task failed: invalid digit found in string"
    );

    // String errors work too (anything that converts into a boxed error).
    let text = pool
        .submit_fallible(|| -> Result<(), String> { Err("no flag".into()) })
        .unwrap();
    assert_eq!(
        text.result_timeout(PATIENCE),
        Err(Error::Failed(TaskError::from_message("no flag")))
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_process_task_error_comes_back_as_its_message() {
    let pool = concurrent_futures::ProcessPoolExecutor::with_max_workers(1).unwrap();
    assert_eq!(
        pool.submit_fallible(parse, "7".into())
            .unwrap()
            .result_timeout(PATIENCE),
        Ok(&7)
    );
    let bad = pool.submit_fallible(parse, "BR".into()).unwrap();
    match bad.result_timeout(PATIENCE) {
        Err(Error::Failed(error)) => {
            assert_eq!(error.message(), "invalid digit found in string");
            assert!(
                error.downcast_ref::<ParseIntError>().is_none(),
                "only the message crosses"
            );
        }
        other => panic!("expected Error::Failed, got {other:?}"),
    }
}
