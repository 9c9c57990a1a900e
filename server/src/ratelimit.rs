//! Token-bucket rate limits, keyed by client address or member (server/README.md#rate-limits).
//!
//! Each key has a bucket of `burst` tokens refilled at `per_minute`; a request takes one
//! or is refused with 429 and `Retry-After`. One limiter also has a global bucket, which
//! bounds what every client together can make the server store (challenges). Buckets are
//! in memory, per instance: N instances allow N times the rate, which the caps still bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// A rate: `burst` requests at once, refilled at `per_minute`. Zero `per_minute` turns the
/// limit off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once after a pause.
    pub burst: u32,
}

impl Rate {
    /// `per_minute` sustained, `burst` at once.
    pub const fn new(per_minute: u32, burst: u32) -> Self {
        Self { per_minute, burst }
    }

    /// No limit.
    pub const OFF: Self = Self::new(0, 0);
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let per_sec = f64::from(rate.per_minute) / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(f64::from(rate.burst.max(1)));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                ((1.0 - self.tokens) / per_sec).min(3600.0),
            ))
        }
    }

    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst.max(1)),
            at: now,
        }
    }
}

/// What a limit is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A client address (unauthenticated routes).
    Ip(IpAddr),
    /// A member (authenticated routes).
    Member([u8; 32]),
}

/// One limit over many keys.
pub struct Limiter {
    rate: Rate,
    global: Option<(Rate, Mutex<Bucket>)>,
    buckets: Mutex<HashMap<Key, Bucket>>,
    name: &'static str,
}

/// Most keys a limiter tracks before it forgets the idle ones (those back at a full bucket).
const MAX_KEYS: usize = 100_000;

impl Limiter {
    /// A limit of `rate` per key, named in the 429's message.
    pub fn new(name: &'static str, rate: Rate) -> Self {
        Self {
            rate,
            global: None,
            buckets: Mutex::new(HashMap::new()),
            name,
        }
    }

    /// Adds a bucket shared by every key.
    #[must_use]
    pub fn with_global(mut self, rate: Rate) -> Self {
        if rate.per_minute > 0 {
            self.global = Some((rate, Mutex::new(Bucket::full(rate, Instant::now()))));
        }
        self
    }

    /// Takes a token for `key`, or refuses with 429 `rate_limited`.
    ///
    /// # Errors
    /// 429 with `Retry-After`.
    pub fn check(&self, key: Key) -> Result<(), ApiError> {
        let now = Instant::now();
        if self.rate.per_minute > 0 {
            let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
            if map.len() >= MAX_KEYS {
                let rate = self.rate;
                map.retain(|_, b| {
                    let mut probe = *b;
                    probe.tokens = (probe.tokens
                        + now.saturating_duration_since(probe.at).as_secs_f64()
                            * f64::from(rate.per_minute)
                            / 60.0)
                        .min(f64::from(rate.burst.max(1)));
                    probe.tokens < f64::from(rate.burst.max(1))
                });
            }
            let bucket = map
                .entry(key)
                .or_insert_with(|| Bucket::full(self.rate, now));
            if let Err(wait) = bucket.take(self.rate, now) {
                return Err(ApiError::rate_limited(self.name, wait));
            }
        }
        if let Some((rate, bucket)) = &self.global {
            let mut bucket = bucket.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(wait) = bucket.take(*rate, now) {
                return Err(ApiError::rate_limited(self.name, wait));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let rate = Rate::new(60, 3);
        let t0 = Instant::now();
        let mut b = Bucket::full(rate, t0);
        assert!(b.take(rate, t0).is_ok());
        assert!(b.take(rate, t0).is_ok());
        assert!(b.take(rate, t0).is_ok());
        let wait = b.take(rate, t0).unwrap_err();
        assert!((0.9..=1.0).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(b.take(rate, t0 + Duration::from_millis(1100)).is_ok());
        assert!(b.take(rate, t0 + Duration::from_millis(1100)).is_err());
        // A long pause refills to the burst, no more.
        let later = t0 + Duration::from_secs(600);
        for _ in 0..3 {
            assert!(b.take(rate, later).is_ok());
        }
        assert!(b.take(rate, later).is_err());
    }

    #[test]
    fn keys_are_limited_apart_and_the_global_bucket_bounds_them_all() {
        let l = Limiter::new("test", Rate::new(1, 2)).with_global(Rate::new(1, 5));
        let a = Key::Ip(IpAddr::from([10, 0, 0, 1]));
        let b = Key::Ip(IpAddr::from([10, 0, 0, 2]));
        let c = Key::Ip(IpAddr::from([10, 0, 0, 3]));
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_err());
        assert!(l.check(b).is_ok());
        assert!(l.check(b).is_ok());
        assert!(l.check(c).is_ok());
        // Five taken in all: the global bucket is empty whatever the key.
        assert!(l.check(c).is_err());
        let off = Limiter::new("off", Rate::OFF);
        for _ in 0..1000 {
            assert!(off.check(a).is_ok());
        }
    }
}
