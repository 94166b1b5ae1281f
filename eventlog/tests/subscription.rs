//! Subscriptions: catch up from disk, then live, in order, without gap or duplicate, and
//! never a brake on the writer.

mod common;

use std::time::Duration;

use common::{open, single};
use eventlog::ExpectedVersion;
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_catches_up_then_goes_live_without_gap_or_duplicate() {
    let dir = common::store();
    let log = open(dir.path());
    for _ in 0..50 {
        log.append(single("action-p1.a", ExpectedVersion::Any, 3))
            .await
            .unwrap();
    }
    let mut subscription = log.subscribe(1);
    // Writers keep appending while the subscriber catches up and then follows.
    let writer = {
        let log = log.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                let stream = format!("action-p1.w{}", i % 4);
                log.append(single(&stream, ExpectedVersion::Any, 1 + i % 3))
                    .await
                    .unwrap();
            }
        })
    };
    writer.await.unwrap();
    let total = log.head().position;
    for expected in 1..=total {
        let envelope = tokio::time::timeout(Duration::from_secs(30), subscription.next())
            .await
            .expect("the subscription delivers")
            .unwrap();
        assert_eq!(envelope.position, expected);
    }
    assert_eq!(subscription.try_next().unwrap(), None);
    // A new append wakes the waiting subscriber.
    let waiting = tokio::spawn(async move { subscription.next().await.map(|e| e.position) });
    log.append(single("action-p1.a", ExpectedVersion::Any, 1))
        .await
        .unwrap();
    let position = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("woken up")
        .unwrap()
        .unwrap();
    assert_eq!(position, total + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_does_not_hold_the_writer_and_reads_everything_from_disk() {
    let dir = common::store();
    let log = open(dir.path());
    let mut subscription = log.subscribe(1);
    // The subscriber reads nothing while 5 000 events are appended: appends complete anyway.
    for _ in 0..50 {
        log.append(single("action-p1.a", ExpectedVersion::Any, 100))
            .await
            .unwrap();
    }
    assert_eq!(log.head().position, 5_000);
    let mut expected = 1;
    while expected <= 5_000 {
        let envelope = subscription.next().await.unwrap();
        assert_eq!(envelope.position, expected);
        expected += 1;
    }
}

#[tokio::test]
async fn subscription_from_a_position_starts_there_and_works_as_a_stream() {
    let dir = common::store();
    let log = open(dir.path());
    log.append(single("action-p1.a", ExpectedVersion::Any, 10))
        .await
        .unwrap();
    let subscription = log.subscribe(8);
    assert_eq!(subscription.next_position(), 8);
    let positions: Vec<u64> = subscription
        .into_stream()
        .take(3)
        .map(|e| e.unwrap().position)
        .collect()
        .await;
    assert_eq!(positions, vec![8, 9, 10]);
}

#[test]
fn a_subscription_only_sees_acknowledged_events() {
    let dir = common::store();
    let log = open(dir.path());
    let mut subscription = log.subscribe(1);
    assert_eq!(subscription.try_next().unwrap(), None);
    let outcome = log
        .append_blocking(single("action-p1.a", ExpectedVersion::Any, 2))
        .unwrap();
    assert_eq!(
        subscription.try_next().unwrap().unwrap().position,
        outcome.first_position
    );
    assert_eq!(
        subscription.try_next().unwrap().unwrap().position,
        outcome.last_position
    );
    assert_eq!(subscription.try_next().unwrap(), None);
}
