package dev.herald.server;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests advance instead of sleeping. */
public final class MutableClock implements InstantSource {
  private final AtomicLong millis;

  public MutableClock() {
    this(Instant.now());
  }

  public MutableClock(Instant start) {
    millis = new AtomicLong(start.toEpochMilli());
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public long millis() {
    return millis.get();
  }

  public void advance(Duration d) {
    millis.addAndGet(d.toMillis());
  }
}
