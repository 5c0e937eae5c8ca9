//! Stress tests of the `Future` state machine's races, in place of a loom model.
//!
//! Each test runs thousands of rounds. In every round a set of threads, released
//! together by a `Barrier`, hits one fresh future with racing operations: `cancel`,
//! `set_running_or_notify_cancel`, `set_result` / `set_exception`,
//! `add_done_callback`, and the waiter registrations behind `wait` / `as_completed`
//! and `result`. After the round the invariants are checked:
//! - exactly one of `cancel` and `set_running_or_notify_cancel` wins;
//! - exactly one completion wins, and the others get `InvalidState` / `false`;
//! - every callback runs exactly once, in the completing or the registering thread;
//! - every `wait`, `as_completed` and blocked `result` is told, once;
//! - the outcome, once seen, never changes, and `done()` agrees with `state()`.
//!
//! Why this gives the assurance a model checker would, for this design: every state
//! transition, every callback/waiter registration and every callback/waiter
//! hand-over happens inside one critical section of the future's single lock, and
//! nothing foreign (callbacks, other futures' or waiters' locks) runs while it is
//! held. The races therefore reduce to the order in which the racing threads take
//! that lock, and each round here explores one such order; the lock-free reads
//! (`done`, `state`, `result`'s fast path) read values published after the outcome
//! is written. See docs/architecture.md.

mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use concurrent_futures::{
    as_completed, wait, DoneAndNotDone, Error, Future, FutureState, ReturnWhen,
};
use fixtures::LONG;

const ROUNDS: usize = 3000;

/// `std::sync::Barrier`, except that it cannot hang the suite: a wait gives up after
/// [`LONG`], and once a thread panics every other waiter panics too, so the test
/// fails with the first thread's message instead of blocking forever.
struct Barrier {
    state: parking_lot::Mutex<BarrierState>,
    turned: parking_lot::Condvar,
    parties: usize,
}

struct BarrierState {
    arrived: usize,
    generation: u64,
    broken: bool,
}

impl Barrier {
    fn new(parties: usize) -> Barrier {
        Barrier {
            state: parking_lot::Mutex::new(BarrierState {
                arrived: 0,
                generation: 0,
                broken: false,
            }),
            turned: parking_lot::Condvar::new(),
            parties,
        }
    }

    fn wait(&self) {
        let mut state = self.state.lock();
        assert!(!state.broken, "another racing thread failed");
        state.arrived += 1;
        if state.arrived == self.parties {
            state.arrived = 0;
            state.generation += 1;
            self.turned.notify_all();
            return;
        }
        let generation = state.generation;
        while state.generation == generation {
            assert!(!state.broken, "another racing thread failed");
            if self.turned.wait_for(&mut state, LONG).timed_out() {
                panic!("a racing thread never reached the barrier");
            }
        }
    }

    /// Breaks the barrier if the calling thread panics while this guard lives.
    fn guard(&self) -> BreakOnPanic<'_> {
        BreakOnPanic(self)
    }
}

struct BreakOnPanic<'a>(&'a Barrier);

impl Drop for BreakOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.state.lock().broken = true;
            self.0.turned.notify_all();
        }
    }
}

fn fresh(rounds: usize) -> Vec<Future<u64>> {
    (0..rounds).map(|_| Future::new()).collect()
}

fn counters(rounds: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect())
}

/// Spins (politely) until `f` is done, then checks that every view of it agrees.
fn spin_until_done_and_check(f: &Future<u64>) -> Result<u64, Error> {
    let deadline = Instant::now() + LONG;
    let mut spins = 0_u32;
    while !f.done() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            assert!(Instant::now() < deadline, "never done");
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
    // Read the state right after `done()` said yes: it must already be final.
    let state = f.state();
    let cancelled = f.cancelled();
    assert!(state.is_done(), "done() but state() is {state:?}");
    let outcome = f.result_timeout(Duration::ZERO).copied();
    assert_eq!(cancelled, outcome == Err(Error::Cancelled), "{state:?}");
    outcome
}

