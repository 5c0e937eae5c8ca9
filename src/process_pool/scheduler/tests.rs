//! The scheduler's rules, with plain values for tasks and workers: no process, no
//! thread, no pipe. Each test drives the events a pool would see and reads the actions
//! back as short words ("write w1 t2").

use std::cell::Cell;

use super::*;
use crate::ExitCause;

/// A task: its number, its frame's size, and whether its future was cancelled.
struct FakeTask {
    number: u32,
    len: usize,
    cancelled: bool,
    claimed: Cell<bool>,
}

impl Payload<u64> for FakeTask {
    type Frame = u32;

    fn claim(&self) -> bool {
        self.claimed.set(true);
        !self.cancelled
    }

    fn assign(&self, _worker: &u64) -> u32 {
        self.number
    }

    fn frame_len(&self) -> usize {
        self.len
    }
}

type Fake = Scheduler<FakeTask, u64>;

const PIPE: usize = 64 * 1024;

fn limits(max_workers: usize) -> Limits {
    Limits {
        max_workers,
        max_tasks_per_child: None,
        task_time_limit: None,
    }
}

fn task(number: u32) -> FakeTask {
    FakeTask {
        number,
        len: 10,
        cancelled: false,
        claimed: Cell::new(false),
    }
}

/// The actions as words, in order.
fn words(actions: Actions<FakeTask, u64>) -> Vec<String> {
    actions
        .into_iter()
        .map(|action| match action {
            Action::Write(w, t) => format!("write w{w} t{t}"),
            Action::Close(w) => format!("close w{w}"),
            Action::Stop(w, stop) => format!("stop w{w} {stop:?}"),
            Action::Spawn(w) => format!("spawn w{w}"),
            Action::Fail(t, e) => format!("fail t{} {}", t.number, e.kind_name()),
            Action::Cancel(t) => format!("cancel t{}", t.number),
        })
        .collect()
}

/// Submits task `number`, and gives back what it called for.
fn submit(s: &mut Fake, number: u32) -> Vec<String> {
    let id = s.next_task_id();
    words(s.submit(id, task(number)).unwrap())
}

/// Worker `w` started and finished its handshake: what that called for.
fn ready(s: &mut Fake, w: u64) -> Vec<String> {
    assert!(words(s.worker_spawned(w, w)).is_empty());
    words(s.worker_ready(w, PIPE))
}

/// Task `id` finished on `w` after `run_time`: whether it was one of `w`'s, and
/// what followed.
fn finish(s: &mut Fake, w: u64, id: TaskId, run_time: Duration) -> (bool, Vec<String>) {
    let (task, actions) = s.task_finished(w, id, run_time);
    (task.is_some(), words(actions))
}

fn died(pid: u32, running: Option<TaskId>) -> WorkerExit {
    WorkerExit {
        pid,
        cause: ExitCause::Signaled(9),
        running,
        time_limited: None,
        killed_by_pool: false,
    }
}

const SHORT: Duration = Duration::from_micros(10);
const LONG: Duration = Duration::from_millis(10);

#[test]
fn tasks_go_to_idle_workers_first_and_workers_start_up_to_the_limit() {
    let mut s = Fake::new(limits(2));
    assert_eq!(submit(&mut s, 1), ["spawn w1"]);
    assert_eq!(submit(&mut s, 2), ["spawn w2"]);
    assert!(submit(&mut s, 3).is_empty(), "two workers at most");
    assert_eq!(ready(&mut s, 1), ["write w1 t1"]);
    assert_eq!(ready(&mut s, 2), ["write w2 t2"]);
    assert_eq!(
        finish(&mut s, 1, 1, LONG),
        (true, vec!["write w1 t3".into()])
    );
    assert_eq!(finish(&mut s, 2, 2, LONG), (true, vec![]));
    assert_eq!(finish(&mut s, 1, 3, LONG), (true, vec![]));
    assert!(s.is_idle());
}

#[test]
fn a_cancelled_task_is_skipped_and_never_sent() {
    let mut s = Fake::new(limits(1));
    assert_eq!(submit(&mut s, 1), ["spawn w1"]);
    let id = s.next_task_id();
    let cancelled = FakeTask {
        cancelled: true,
        ..task(2)
    };
    assert!(words(s.submit(id, cancelled).unwrap()).is_empty());
    submit(&mut s, 3);
    assert_eq!(ready(&mut s, 1), ["write w1 t1"]);
    assert_eq!(finish(&mut s, 1, 1, LONG).1, ["write w1 t3"]);
}

#[test]
fn a_task_id_the_worker_was_not_sent_changes_nothing() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    ready(&mut s, 1);
    assert_eq!(finish(&mut s, 1, 99, LONG), (false, vec![]));
    assert_eq!(
        finish(&mut s, 7, 1, LONG),
        (false, vec![]),
        "another worker"
    );
    assert_eq!(finish(&mut s, 1, 1, LONG), (true, vec![]));
}

