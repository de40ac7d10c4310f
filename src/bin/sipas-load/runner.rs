//! Closed loops (each connection sends its next flow when the last is answered) and
//! open loops (flows start at their planned times whatever the server does, and each
//! is timed from its planned start, so a stall is not hidden: coordinated omission).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::SeedableRng;
use tokio::sync::Mutex;

use crate::client::{Conn, Wire};
use crate::flows::{Flow, NO_RECEIPT_LEFT, Target};

/// What one phase measured.
pub struct Measured {
    pub latency: Histogram<u64>,
    pub units: u64,
    pub flows: u64,
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub received: u64,
    pub sent: u64,
}

impl Measured {
    pub fn new() -> Self {
        Self {
            // Microseconds, from 1 µs to 10 minutes, three significant digits.
            latency: Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds"),
            units: 0,
            flows: 0,
            requests: 0,
            errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            received: 0,
            sent: 0,
        }
    }

    pub fn record(&mut self, took: Duration, outcome: Result<(u64, u64), String>) {
        let _ = self.latency.record((took.as_micros() as u64).max(1));
        match outcome {
            Ok((units, requests)) => {
                self.flows += 1;
                self.units += units;
                self.requests += requests;
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }

    pub fn merge(&mut self, other: Measured) {
        let _ = self.latency.add(&other.latency);
        self.units += other.units;
        self.flows += other.flows;
        self.requests += other.requests;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// `connections` connections, each sending its next flow as soon as the last one is
/// answered, for `seconds`.
pub async fn closed(target: Arc<Target>, flow: Flow, connections: usize, seconds: f64) -> Measured {
    let wire = Arc::new(Wire::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for seed in 0..connections {
        let (target, wire) = (target.clone(), wire.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&target.authority, wire);
            let mut rng = rand::rngs::SmallRng::seed_from_u64(seed as u64);
            let mut measured = Measured::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let outcome = target
                    .run(flow, &mut conn, &mut rng)
                    .await
                    .map(|d| (d.units, d.requests));
                if outcome.as_ref().is_err_and(|e| e == NO_RECEIPT_LEFT) {
                    break;
                }
                let failed = outcome.is_err();
                measured.record(start.elapsed(), outcome);
                if failed {
                    // A refused connection fails at once: do not spin on it.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            measured
        }));
    }
    let mut total = Measured::new();
    for task in tasks {
        if let Ok(measured) = task.await {
            total.merge(measured);
        }
    }
    total.elapsed = started.elapsed();
    total.received = wire.received.load(Ordering::Relaxed);
    total.sent = wire.sent.load(Ordering::Relaxed);
    total
}

/// Flows started at `rate` a second for `seconds`, each on its own task with a
/// connection from a pool (a new one when all are busy), timed from its planned start.
pub async fn open(target: Arc<Target>, flow: Flow, rate: f64, seconds: f64) -> Measured {
    let wire = Arc::new(Wire::default());
    let pool: Arc<Mutex<Vec<Conn>>> = Arc::default();
    let results: Arc<std::sync::Mutex<Measured>> = Arc::new(std::sync::Mutex::new(Measured::new()));
    let started = Instant::now();
    let planned_total = (rate * seconds).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..planned_total {
        let planned = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(planned.into()).await;
        let (target, wire, pool, results) =
            (target.clone(), wire.clone(), pool.clone(), results.clone());
        tasks.spawn(async move {
            let mut conn = pool
                .lock()
                .await
                .pop()
                .unwrap_or_else(|| Conn::new(&target.authority, wire));
            let mut rng = rand::rngs::SmallRng::seed_from_u64(i);
            let outcome = target
                .run(flow, &mut conn, &mut rng)
                .await
                .map(|d| (d.units, d.requests));
            // From the planned start: a late start is the server's delay too.
            let took = planned.elapsed();
            pool.lock().await.push(conn);
            if outcome.as_ref().is_err_and(|e| e == NO_RECEIPT_LEFT) {
                return;
            }
            results
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(took, outcome);
        });
        // Reap finished tasks so the set does not grow with the run.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let mut total = std::mem::replace(
        &mut *results.lock().unwrap_or_else(|p| p.into_inner()),
        Measured::new(),
    );
    total.elapsed = started.elapsed();
    total.received = wire.received.load(Ordering::Relaxed);
    total.sent = wire.sent.load(Ordering::Relaxed);
    total
}