#[test]
fn cancel_races_start_complete_callbacks_and_waiters() {
    let futures = fresh(ROUNDS);
    let callbacks = counters(ROUNDS);
    let barrier = Barrier::new(6);
    let results = Mutex::new(vec![(false, Ok(false)); ROUNDS]);
    std::thread::scope(|s| {
        // The executor: start the task, and if it was not cancelled, finish it.
        s.spawn(|| {
            let _guard = barrier.guard();
            for (r, f) in futures.iter().enumerate() {
                barrier.wait();
                let started = f.set_running_or_notify_cancel();
                if started == Ok(true) {
                    assert!(!f.cancel(), "cancelled a running future");
                    f.set_result(r as u64).unwrap();
                }
                results.lock().unwrap()[r].1 = started;
            }
        });
        // The user: cancel.
        s.spawn(|| {
            let _guard = barrier.guard();
            for (r, f) in futures.iter().enumerate() {
                barrier.wait();
                let cancelled = f.cancel();
                results.lock().unwrap()[r].0 = cancelled;
            }
        });
        // Callbacks registered while the others race.
        s.spawn(|| {
            let _guard = barrier.guard();
            for (r, f) in futures.iter().enumerate() {
                barrier.wait();
                for _ in 0..2 {
                    let counters = Arc::clone(&callbacks);
                    f.add_done_callback(move |_: &Future<u64>| {
                        counters[r].fetch_add(1, Ordering::SeqCst);
                    });
                }
            }
        });
        // wait() and as_completed() registering their waiters while the others race.
        s.spawn(|| {
            let _guard = barrier.guard();
            for f in &futures {
                barrier.wait();
                let DoneAndNotDone { done, not_done } =
                    wait([f], Some(LONG), ReturnWhen::FirstCompleted);
                assert!(done.contains(f) && not_done.is_empty(), "wait was not told");
                let yielded: Vec<_> = as_completed([f, f]).collect();
                assert_eq!(yielded, vec![f.clone()]);
            }
        });
        // A blocked result() and a spinning reader.
        s.spawn(|| {
            let _guard = barrier.guard();
            for f in &futures {
                barrier.wait();
                let blocked = f.result_timeout(LONG).copied();
                assert_ne!(blocked, Err(Error::Timeout));
                assert_eq!(spin_until_done_and_check(f), blocked);
            }
        });
        s.spawn(|| {
            let _guard = barrier.guard();
            for f in &futures {
                barrier.wait();
                let seen = spin_until_done_and_check(f);
                assert_eq!(f.result().copied(), seen, "the outcome changed");
            }
        });
    });
    let results = results.into_inner().unwrap();
    let mut cancel_won = 0;
    for (r, f) in futures.iter().enumerate() {
        let (cancelled, started) = &results[r];
        match (cancelled, started) {
            (true, Ok(false)) => {
                cancel_won += 1;
                assert_eq!(f.state(), FutureState::Cancelled);
                assert_eq!(f.result(), Err(Error::Cancelled));
            }
            (false, Ok(true)) => {
                assert_eq!(f.state(), FutureState::Finished);
                assert_eq!(f.result(), Ok(&(r as u64)));
            }
            other => panic!("round {r}: cancel and start both won or both lost: {other:?}"),
        }
        assert_eq!(
            callbacks[r].load(Ordering::SeqCst),
            2,
            "round {r}: callbacks did not run exactly once each"
        );
    }
    // Not an invariant, but a sign the rounds really raced: report the split.
    eprintln!("cancel won {cancel_won} of {ROUNDS} rounds");
}