/// How many tasks worker 1 has in flight after each short task finished, with 40
/// queued and one worker.
fn in_flight_after_short_tasks(len: usize) -> Vec<usize> {
    let mut s = Fake::new(limits(1));
    for number in 1..=40 {
        let id = s.next_task_id();
        let _ = s
            .submit(
                id,
                FakeTask {
                    len,
                    ..task(number)
                },
            )
            .unwrap();
    }
    let mut in_flight: Vec<TaskId> = Vec::new();
    let note = |actions: Vec<String>, in_flight: &mut Vec<TaskId>| {
        for word in actions {
            let number = word.strip_prefix("write w1 t").expect("only writes");
            in_flight.push(number.parse().unwrap());
        }
    };
    note(ready(&mut s, 1), &mut in_flight);
    let mut counts = Vec::new();
    for _ in 0..12 {
        let oldest = in_flight.remove(0);
        let (known, actions) = finish(&mut s, 1, oldest, SHORT);
        assert!(known);
        note(actions, &mut in_flight);
        counts.push(in_flight.len());
    }
    counts
}

#[test]
fn tasks_are_pipelined_only_after_a_streak_of_short_ones() {
    let counts = in_flight_after_short_tasks(10);
    let before = &counts[..SHORT_STREAK - 1];
    assert!(
        before.iter().all(|&n| n == 1),
        "unpipelined at first: {counts:?}"
    );
    assert_eq!(counts[SHORT_STREAK - 1], PIPELINE_DEPTH, "{counts:?}");
}

#[test]
fn large_frames_are_not_pipelined() {
    // Two frames of this size are over `PIPELINED_BYTES`: each waits for an idle worker.
    let counts = in_flight_after_short_tasks(PIPELINED_BYTES / 2 + 1);
    assert!(counts.iter().all(|&n| n == 1), "{counts:?}");
}

#[test]
fn one_long_task_ends_the_pipelining() {
    let mut s = Fake::new(limits(1));
    for number in 1..=60 {
        submit(&mut s, number);
    }
    ready(&mut s, 1);
    let mut next = 1;
    for _ in 0..SHORT_STREAK {
        finish(&mut s, 1, next, SHORT);
        next += 1;
    }
    // The streak reached: 16 in flight. A long one ends it: no new task is queued
    // behind the others until the worker is idle.
    let (_, after_long) = finish(&mut s, 1, next, LONG);
    assert!(after_long.is_empty(), "{after_long:?}");
}

#[test]
fn a_worker_that_dies_running_a_task_fails_only_that_task() {
    let mut s = Fake::new(limits(1));
    for number in 1..=20 {
        submit(&mut s, number);
    }
    ready(&mut s, 1);
    for id in 1..=SHORT_STREAK as u64 {
        finish(&mut s, 1, id, SHORT);
    }
    // Tasks 9.. are in flight; 9 is running when the worker dies.
    let actions = words(s.worker_exited(1, &died(4242, Some(9))));
    assert_eq!(actions, ["fail t9 WorkerDied", "spawn w2"]);
    // The others were innocent: resent, first in line, in their order.
    assert_eq!(ready(&mut s, 2)[0], "write w2 t10");
}

#[test]
fn a_suspect_that_keeps_killing_workers_fails_after_max_resends() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    for death in 1..=MAX_RESENDS + 1 {
        let worker = u64::from(death);
        assert_eq!(ready(&mut s, worker), [format!("write w{worker} t1")]);
        // Died before saying it started task 1: task 1 is the suspect.
        let actions = words(s.worker_exited(worker, &died(100 + death, None)));
        if death <= MAX_RESENDS {
            assert_eq!(actions, [format!("spawn w{}", worker + 1)], "death {death}");
        } else {
            assert_eq!(actions, ["fail t1 WorkerDied"], "death {death}");
        }
    }
    assert!(s.is_idle());
}

#[test]
fn a_worker_the_pool_killed_blames_none_of_its_unstarted_tasks() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    for death in 1..=MAX_RESENDS + 2 {
        let worker = u64::from(death);
        assert_eq!(ready(&mut s, worker), [format!("write w{worker} t1")]);
        let exit = WorkerExit {
            killed_by_pool: true,
            ..died(100, None)
        };
        let actions = words(s.worker_exited(worker, &exit));
        assert_eq!(actions, [format!("spawn w{}", worker + 1)], "never blamed");
    }
}

#[test]
fn the_time_limit_blames_the_task_it_fired_for() {
    let limit = Duration::from_secs(1);
    let mut s = Fake::new(Limits {
        task_time_limit: Some(limit),
        ..limits(1)
    });
    submit(&mut s, 1);
    ready(&mut s, 1);
    s.worker_retiring(1);
    // A retiring worker takes no task and does not count: its successor starts.
    assert_eq!(submit(&mut s, 2), ["spawn w2"]);
    let exit = WorkerExit {
        time_limited: Some(1),
        killed_by_pool: true,
        ..died(100, Some(1))
    };
    let actions = words(s.worker_exited(1, &exit));
    assert_eq!(actions, ["fail t1 TaskTimeLimit"]);
    assert_eq!(ready(&mut s, 2), ["write w2 t2"]);
}

#[test]
fn a_worker_retires_after_max_tasks_per_child() {
    let mut s = Fake::new(Limits {
        max_tasks_per_child: Some(2),
        ..limits(1)
    });
    for number in 1..=3 {
        submit(&mut s, number);
    }
    assert_eq!(ready(&mut s, 1), ["write w1 t1"]);
    assert_eq!(finish(&mut s, 1, 1, LONG).1, ["write w1 t2"]);
    // Its budget is spent: closed once idle. Its successor starts when it has exited
    // (as Python's does), so that the pool never runs more than max_workers.
    assert_eq!(finish(&mut s, 1, 2, LONG).1, ["close w1"]);
    let exit = WorkerExit {
        cause: ExitCause::Exited(0),
        ..died(100, None)
    };
    assert_eq!(words(s.worker_exited(1, &exit)), ["spawn w2"]);
    assert_eq!(ready(&mut s, 2), ["write w2 t3"]);
}

#[test]
fn shutdown_without_cancel_lets_queued_tasks_run_then_closes_idle_workers() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    submit(&mut s, 2);
    ready(&mut s, 1);
    assert!(words(s.shutdown(false)).is_empty(), "task 2 still waits");
    assert_eq!(s.submit(99, task(99)).err(), Some(Error::Shutdown));
    assert_eq!(finish(&mut s, 1, 1, LONG).1, ["write w1 t2"]);
    assert_eq!(finish(&mut s, 1, 2, LONG).1, ["close w1"]);
    assert!(s.is_idle());
}

#[test]
fn shutdown_with_cancel_futures_cancels_what_was_not_sent() {
    let mut s = Fake::new(limits(1));
    for number in 1..=3 {
        submit(&mut s, number);
    }
    ready(&mut s, 1);
    assert_eq!(words(s.shutdown(true)), ["cancel t2", "cancel t3"]);
    assert_eq!(finish(&mut s, 1, 1, LONG).1, ["close w1"]);
}

#[test]
fn shutdown_with_cancel_futures_keeps_a_task_being_resent() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    ready(&mut s, 1);
    // Worker 1 died before starting task 1: task 1 waits to be sent again, and its
    // future already says it runs.
    assert_eq!(words(s.worker_exited(1, &died(100, None))), ["spawn w2"]);
    assert!(words(s.shutdown(true)).is_empty());
    assert_eq!(ready(&mut s, 2), ["write w2 t1"]);
}

#[test]
fn a_worker_that_fails_to_start_breaks_the_pool() {
    let mut s = Fake::new(limits(2));
    submit(&mut s, 1);
    submit(&mut s, 2);
    submit(&mut s, 3);
    ready(&mut s, 1);
    let actions = words(s.worker_failed_to_start(2, "the initializer panicked"));
    assert_eq!(
        actions,
        [
            "stop w1 Term",
            "close w1",
            "fail t2 BrokenExecutor",
            "fail t3 BrokenExecutor",
            "fail t1 BrokenExecutor",
        ]
    );
    let refused = s.submit(9, task(9)).err();
    assert!(
        matches!(refused, Some(Error::BrokenExecutor { reason }) if reason == "the initializer panicked")
    );
    assert!(s.is_idle());
}

#[test]
fn terminate_stops_every_worker_and_starts_none() {
    let mut s = Fake::new(limits(2));
    for number in 1..=4 {
        submit(&mut s, number);
    }
    ready(&mut s, 1);
    // Worker 2's process exists; its handshake has not finished.
    assert!(words(s.worker_spawned(2, 2)).is_empty());
    let mut actions = words(s.terminate(Stop::Term));
    actions.sort();
    assert_eq!(
        actions,
        [
            "cancel t2",
            "cancel t3",
            "cancel t4",
            "stop w1 Term",
            "stop w2 Term"
        ]
    );
    let exit = WorkerExit {
        killed_by_pool: true,
        ..died(100, Some(1))
    };
    assert_eq!(words(s.worker_exited(1, &exit)), ["fail t1 WorkerDied"]);
    assert!(
        words(s.worker_failed_to_start(2, "killed")).is_empty(),
        "no failure"
    );
    assert!(s.is_idle());
}

#[test]
fn a_worker_spawned_after_terminate_is_killed_and_closed_when_ready() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    let _ = s.terminate(Stop::Kill);
    assert_eq!(words(s.worker_spawned(1, 1)), ["stop w1 Kill"]);
    assert_eq!(words(s.worker_ready(1, PIPE)), ["close w1"]);
}

#[test]
fn terminate_fails_tasks_that_wait_to_be_resent() {
    let mut s = Fake::new(limits(1));
    submit(&mut s, 1);
    ready(&mut s, 1);
    assert_eq!(words(s.worker_exited(1, &died(100, None))), ["spawn w2"]);
    assert_eq!(words(s.terminate(Stop::Kill)), ["fail t1 BrokenExecutor"]);
}

#[test]
fn a_dead_worker_is_replaced_only_while_tasks_wait() {
    let mut s = Fake::new(limits(2));
    submit(&mut s, 1);
    ready(&mut s, 1);
    finish(&mut s, 1, 1, LONG);
    assert!(words(s.worker_exited(1, &died(100, None))).is_empty());
    assert_eq!(submit(&mut s, 2), ["spawn w2"]);
}