#[test]
fn exactly_one_completion_wins() {
    let futures = fresh(ROUNDS);
    let callbacks = counters(ROUNDS);
    let winners = counters(ROUNDS);
    let barrier = Barrier::new(5);
    std::thread::scope(|s| {
        for who in 0..4_u64 {
            let (futures, winners, barrier) = (&futures, &winners, &barrier);
            s.spawn(move || {
                let _guard = barrier.guard();
                for (r, f) in futures.iter().enumerate() {
                    barrier.wait();
                    let won = match who {
                        0 | 1 => f.set_result(who).is_ok(),
                        2 => f
                            .set_exception(Error::Panicked {
                                message: "2".into(),
                            })
                            .is_ok(),
                        _ => f.cancel(),
                    };
                    if won {
                        winners[r].fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        s.spawn(|| {
            let _guard = barrier.guard();
            for (r, f) in futures.iter().enumerate() {
                barrier.wait();
                let counters = Arc::clone(&callbacks);
                f.add_done_callback(move |_: &Future<u64>| {
                    counters[r].fetch_add(1, Ordering::SeqCst);
                });
                // Whatever won, the outcome seen now never changes afterwards.
                let first = f.result_timeout(LONG).copied();
                assert_eq!(f.result().copied(), first);
            }
        });
    });
    for (r, f) in futures.iter().enumerate() {
        assert_eq!(winners[r].load(Ordering::SeqCst), 1, "round {r}");
        assert_eq!(callbacks[r].load(Ordering::SeqCst), 1, "round {r}");
        assert!(f.done());
        // The losers were refused, so the outcome is the winner's.
        match f.result() {
            Ok(v) => assert!(*v == 0 || *v == 1),
            Err(Error::Cancelled) => assert!(f.cancelled()),
            Err(Error::Panicked { message }) => assert_eq!(message, "2"),
            Err(other) => panic!("round {r}: unexpected {other:?}"),
        }
    }
}

#[test]
fn callbacks_added_while_completing_run_once_in_one_of_the_two_threads() {
    let futures = fresh(ROUNDS);
    let barrier = Barrier::new(3);
    type Runs = Arc<Mutex<Vec<Vec<(ThreadId, usize)>>>>;
    let runs: Runs = Arc::new(Mutex::new(vec![Vec::new(); ROUNDS]));
    let adders: Mutex<Vec<Option<ThreadId>>> = Mutex::new(vec![None; ROUNDS]);
    let completers: Mutex<Vec<Option<ThreadId>>> = Mutex::new(vec![None; ROUNDS]);
    std::thread::scope(|s| {
        for adder in 0..2 {
            let (futures, barrier, runs, adders, completers) =
                (&futures, &barrier, &runs, &adders, &completers);
            s.spawn(move || {
                let _guard = barrier.guard();
                let me = std::thread::current().id();
                for (r, f) in futures.iter().enumerate() {
                    barrier.wait();
                    if adder == 0 {
                        adders.lock().unwrap()[r] = Some(me);
                        for i in 0..3 {
                            let runs = Arc::clone(runs);
                            f.add_done_callback(move |_: &Future<u64>| {
                                runs.lock().unwrap()[r].push((std::thread::current().id(), i));
                            });
                        }
                    } else {
                        completers.lock().unwrap()[r] = Some(me);
                        f.set_result(1).unwrap();
                    }
                }
            });
        }
        s.spawn(|| {
            let _guard = barrier.guard();
            for _ in 0..ROUNDS {
                barrier.wait();
            }
        });
    });
    let runs = std::mem::take(&mut *runs.lock().unwrap());
    let adders = adders.into_inner().unwrap();
    let completers = completers.into_inner().unwrap();
    for r in 0..ROUNDS {
        // The callbacks added before the completion (a prefix 0..k) run in the
        // completing thread, in order; the rest (k..3) run at once in the adding
        // thread, in order. The two groups may interleave in time, as in Python.
        let by = |thread: Option<ThreadId>| -> Vec<usize> {
            runs[r]
                .iter()
                .filter(|&&(t, _)| Some(t) == thread)
                .map(|&(_, i)| i)
                .collect()
        };
        let (completer, adder) = (by(completers[r]), by(adders[r]));
        assert_eq!(
            completer.len() + adder.len(),
            runs[r].len(),
            "round {r}: a callback ran in a third thread"
        );
        let k = completer.len();
        assert_eq!(completer, (0..k).collect::<Vec<_>>(), "round {r}");
        assert_eq!(adder, (k..3).collect::<Vec<_>>(), "round {r}");
    }
}

#[test]
fn waiters_are_told_exactly_once_under_racing_completions() {
    // Many futures, completed from two threads in an interleaved order while
    // as_completed and wait watch them: each is yielded once, none is missed.
    for _ in 0..200 {
        let futures = fresh(64);
        let barrier = Barrier::new(4);
        std::thread::scope(|s| {
            for half in 0..2 {
                let (futures, barrier) = (&futures, &barrier);
                s.spawn(move || {
                    let _guard = barrier.guard();
                    barrier.wait();
                    for (i, f) in futures.iter().enumerate() {
                        if i % 2 == half {
                            if i % 3 == 0 {
                                assert!(f.cancel());
                            } else {
                                f.set_result(i as u64).unwrap();
                            }
                        }
                    }
                });
            }
            s.spawn(|| {
                let _guard = barrier.guard();
                barrier.wait();
                let mut seen = vec![0_u8; futures.len()];
                for f in as_completed(&futures) {
                    let i = futures.iter().position(|g| *g == f).unwrap();
                    seen[i] += 1;
                }
                assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
            });
            s.spawn(|| {
                let _guard = barrier.guard();
                barrier.wait();
                let DoneAndNotDone { done, not_done } =
                    wait(&futures, Some(LONG), ReturnWhen::AllCompleted);
                assert_eq!(done.len(), futures.len());
                assert!(not_done.is_empty());
            });
        });
    }
}
